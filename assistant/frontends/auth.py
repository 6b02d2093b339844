"""Who may call the HTTP front ends: the API token (`REE_API_TOKEN`) and the loopback rule.

With a token set, every request must carry `Authorization: Bearer <token>` (compared in constant time) and may
come from anywhere. Without one, only loopback clients are served: the server stays a local tool until someone
sets a token. `require_token` is the FastAPI dependency (write endpoints, /v1); `require_read_token` the one for
read endpoints, which asks for the token only with REE_API__PROTECT_READS=true; `TokenGate` guards a mounted
ASGI app (the MCP endpoint). `check_exposure` refuses to listen beyond loopback without a token.
"""

from __future__ import annotations

import ipaddress
import secrets
from typing import TYPE_CHECKING, Any

from starlette.requests import Request

from assistant.errors import InputError, ReeError

if TYPE_CHECKING:
    from assistant.settings import Settings


class AuthError(ReeError):
    """Missing or wrong bearer token."""

    status_code = 401


class NotLoopbackError(ReeError):
    """A non-loopback client while no token is set."""

    status_code = 403


def is_loopback(host: str | None) -> bool:
    """127.0.0.0/8 and ::1 (also IPv4-mapped); a non-IP peer (a Unix socket, a test transport) counts as local."""
    if not host:
        return True
    try:
        addr = ipaddress.ip_address(host)
    except ValueError:
        return True
    mapped = getattr(addr, "ipv4_mapped", None)
    return bool(addr.is_loopback or (mapped is not None and mapped.is_loopback))


def check_access(settings: Settings, authorization: str | None, client_host: str | None) -> None:
    """Raise AuthError / NotLoopbackError unless this request may go on."""
    token = settings.api_token.get_secret_value() if settings.api_token else ""
    if not token:
        if not is_loopback(client_host):
            raise NotLoopbackError("This server accepts loopback clients only; set REE_API_TOKEN to serve others.")
        return
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        raise AuthError("Missing bearer token: send 'Authorization: Bearer <REE_API_TOKEN>'.")
    if not secrets.compare_digest(given.strip().encode(), token.encode()):
        raise AuthError("Wrong bearer token.")


def require_token(request: Request) -> None:
    """FastAPI dependency: the app's Assistant settings decide (`app.state.assistant`)."""
    settings = request.app.state.assistant.settings
    client = request.client.host if request.client else None
    check_access(settings, request.headers.get("authorization"), client)


def require_read_token(request: Request) -> None:
    """FastAPI dependency for read endpoints: the same check, when REE_API__PROTECT_READS=true."""
    if request.app.state.assistant.settings.api.protect_reads:
        require_token(request)


def listens_on_loopback(host: str) -> bool:
    """Whether a listening address is loopback only (a host name other than localhost is not)."""
    host = host.strip().strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_exposure(settings: Settings, host: str) -> None:
    """Refuse to listen beyond loopback with no token, unless the settings say the server is meant open."""
    if listens_on_loopback(host) or settings.api_token is not None or settings.api.open:
        return
    raise InputError(f"Refusing to listen on {host} without a token: anyone who reaches the port could change "
                     "the index. Set REE_API_TOKEN, or REE_API__OPEN=true if it is meant to be open "
                     "(e.g. behind an authenticating proxy).", field="host")


class TokenGate:
    """ASGI wrapper: the same check in front of an app FastAPI dependencies cannot reach (a mounted one)."""

    def __init__(self, app: Any, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
            client = scope.get("client")
            try:
                check_access(self.settings, headers.get("authorization"), client[0] if client else None)
            except ReeError as exc:
                await _refuse(scope, receive, send, exc)
                return
        await self.app(scope, receive, send)


async def _refuse(scope: dict[str, Any], receive: Any, send: Any, exc: ReeError) -> None:
    """The /api problem body for a refusal in front of a mounted app, with its headers."""
    from assistant.frontends.problems import problem

    resp = problem(exc.status_code, exc.message, exc.field, kind=exc.problem_type)
    resp.headers.update(exc.headers())
    await resp(scope, receive, send)


__all__ = ["AuthError", "NotLoopbackError", "TokenGate", "check_access", "check_exposure", "is_loopback",
           "listens_on_loopback", "require_read_token", "require_token"]
