"""The HTTP application (FastAPI) of ``rlemp serve``; its OpenAPI page is ``/docs``.

Every error is JSON ``{"error": "<one line>"}`` with a 4xx status for the client's mistakes: unknown persona or
conversation (404), a reply to a finished conversation (409), a body over the size limit (413), a body that is
not UTF-8 or not JSON (400), a field out of place or text holding a lone surrogate (422), a missing or wrong
token (401). The body is read and checked by :class:`RequestGuard` before FastAPI sees it. With a token, every
path but ``/health`` and the OpenAPI pages needs ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
from contextlib import asynccontextmanager
from typing import Any, Optional

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from rlemp.errors import RlempError, printable
from rlemp.files import LONE_SURROGATE, find_lone_surrogate
from rlemp.service.engine import ConversationEngine, Dispatcher
from rlemp.service.schemas import (BatchReply, ServiceError, BatchReplyRequest, BatchStarted, BatchStartRequest, BatchTurns,
                                   EnvRequest, ErrorBody, FailedTurn, Health, Metrics, ReplyRequest, StartRequest,
                                   Started, TurnResult, Verified)

logger = logging.getLogger(__name__)

DEFAULT_MAX_BODY_BYTES = 4 << 20
OPEN_PATHS = frozenset({"/health", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"})
ERRORS = {status: {"model": ErrorBody} for status in (400, 401, 404, 409, 413, 422)}


def error_response(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": printable(" ".join(message.split()))}, status_code=status)


class RequestGuard:
    """ASGI middleware in front of the application: the bearer token, then the body (size, UTF-8, JSON), then
    a count of the 4xx answers. A refused request never reaches FastAPI."""

    def __init__(self, app, engine: ConversationEngine, token: str | None, max_body_bytes: int):
        self.app, self.engine, self.token, self.max_body_bytes = app, engine, token, max_body_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def counting_send(message):
            if message["type"] == "http.response.start" and 400 <= message["status"] < 500:
                self.engine.counts["rejected"] += 1
            await send(message)

        refusal = self.check_token(scope)
        body = b""
        if refusal is None and scope["method"] in ("POST", "PUT", "PATCH"):
            body, refusal = await self.read_body(scope, receive)
        if refusal is not None:
            return await refusal(scope, receive, counting_send)
        delivered = False

        async def replay():
            nonlocal delivered
            if delivered:
                return await receive()
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        if scope["method"] not in ("POST", "PUT", "PATCH"):
            return await self.app(scope, receive, counting_send)
        # The body is JSON (checked above), whatever the client's Content-Type said.
        headers = [(k, v) for k, v in scope["headers"] if k != b"content-type"] + [(b"content-type", b"application/json")]
        await self.app({**scope, "headers": headers}, replay, counting_send)

    def check_token(self, scope) -> JSONResponse | None:
        if self.token is None or scope["path"] in OPEN_PATHS:
            return None
        headers = dict(scope["headers"])
        given = headers.get(b"authorization", b"").decode("latin-1")
        scheme, _, value = given.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip().encode(), self.token.encode()):
            response = error_response(401, "missing or wrong bearer token (Authorization: Bearer <token>)")
            response.headers["WWW-Authenticate"] = "Bearer"
            return response
        return None

    async def read_body(self, scope, receive) -> tuple[bytes, JSONResponse | None]:
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body_bytes:
            return b"", error_response(413, f"request body of {int(length)} bytes; at most {self.max_body_bytes}")
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return b"", error_response(400, "the client disconnected before sending the whole body")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return b"", error_response(413, f"request body over {self.max_body_bytes} bytes")
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            return body, error_response(400, f"request body is not UTF-8: byte 0x{body[exc.start]:02x} at "
                                             f"offset {exc.start}")
        if not text.strip():
            return body, error_response(400, "empty request body; expected a JSON object")
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            return body, error_response(400, f"malformed JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})")
        except RecursionError:
            return body, error_response(400, "malformed JSON: nested too deeply")
        field = find_lone_surrogate(value, raw=text)
        if field is not None:  # text no UTF-8 store or response could hold
            return body, error_response(422, f"{field or 'body'}: {LONE_SURROGATE}")
        return body, None


def validation_message(exc: RequestValidationError) -> str:
    """The first validation error on one line: ``conversations.3.persona_id: Field required``."""
    err = exc.errors()[0]
    loc = ".".join(str(part) for part in err.get("loc", ()) if part != "body")
    message = str(err.get("msg", "invalid")).removeprefix("Value error, ")
    if err.get("type") == "extra_forbidden":
        message = "unknown field"
    return f"{loc}: {message}" if loc else message


def create_app(engine: ConversationEngine, token: Optional[str] = None,
               max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> Any:
    """The ASGI application serving ``engine``; ``token`` (if any) guards every path but health and docs."""
    dispatcher = Dispatcher(engine)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        dispatcher.start()
        yield
        await dispatcher.close()

    api = FastAPI(
        title="rlemp simulated users",
        version="1.0",
        description="Verifiable simulated affective users (SAGE rules) for any RL engine: start conversations, "
                    "send the agent's replies, read the user's reaction and emotion, fetch and verify transcripts.",
        lifespan=lifespan,
        responses=ERRORS,
    )

    @api.exception_handler(ServiceError)
    async def service_error(request: Request, exc: ServiceError):
        return error_response(exc.status, str(exc))

    @api.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError):
        return error_response(422, validation_message(exc))

    @api.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        return error_response(exc.status_code, str(exc.detail))

    @api.post("/v1/conversations", response_model=Started, status_code=201, tags=["conversations"])
    async def start(request: StartRequest) -> Started:
        """Open a conversation: the simulated user's opening message and starting emotion."""
        return (await dispatcher.call(engine.start, [request]))[0]

    @api.post("/v1/conversations/batch", response_model=BatchStarted, tags=["conversations"])
    async def start_batch(request: BatchStartRequest) -> BatchStarted:
        """Open many conversations at once (all or none)."""
        return BatchStarted(conversations=await dispatcher.call(engine.start, request.conversations, True))

    @api.post("/v1/conversations/{conversation_id}/reply", response_model=TurnResult, tags=["conversations"],
              responses={502: {"model": ErrorBody}})
    async def reply(conversation_id: str, request: ReplyRequest) -> TurnResult:
        """Send the agent's reply: the user's message, emotion, change, rationale, and whether it ended."""
        item = BatchReply(conversation_id=conversation_id, **request.model_dump())
        (result,) = await dispatcher.reply([item], False)
        if isinstance(result, FailedTurn):
            return error_response(502, f"the simulator failed: {result.error}")
        return result

    @api.post("/v1/replies/batch", response_model=BatchTurns, tags=["conversations"])
    async def reply_batch(request: BatchReplyRequest) -> BatchTurns:
        """One reply for each of many conversations; a conversation the simulator failed on is a
        ``{conversation_id, error}`` entry and can be sent again."""
        return BatchTurns(turns=await dispatcher.reply(request.replies, True))

    @api.get("/v1/conversations/{conversation_id}", tags=["transcripts"])
    async def transcript(conversation_id: str) -> dict[str, Any]:
        """The conversation as an rlemp transcript (one line of a transcripts JSONL file, `rlemp verify` reads it)."""
        t = await dispatcher.call(engine.transcript, conversation_id)
        return t.model_dump(mode="json", exclude_none=True)

    @api.get("/v1/conversations/{conversation_id}/verify", response_model=Verified, tags=["transcripts"])
    async def verify(conversation_id: str) -> Verified:
        """Replay the conversation with the simulator its header names and compare every score."""
        return await dispatcher.call(engine.verify, conversation_id)

    @api.get("/v1/transcripts", response_class=PlainTextResponse, tags=["transcripts"])
    async def transcripts(status: str = Query("finished", pattern="^(finished|open|all)$")) -> PlainTextResponse:
        """Every stored conversation as transcripts JSONL (``finished``, ``open`` or ``all``)."""
        done = {"finished": True, "open": False, "all": None}[status]
        text = await dispatcher.call(engine.transcripts_jsonl, done)
        return PlainTextResponse(text, media_type="application/x-ndjson")

    @api.get("/health", response_model=Health, tags=["service"])
    async def health() -> Health:
        return engine.health()

    @api.get("/metrics", response_model=Metrics, tags=["service"])
    async def metrics() -> Metrics:
        return await dispatcher.call(engine.metrics)

    @api.post("/get_env_response_batched", tags=["RLVER"])
    async def env_response_batched(request: EnvRequest) -> list[dict[str, Any]]:
        """RLVER's environment contract (`environment.url` of its `URLEnvironment`): for each conversation, the
        simulated user's next message with `emo_point` (its reward x 100), `done` and `conversation_id`."""
        return await dispatcher.call(engine.env_responses, request.messages_batched)

    return RequestGuard(api, engine, token, max_body_bytes)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(engine: ConversationEngine, host: str, port: int, token: Optional[str],
          max_body_bytes: int = DEFAULT_MAX_BODY_BYTES, on_ready=None) -> None:
    """Serve ``engine`` with uvicorn until SIGINT/SIGTERM. Beyond loopback a token is required. The socket is
    bound first, so that port 0 picks a free port; ``on_ready(url)`` is called with the real address."""
    import socket

    import uvicorn

    if not token and not is_loopback(host):
        raise RlempError(f"serving on {host} (beyond loopback) needs a bearer token: set the environment "
                         "variable named by --token-env")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit this: a response's head and body leave at once instead of the body waiting
    # for the client's delayed ACK of the head (40 ms a request on Linux).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)  # connections made from now on wait in the backlog until uvicorn accepts them
    except OSError as exc:
        sock.close()
        raise RlempError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    bound = sock.getsockname()[1]
    # Trainers pause between rollouts: keep their idle connections (uvicorn's default closes them after 5 s,
    # and a request racing that close fails on the client side).
    config = uvicorn.Config(create_app(engine, token, max_body_bytes), log_level="warning", access_log=False,
                            timeout_graceful_shutdown=5, timeout_keep_alive=300)
    if on_ready is not None:
        on_ready(f"http://{'[' + host + ']' if ':' in host else host}:{bound}")
    uvicorn.Server(config).run(sockets=[sock])
