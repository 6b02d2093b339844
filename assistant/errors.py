"""The error tree. Front ends translate these; anything else is a bug.

    ReeError                      base: a message meant for the user
    ├── InputError                the request itself is wrong (empty question, unknown stage ...)
    │   ├── UnknownCountryError   a country we cannot recognise
    │   └── UnknownDocumentError  no indexed document by that id
    ├── LoadError                 one file could not be read (binary, empty, broken PDF, bad front matter)
    ├── IndexMissingError         no index yet: run `ree index`
    ├── StoreUnavailableError     the Chroma server cannot be reached
    └── GenerationError           the optional LLM failed (callers fall back to extractive answers)
"""

from __future__ import annotations

import re


class ReeError(Exception):
    """Base class: `str(err)` is a one-line message for the user, saying what to do."""

    status_code = 500
    kind = ""  # the RFC 7807 problem slug when the class name does not give it
    retry_after: int | None = None  # seconds, for a refusal that passes (all workers busy)

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    @property
    def problem_type(self) -> str:
        """The problem slug: `kind`, else the class name in kebab case without "Error" (AuthError → auth)."""
        name = type(self).__name__.lstrip("_")
        return self.kind or re.sub(r"(?<!^)(?=[A-Z])", "-", name.removesuffix("Error") or name).lower()

    def headers(self) -> dict[str, str]:
        """Response headers every front end sends with it: a 401 names the scheme (RFC 6750); a passing
        refusal says when to come back."""
        out = {"WWW-Authenticate": 'Bearer realm="ree"'} if self.status_code == 401 else {}
        if self.retry_after:
            out["Retry-After"] = str(self.retry_after)
        return out


class InputError(ReeError):
    status_code = 422


class UnknownCountryError(InputError):
    status_code = 404


class UnknownDocumentError(InputError):
    status_code = 404


class LoadError(ReeError):
    status_code = 422

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class IndexMissingError(ReeError):
    status_code = 503


class StoreUnavailableError(ReeError):
    status_code = 503


class GenerationError(ReeError):
    status_code = 502
