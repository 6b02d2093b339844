"""The error tree. Front ends translate these; anything else is a bug.

    ReeError                      base: a message meant for the user
    ├── InputError                the request itself is wrong (empty question, unknown stage ...)
    │   └── UnknownCountryError   a country we cannot recognise
    ├── LoadError                 one file could not be read (binary, empty, broken PDF, bad front matter)
    ├── IndexMissingError         no index yet: run `ree index`
    ├── StoreUnavailableError     the Chroma server cannot be reached
    └── GenerationError           the optional LLM failed (callers fall back to extractive answers)
"""

from __future__ import annotations


class ReeError(Exception):
    """Base class: `str(err)` is a one-line message for the user, saying what to do."""

    status_code = 500

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InputError(ReeError):
    status_code = 422


class UnknownCountryError(InputError):
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
