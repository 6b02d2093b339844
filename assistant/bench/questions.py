"""The gold questions (corpus/eval/questions.yaml, or corpus/eval/parts/*.yaml while it is being assembled)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def gold_questions(corpus: Path, with_docs: bool = True) -> list[dict[str, Any]]:
    import yaml

    files = [corpus / "eval" / "questions.yaml"]
    if not files[0].exists():
        files = sorted((corpus / "eval" / "parts").glob("*.yaml"))
    items: list[dict[str, Any]] = []
    for f in files:
        items += yaml.safe_load(f.read_text()) or []
    items = [i for i in items if isinstance(i, dict) and i.get("question")]
    return [i for i in items if i.get("docs")] if with_docs else items
