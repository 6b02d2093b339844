"""The `/ree` slash command's words: a question, or a view by its first word (`/ree map …`, `/ree projects …`) with
its arguments parsed here, and message text cleaned of Slack's mentions and escaping."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from assistant.errors import InputError
from assistant.frontends.slack_blocks import map_blocks, projects_blocks

View = Callable[[str], tuple[list[dict[str, Any]], str]]


def map_args(text: str) -> dict[str, str]:
    """`/ree map [target=magnet] [STAGE STATUS] [region]` → capability_map() arguments."""
    from assistant.views.capmap import parse_filter

    return parse_filter(" ".join(text.split()[1:]))


PROJECT_FILTERS = ("country", "region", "stage", "phase", "support", "expected_by")


def projects_args(text: str) -> dict[str, Any]:
    """`/ree projects [country=…] [region=…] [stage=…] [phase=…] [support=…] [expected_by=YEAR]` → projects()
    arguments; an unknown key or a bad year is an InputError naming the choices."""
    args: dict[str, Any] = {}
    for part in text.split()[1:]:
        key, sep, value = part.partition("=")
        if not sep or key not in PROJECT_FILTERS or not value:
            raise InputError(f"Use key=value filters: {', '.join(PROJECT_FILTERS)} (got '{part[:30]}').",
                             field="text")
        if key == "expected_by":
            if not value.isdigit():
                raise InputError("expected_by is a year, such as 2027.", field="expected_by")
            args[key] = int(value)
        else:
            args[key] = value.replace("_", " ") if key in ("country", "region") else value
    return args


def question_from(text: str) -> str:
    """A message's text without bot mentions, with Slack's own escaping undone."""
    text = re.sub(r"<@[A-Z0-9]+(\|[^>]*)?>", " ", text or "")
    text = re.sub(r"<(https?://[^|>]+)\|([^>]+)>", r"\2", text)
    text = re.sub(r"<(https?://[^>]+)>", r"\1", text)
    return re.sub(r"\s+", " ", text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")).strip()


def views(assistant: Any) -> dict[str, View]:
    """The slash command's views by their first word: each takes the command text and gives (blocks, text)."""
    def capability_map(text: str) -> tuple[list[dict[str, Any]], str]:
        cmap = assistant.capability_map(**map_args(text))
        return map_blocks(cmap), f"Capability map up to {cmap.target}: {len(cmap.rows)} countries"

    def projects(text: str) -> tuple[list[dict[str, Any]], str]:
        rows = assistant.projects(**projects_args(text))
        return projects_blocks(rows), f"Projects: {len(rows)} match"

    return {"map": capability_map, "projects": projects}
