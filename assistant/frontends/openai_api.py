"""An OpenAI-compatible chat endpoint over `Assistant`, so any OpenAI client (Open WebUI, SDKs, IDE agents) can
use REE Assistant as a model. An APIRouter that `assistant.frontends.api.create_app` includes.

    GET  /v1/models                 lists `ree-assistant`
    POST /v1/chat/completions       {model, messages, stream?}; the last user message is the question, the
                                    earlier user turns are the conversation ("And Japan?" works)

The reply's content is the answer with [n] markers, any gap checklist, and a Sources list; the full answer JSON
(`ree ask --json`) rides along in the extra field `ree_answer`, which clients that don't know it ignore. With
`stream: true` the reply comes as server-sent `chat.completion.chunk` events ending in `data: [DONE]`.
Errors are OpenAI-style bodies `{"error": {message, type, param, code}}`. The app's one access rule applies
(frontends/auth.py): the bearer token when REE_API_TOKEN is set, else loopback clients only.
Conversation ids are keyed by a server secret and the caller (its Authorization header and OpenAI's `user`
field), so nobody continues another caller's conversation by sending the same first question.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field

from assistant.errors import InputError, ReeError
from assistant.frontends.plaintext import plain_json, plain_text
from assistant.frontends.problems import cut
from assistant.types import Answer
from assistant.views.rendering import answer_body, answer_text

if TYPE_CHECKING:
    from assistant.core import Assistant

log = logging.getLogger("ree.openai")

MODEL_ID = "ree-assistant"
CREATED = 1764460800  # 2025-11-30: when this model id first existed; OpenAI lists a creation time per model
REPLAY_TURNS = 3  # earlier questions replayed when a conversation's state is not in memory (a restart)


class OpenAIError(Exception):
    """An error the endpoint reports in OpenAI's shape."""

    def __init__(self, status: int, message: str, type_: str = "invalid_request_error", param: str | None = None,
                 code: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.type, self.param, self.code = status, message, type_, param, code


def error_response(err: OpenAIError, headers: dict[str, str] | None = None) -> JSONResponse:
    body = {"error": {"message": cut(err.message), "type": err.type, "param": err.param, "code": err.code}}
    return JSONResponse(body, status_code=err.status, headers=headers)


def _from_ree(exc: ReeError) -> tuple[OpenAIError, dict[str, str]]:
    status = exc.status_code
    kind = {401: "authentication_error", 403: "permission_error", 404: "not_found_error"}.get(status)
    if kind is None:
        kind = "invalid_request_error" if status < 500 else "server_error"
    code = {401: "invalid_api_key", 404: "not_found", 503: "service_unavailable"}.get(status)
    return OpenAIError(status, exc.message, kind, exc.field, code), exc.headers()


def error_from_ree(exc: ReeError) -> JSONResponse:
    """A refusal (401, 403, 421, 413 ...) as OpenAI's error body, with its headers."""
    err, headers = _from_ree(exc)
    return error_response(err, headers)


class _OpenAIRoute(APIRoute):
    """Every failure on these routes, validation and auth included, leaves as an OpenAI error body."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except OpenAIError as err:
                return error_response(err)
            except RequestValidationError as exc:
                errs = exc.errors()
                where = [".".join(str(p) for p in e.get("loc", ()) if p != "body") for e in errs[:5]]
                detail = "; ".join(f"{w or 'body'}: {e.get('msg', 'invalid')}"
                                   for w, e in zip(where, errs, strict=False))
                return error_response(OpenAIError(400, detail or "Invalid request.", param=where[0] if where else None))
            except ReeError as exc:
                err, headers = _from_ree(exc)
                return error_response(err, headers)
            except Exception as exc:
                log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
                if request.app.state.assistant.settings.debug:
                    raise
                return error_response(OpenAIError(500, "Unexpected server error; it has been logged.", "server_error"))

        return route


# -- request and response bodies ------------------------------------------------------------------------------
class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: str = Field(..., description="system, user, assistant (tool messages are ignored)")
    content: str | list[dict[str, Any]] | None = Field(None, description="Text, or a list of {type: text, text}.")


class ChatRequest(BaseModel):
    """OpenAI's chat request. Sampling parameters (temperature, max_tokens, ...) are accepted and ignored:
    answers are extractive. Tools, n > 1, logprobs and JSON response formats are refused."""

    model_config = ConfigDict(extra="allow")

    model: str = Field(MODEL_ID, description=f"Must be '{MODEL_ID}'.")
    messages: list[ChatMessage] = Field(..., min_length=1, max_length=200)
    stream: bool = False
    n: int | None = None
    conversation_id: str | None = Field(None, max_length=200,
                                        description="Optional: your own id instead of one derived from messages "
                                                    "(kept apart from other callers' ids).")


class ModelCard(BaseModel):
    id: str
    object: str = "model"
    created: int = CREATED
    owned_by: str = "ree-assistant"


class ModelList(BaseModel):
    object: str = "list"
    data: list[ModelCard]


# -- what a request means -------------------------------------------------------------------------------------
def message_text(message: ChatMessage) -> str:
    if isinstance(message.content, str):
        return message.content
    parts = [str(p.get("text", "")) for p in message.content or [] if isinstance(p, dict) and p.get("type") == "text"]
    return "\n".join(parts)


def refuse_unsupported(body: ChatRequest) -> None:
    extra = body.model_extra or {}
    if body.model != MODEL_ID:
        raise OpenAIError(404, f"The model '{body.model[:80]}' does not exist; use '{MODEL_ID}'.", param="model",
                          code="model_not_found")
    if body.n not in (None, 1):
        raise OpenAIError(400, "Only n=1 is supported.", param="n")
    for name in ("tools", "functions"):
        if extra.get(name):
            raise OpenAIError(400, f"'{name}' is not supported: REE Assistant answers from its corpus.", param=name)
    if extra.get("logprobs"):
        raise OpenAIError(400, "'logprobs' is not supported.", param="logprobs")
    fmt = extra.get("response_format")
    if isinstance(fmt, dict) and fmt.get("type") not in (None, "text"):
        raise OpenAIError(400, "Only the text response format is supported; the answer JSON is in 'ree_answer'.",
                          param="response_format")


def split_turns(messages: list[ChatMessage]) -> tuple[list[str], str]:
    """(earlier user questions, the question): the last message must be the user's."""
    last = messages[-1]
    if last.role != "user":
        raise OpenAIError(400, "The last message must be the user's question.", param="messages")
    question = message_text(last).strip()
    if not question:
        raise OpenAIError(400, "The last user message has no text.", param="messages")
    earlier = [message_text(m).strip() for m in messages[:-1] if m.role == "user"]
    return [q for q in earlier if q], question


def conversation_secret(assistant: Assistant) -> bytes:
    """The key conversation ids are made with: derived from the API token (so every app host agrees), else
    random per process (then a restart replays the earlier turns, see prepare_conversation)."""
    token = assistant.settings.api_token
    if token is not None:
        return hmac.new(token.get_secret_value().encode(), b"ree-v1-conversations", hashlib.sha256).digest()
    return secrets.token_bytes(32)


def conversation_key(questions: list[str], caller: str = "", secret: bytes = b"") -> str:
    """A stable id for one caller's conversation so far: a keyed hash of the caller and its user turns."""
    data = json.dumps([caller, questions], ensure_ascii=False).encode()
    return "oai-" + hmac.new(secret, data, hashlib.sha256).hexdigest()[:32]


def caller_of(request: Request, body: ChatRequest) -> str:
    """Who is asking, as far as the request says: its credentials and OpenAI's optional `user` field."""
    user = (body.model_extra or {}).get("user")
    return json.dumps([request.headers.get("authorization") or "", str(user or "")[:200]])


def prepare_conversation(assistant: Assistant, earlier: list[str], question: str, caller: str = "",
                         secret: bytes = b"") -> str:
    """The id to ask under, holding the state the earlier turns left.

    Each turn's state is kept under the hash of the user turns up to it, so a follow-up finds its context from the
    transcript alone; a regenerated reply finds the same context again. When the state is gone (a restart), the
    last few earlier questions are asked again to rebuild it."""
    cid = conversation_key([*earlier, question], caller, secret)
    if not earlier:
        return cid
    previous = assistant.conversations.last(conversation_key(earlier, caller, secret))
    if previous is not None:
        assistant.conversations.add(cid, previous)
        return cid
    for q in earlier[-REPLAY_TURNS:]:
        try:
            assistant.ask(q, conversation_id=cid)
        except ReeError:
            continue
    return cid


def _completion_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex[:24]}"


def completion_json(answer: Answer, cid: str, created: int) -> dict[str, Any]:
    return {"id": cid, "object": "chat.completion", "created": created, "model": MODEL_ID,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": plain_text(answer_text(answer))},
                         "finish_reason": "stop", "logprobs": None}],
            "ree_answer": plain_json(answer.to_json())}


def _chunk(cid: str, created: int, delta: dict[str, Any], finish: str | None = None,
           **extra: Any) -> str:
    body = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": MODEL_ID,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}], **extra}
    return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"


def sse_events(first: str | Answer, rest: Iterator[str | Answer], cid: str, created: int) -> Iterator[str]:
    """OpenAI's streaming shape: a role delta, content deltas, a last chunk with the answer JSON, [DONE]."""
    yield _chunk(cid, created, {"role": "assistant", "content": ""})
    item: str | Answer | None = first
    try:
        while not isinstance(item, Answer):
            if item:
                yield _chunk(cid, created, {"content": plain_text(item)})
            item = next(rest, None)
            if item is None:
                yield "data: [DONE]\n\n"
                return
    except Exception as exc:  # noqa: BLE001 - the status line has gone out: report the error in the stream
        if isinstance(exc, ReeError):
            err, _ = _from_ree(exc)
        else:
            log.error("unexpected error while streaming", exc_info=exc)
            err = OpenAIError(500, "Unexpected server error; it has been logged.", "server_error")
        yield f"data: {json.dumps({'error': {'message': err.message, 'type': err.type, 'code': err.code}})}\n\n"
        yield "data: [DONE]\n\n"
        return
    body = plain_text(answer_body(item))
    if body:
        yield _chunk(cid, created, {"content": "\n\n" + body})
    yield _chunk(cid, created, {}, "stop", ree_answer=plain_json(item.to_json()))
    yield "data: [DONE]\n\n"


# -- the router -----------------------------------------------------------------------------------------------
def make_router() -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["openai-compatible"], route_class=_OpenAIRoute)

    @router.get("/models", summary="The one model: ree-assistant.")
    def models() -> ModelList:
        return ModelList(data=[ModelCard(id=MODEL_ID)])

    @router.get("/models/{model_id}", summary="One model by id.")
    def model(model_id: str) -> ModelCard:
        if model_id != MODEL_ID:
            raise OpenAIError(404, f"The model '{model_id[:80]}' does not exist; use '{MODEL_ID}'.", param="model",
                              code="model_not_found")
        return ModelCard(id=MODEL_ID)

    @router.post("/chat/completions", summary="OpenAI-style chat: the answer with [n] citations; `ree_answer` holds "
                 "the answer JSON. `stream: true` sends chat.completion.chunk events.",
                 response_model=None)
    def chat(body: ChatRequest, request: Request) -> Any:
        assistant: Assistant = request.app.state.assistant
        refuse_unsupported(body)
        earlier, question = split_turns(body.messages)
        created = int(time.time())
        # Admitted like every other reading request (index ready, worker gate), for the whole stream.
        held = ExitStack()
        held.enter_context(request.app.state.admit())
        try:
            state = request.app.state
            if getattr(state, "conversation_secret", None) is None:
                state.conversation_secret = conversation_secret(assistant)
            secret: bytes = state.conversation_secret
            caller = caller_of(request, body)
            if body.conversation_id:
                cid = conversation_key(["id", body.conversation_id], caller, secret)
            else:
                cid = prepare_conversation(assistant, earlier, question, caller, secret)
            if not body.stream:
                with held:
                    return completion_json(assistant.ask(question, conversation_id=cid), _completion_id(), created)
            pieces = assistant.stream(question, conversation_id=cid)
            first = next(pieces)  # errors before the first piece still get a status code
        except StopIteration:
            held.close()
            raise InputError("No answer was produced.") from None
        except BaseException:
            held.close()
            raise

        def events() -> Iterator[str]:
            with held:
                yield from sse_events(first, pieces, _completion_id(), created)

        return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})

    @router.api_route("/{rest:path}", methods=["GET", "POST", "PUT", "DELETE", "PATCH"], include_in_schema=False)
    def not_found(rest: str) -> Any:
        raise OpenAIError(404, f"No endpoint /v1/{rest[:80]}; this server offers /v1/models and "
                               "/v1/chat/completions.", code="not_found")

    return router


__all__ = ["MODEL_ID", "ChatRequest", "make_router", "prepare_conversation"]
