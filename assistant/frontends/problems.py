"""RFC 9457 problem bodies: the one error shape every HTTP door (API, MCP mount, metrics) answers with."""

from __future__ import annotations

import re
from http import HTTPStatus

from fastapi.responses import JSONResponse

PROBLEM_JSON = "application/problem+json"

ECHO_CHARS = 80  # the most of a caller's own input an error message repeats
DETAIL_CHARS = 1000

_QUOTED = re.compile("'([^']{" + str(ECHO_CHARS + 1) + ",})'")


def cut(detail: str) -> str:
    """An error message that repeats at most ECHO_CHARS of any quoted input, and DETAIL_CHARS in all."""
    detail = _QUOTED.sub(lambda m: f"'{m.group(1)[:ECHO_CHARS - 3]}...'", str(detail))
    return detail if len(detail) <= DETAIL_CHARS else detail[:DETAIL_CHARS - 3] + "..."


def problem(status: int, detail: str, field: str | None = None, kind: str | None = None) -> JSONResponse:
    title = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    slug = kind or re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    body = {"type": f"/problems/{slug}", "title": title, "status": status, "detail": cut(detail),
            "field": field if field is None else str(field)[:ECHO_CHARS]}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)
