"""Who may do what over HTTP: the one rule every door of the app goes through (`Guard`, an ASGI middleware in
front of the whole app: /api, /v1, /mcp, /metrics, the web UI and its Gradio event endpoints).

In this order, for every request:
1. Host. The Host header must name loopback (localhost, *.localhost, 127.0.0.0/8, ::1) or a host listed in
   REE_API__HOSTS (or the address `ree serve --host` was given); anything else gets 421. A page whose own name
   was re-pointed at 127.0.0.1 (DNS rebinding) therefore reads nothing.
2. Size. A body larger than its limit gets 413, from Content-Length at once, else as soon as it streams past it.
3. Same origin. A request that can change something (any method but GET, HEAD, OPTIONS) from a browser must
   come from the app's own origin: `Sec-Fetch-Site: same-origin` (or `none`), else an Origin equal to the Host,
   or an origin listed in REE_API__CORS_ORIGINS. Clients that are not browsers send neither header and pass;
   a page on another origin (fetch with mode no-cors, a form) gets 403.
4. Token. Writes (ingest, feedback, document removal, the UI's feedback / upload / remove events, and all of
   /v1 and /mcp) need the token when REE_API_TOKEN is set: `Authorization: Bearer <token>`, or the web UI's
   session cookie, which `POST /auth/session` sets for whoever types the token (HttpOnly, SameSite=Strict).
   Without a token they serve loopback clients only. Reads (/api/ask, /api/search, ..., /metrics) need the
   token only with REE_API__PROTECT_READS=true; /api/health and the UI's pages are open.

Every response also carries Content-Security-Policy, X-Frame-Options: DENY and X-Content-Type-Options: nosniff.
`check_exposure` refuses to listen beyond loopback without a token.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import re
import secrets
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from assistant.errors import InputError, ReeError

if TYPE_CHECKING:
    from fastapi import FastAPI

    from assistant.settings import Settings

Door = Literal["open", "read", "write"]
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SESSION_COOKIE = "ree_session"
# Gradio's endpoints that run an event handler: the queue, and the by-name routes of its HTTP API.
_GRADIO_CALL = re.compile(r"^/gradio_api/(?:queue/join|(?:run|api|call|call/v2)/(?P<name>[^/]+))/?$")
UPLOAD_PATHS = ("/api/ingest", "/gradio_api/upload")
CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data: blob:; media-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
       "worker-src 'self' blob:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
# FastAPI's /docs and /redoc load Swagger UI / ReDoc from this CDN.
CSP_DOCS = ("default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
            "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; img-src 'self' data: https:; "
            "worker-src 'self' blob:; object-src 'none'; frame-ancestors 'none'")


class AuthError(ReeError):
    """Missing or wrong bearer token."""

    status_code = 401


class NotLoopbackError(ReeError):
    """A non-loopback client while no token is set."""

    status_code = 403


class CrossOriginError(ReeError):
    """A write sent by a page on another origin."""

    status_code = 403


class MisdirectedError(ReeError):
    """A Host this server was not started for (DNS rebinding)."""

    status_code = 421
    kind = "misdirected-request"


class TooLargeError(ReeError):
    status_code = 413
    kind = "payload-too-large"


# -- the parts of the rule ------------------------------------------------------------------------------------
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


def host_name(host: str) -> str:
    """The name in a Host header or an origin's netloc, lower case, without port or IPv6 brackets."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:host.find("]")] if "]" in host else host[1:]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def host_allowed(host: str | None, allowed: Collection[str]) -> bool:
    """Whether a Host header names loopback or an allowed host (`*.example.org` matches its subdomains)."""
    if not host:
        return True  # HTTP/1.0 without Host: no name a rebinding page could have used
    name = host_name(host)
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        if ipaddress.ip_address(name).is_loopback:
            return True
    except ValueError:
        pass
    for entry in allowed:
        entry = host_name(entry)
        if entry == "*" or name == entry or (entry.startswith("*.") and name.endswith(entry[1:])):
            return True
    return False


def same_origin(headers: dict[str, str], trusted: Collection[str]) -> bool:
    """Whether a browser sent this request from the app's own origin (or a trusted one); a client that is not
    a browser (no Sec-Fetch-Site, no Origin) passes."""
    origin = headers.get("origin")
    if origin and origin.rstrip("/") in trusted:
        return True
    site = headers.get("sec-fetch-site")
    if site is not None:
        return site in ("same-origin", "none")
    if not origin:
        return True
    if origin == "null":
        return False
    netloc = urlsplit(origin).netloc
    return bool(netloc) and netloc.lower() == (headers.get("host") or "").lower()


def session_value(token: str) -> str:
    """The web UI's session cookie for a token: a keyed hash, so the cookie never holds the token itself and a
    new token ends every session."""
    return hmac.new(token.encode(), b"ree-web-session", hashlib.sha256).hexdigest()


def check_access(settings: Settings, authorization: str | None, client_host: str | None,
                 session: str | None = None) -> None:
    """Raise AuthError / NotLoopbackError unless this request may write: the bearer token (or the UI's session
    cookie) when one is set, else a loopback client."""
    token = settings.api_token.get_secret_value() if settings.api_token else ""
    if not token:
        if not is_loopback(client_host):
            raise NotLoopbackError("This server accepts loopback clients only; set REE_API_TOKEN to serve others.")
        return
    if session and secrets.compare_digest(session.encode(), session_value(token).encode()):
        return
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        raise AuthError("Missing bearer token: send 'Authorization: Bearer <REE_API_TOKEN>'.")
    if not secrets.compare_digest(given.strip().encode(), token.encode()):
        raise AuthError("Wrong bearer token.")


def door(method: str, path: str, gradio_write: bool = False) -> Door:
    """What a request is: `write` (changes something, or /v1 and /mcp), `read` (the API's reads, /metrics) or
    `open` (health, the UI's pages and its reading events)."""
    if path in ("/mcp", "/v1") or path.startswith(("/mcp/", "/v1/")):
        return "write"
    if path == "/api/health":
        return "open"
    if path.startswith("/api/"):
        return "read" if method in SAFE_METHODS or path in ("/api/ask", "/api/search") else "write"
    if path == "/metrics":
        return "read"
    if method not in SAFE_METHODS and (path.rstrip("/") in UPLOAD_PATHS or gradio_write):
        return "write"
    return "open"


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


def upload_limit(settings: Settings) -> int:
    """The largest body of one upload request."""
    return settings.api.max_request_bytes or settings.max_upload_bytes + 1024 * 1024


# -- the middleware -------------------------------------------------------------------------------------------
class Guard:
    """The rule above, in front of the whole app (pure ASGI: streamed answers, SSE and MCP pass untouched).

    `ui_writes` gives the web UI's write events as (Gradio function ids, API names); the UI registers them once
    it is built."""

    def __init__(self, app: Any, settings: Settings, bind_host: str | None = None,
                 ui_writes: Callable[[], tuple[Collection[int], Collection[str]]] | None = None) -> None:
        self.app = app
        self.settings = settings
        self.hosts = list(settings.api.hosts)
        if bind_host and not listens_on_loopback(bind_host) and bind_host.strip("[]") not in ("0.0.0.0", "::"):
            self.hosts.append(bind_host)
        self.trusted = {o.rstrip("/") for o in settings.api.cors_origins}
        self.ui_writes = ui_writes or (lambda: ((), ()))

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        path, method = scope.get("path", ""), scope.get("method", "GET")
        send = self._with_headers(send, path)
        try:
            if not host_allowed(headers.get("host"), self.hosts):
                shown = (headers.get("host") or "")[:80]
                raise MisdirectedError(f"This server does not answer to the host '{shown}'; list it in "
                                       "REE_API__HOSTS if it is meant to.", field="host")
            if scope["type"] == "websocket":
                await self.app(scope, receive, send)
                return
            uploading = path.rstrip("/") in UPLOAD_PATHS
            limit = upload_limit(self.settings) if uploading else self.settings.api.max_body_bytes
            length = headers.get("content-length", "")
            if length.isdigit() and int(length) > limit:
                raise TooLargeError(f"The request body is larger than the {limit:,}-byte limit.")
            body: bytes | None = None
            gradio_write = False
            call = _GRADIO_CALL.match(path) if method == "POST" else None
            if call is not None:  # which UI event is called: its id is in the JSON body, or its name in the path
                body = await _read_body(receive, limit)
                gradio_write = self._is_ui_write(body, call.group("name"))
            if method not in SAFE_METHODS and path != "/slack/events" and not same_origin(headers, self.trusted):
                raise CrossOriginError("Refused: a write from a page on another origin. Use the app's own page, "
                                       "or list the origin in REE_API__CORS_ORIGINS.")
            kind = door(method, path, gradio_write)
            if kind == "write" or (kind == "read" and self.settings.api.protect_reads):
                client = scope.get("client")
                check_access(self.settings, headers.get("authorization"), client[0] if client else None,
                             _cookie(headers.get("cookie", ""), SESSION_COOKIE))
        except ReeError as exc:
            scope.setdefault("state", {})["problem"] = exc.problem_type
            await _refuse(scope, receive, send, exc)
            return
        if body is not None:
            receive = _replay(body, receive)
        await self._run_bounded(scope, receive, send, limit)

    def _is_ui_write(self, body: bytes, name: str | None) -> bool:
        ids, names = self.ui_writes()
        try:
            fn_index = json.loads(body or b"{}").get("fn_index")
        except (ValueError, AttributeError):
            return True  # an event we cannot name is treated as a write
        if isinstance(fn_index, int):
            return fn_index in ids
        return name in names if name else True

    async def _run_bounded(self, scope: dict[str, Any], receive: Any, send: Any, limit: int) -> None:
        """Run the app, counting the body as it streams in: past `limit`, the app sees the client leave and the
        caller gets 413 instead of whatever the app answers."""
        seen = 0
        over = False
        started = False

        async def counting() -> dict[str, Any]:
            nonlocal seen, over
            if over:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    over = True
                    return {"type": "http.disconnect"}
            return dict(message)

        async def sending(message: dict[str, Any]) -> None:
            nonlocal started
            if over:
                if not started:
                    started = True
                    await _refuse(scope, receive, send, TooLargeError(
                        f"The request body is larger than the {limit:,}-byte limit."))
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting, sending)
        except Exception:
            if not over:
                raise
        if over and not started:
            await _refuse(scope, receive, send, TooLargeError(f"The request body is larger than the {limit:,}-byte "
                                                              "limit."))

    @staticmethod
    def _with_headers(send: Any, path: str) -> Any:
        csp = (CSP_DOCS if path in ("/docs", "/redoc") else CSP).encode()

        async def sending(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                have = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(b"content-security-policy", csp), (b"x-frame-options", b"DENY"),
                         (b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"same-origin")]
                message = {**message, "headers": [*message.get("headers", []),
                                                  *((k, v) for k, v in extra if k not in have)]}
            await send(message)

        return sending


def _cookie(header: str, name: str) -> str | None:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


async def _read_body(receive: Any, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise TooLargeError(f"The request body is larger than the {limit:,}-byte limit.")
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Any) -> Any:
    done = False

    async def replay() -> dict[str, Any]:
        nonlocal done
        if not done:
            done = True
            return {"type": "http.request", "body": body, "more_body": False}
        return dict(await receive())

    return replay


async def _refuse(scope: dict[str, Any], receive: Any, send: Any, exc: ReeError) -> None:
    """The problem body for a refusal (an OpenAI error body under /v1), with its headers."""
    from assistant.frontends.problems import problem

    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008})
        return
    if scope.get("path", "").startswith("/v1"):  # OpenAI clients read errors in OpenAI's shape
        from assistant.frontends.openai_api import error_from_ree

        resp = error_from_ree(exc)
    else:
        resp = problem(exc.status_code, exc.message, exc.field, kind=exc.problem_type)
        resp.headers.update(exc.headers())
    await resp(scope, receive, send)


# -- the web UI's sign-in (with a token) ----------------------------------------------------------------------
def install_session_routes(app: FastAPI) -> None:
    """`POST /auth/session` (form field `token`): the right token sets the UI's session cookie and goes back to
    the UI; `POST /auth/logout` clears it. Both pass the Guard's same-origin rule like any other POST."""

    async def sign_in(request: Request) -> Response:
        settings = request.app.state.assistant.settings
        form = await request.form()
        given = str(form.get("token") or "")
        client = request.client.host if request.client else None
        check_access(settings, f"Bearer {given}", client)  # AuthError (401) when wrong
        token = settings.api_token.get_secret_value() if settings.api_token else ""
        resp = RedirectResponse("/", status_code=303)
        if token:
            resp.set_cookie(SESSION_COOKIE, session_value(token), httponly=True, samesite="strict",
                            secure=request.url.scheme == "https", path="/")
        return resp

    async def sign_out(request: Request) -> Response:
        resp = RedirectResponse("/", status_code=303)
        resp.delete_cookie(SESSION_COOKIE, path="/")
        return resp

    app.add_api_route("/auth/session", sign_in, methods=["POST"], include_in_schema=False)
    app.add_api_route("/auth/logout", sign_out, methods=["POST"], include_in_schema=False)


__all__ = ["AuthError", "CrossOriginError", "Guard", "MisdirectedError", "NotLoopbackError", "SESSION_COOKIE",
           "TooLargeError", "check_access", "check_exposure", "door", "host_allowed", "install_session_routes",
           "is_loopback", "listens_on_loopback", "same_origin", "session_value", "upload_limit"]
