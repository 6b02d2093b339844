"""Access control for the HTTP front ends: a Bearer token (REE_API_TOKEN) on write endpoints, and on reads
when REE_API__PROTECT_READS=true; the check for a server that would listen beyond loopback without one."""

from __future__ import annotations

import hmac
import ipaddress

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from assistant.errors import InputError
from assistant.settings import Settings

_bearer = HTTPBearer(auto_error=False, description="REE_API_TOKEN")


def token_ok(settings: Settings, presented: str | None) -> bool:
    """True when no token is configured, or the presented one matches (compared in constant time)."""
    if settings.api_token is None:
        return True
    expected = settings.api_token.get_secret_value().encode()
    return presented is not None and hmac.compare_digest(presented.encode(), expected)


def _check(request: Request, credentials: HTTPAuthorizationCredentials | None) -> None:
    settings: Settings = request.app.state.assistant.settings
    if settings.api_token is None:
        return
    presented = credentials.credentials if credentials and credentials.scheme.lower() == "bearer" else None
    if presented is None:
        raise HTTPException(401, "This endpoint needs `Authorization: Bearer <REE_API_TOKEN>`.",
                            headers={"WWW-Authenticate": "Bearer"})
    if not token_ok(settings, presented):
        raise HTTPException(401, "The bearer token is not valid.", headers={"WWW-Authenticate": "Bearer"})


def require_token(request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> None:  # noqa: B008
    """FastAPI dependency for write endpoints: the Bearer token when REE_API_TOKEN is set."""
    _check(request, credentials)


def require_read_token(request: Request,
                       credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> None:  # noqa: B008
    """FastAPI dependency for read endpoints: the Bearer token when REE_API__PROTECT_READS=true."""
    if request.app.state.assistant.settings.api.protect_reads:
        _check(request, credentials)


def is_loopback(host: str) -> bool:
    host = host.strip().strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_exposure(settings: Settings, host: str) -> None:
    """Refuse to listen beyond loopback with no token, unless the settings say the server is meant open."""
    if is_loopback(host) or settings.api_token is not None or settings.api.open:
        return
    raise InputError(f"Refusing to listen on {host} without a token: anyone who reaches the port could change "
                     "the index. Set REE_API_TOKEN, or REE_API__OPEN=true if it is meant to be open "
                     "(e.g. behind an authenticating proxy).", field="host")


__all__ = ["check_exposure", "is_loopback", "require_read_token", "require_token", "token_ok"]
