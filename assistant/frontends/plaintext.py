"""Text handed to LLM clients (/v1, MCP) is plain text: HTML tags stripped, and only http/https URLs.

Documents, uploads above all, may carry raw HTML or `javascript:` / `data:` links; a model reading them through
these doors must get neither. The answer JSON riding along (`ree_answer`, MCP structuredContent) is cleaned the
same way, string by string.
"""

from __future__ import annotations

import html
import re
from typing import Any

_TAG = re.compile(r"</?[A-Za-z][^<>]{0,2000}?>|<!--.*?-->", re.S)
_BAD_URL = re.compile(r"\b(?:javascript|vbscript|data|file|blob)\s*:[^\s\]>\"']*", re.I)
_MD_LINK = re.compile(r"\[([^\]]*)\]\((?!\s*https?://)(?:[^()\s]|\([^()\s]*\))*\)", re.I)


def plain_text(text: str) -> str:
    """`text` without HTML tags or comments, without links that are not http/https."""
    text = _TAG.sub("", text)
    if "&" in text and re.search(r"&(?:[a-z]+|#\d+);", text):
        text = _TAG.sub("", html.unescape(text))  # an escaped tag is still a tag to a model
    text = _MD_LINK.sub(r"\1", text)
    return _BAD_URL.sub("", text)


def plain_json(value: Any, key: str = "") -> Any:
    """Every string in a JSON value made plain; a `url` that is not http/https becomes empty."""
    if isinstance(value, str):
        if key in ("url", "via"):
            return value if re.match(r"https?://", value, re.I) else ""
        return plain_text(value)
    if isinstance(value, dict):
        return {k: plain_json(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain_json(v, key) for v in value]
    return value


__all__ = ["plain_json", "plain_text"]
