"""A small client of ``rlemp serve`` (httpx): :class:`ServiceClient` (blocking) and :class:`AsyncServiceClient`.

Both speak the wire format of :mod:`rlemp.service.schemas` and turn an error answer into a
:class:`~rlemp.service.schemas.ServiceError` carrying the server's status and one-line reason. A connection that
fails, a timeout or a 5xx is retried ``max_retries`` times with exponential backoff; replies carry their turn
number, so a retried reply that the server had already recorded is answered from its store, never judged twice.
The token, if any, is read from the environment variable named ``token_env`` and sent only as a bearer header.
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any, Optional, Sequence

import httpx

from rlemp.personas import Persona
from rlemp.service.schemas import ServiceError
from rlemp.service.schemas import (BatchReply, BatchStarted, BatchTurns, FailedTurn, Health, Metrics, Started,
                                   TurnResult, Verified)
from rlemp.transcript import Transcript

TOKEN_ENV = "RLEMP_SERVE_TOKEN"


def start_body(persona: str | Persona, seed: int, max_turns: int) -> dict[str, Any]:
    """A start request for a persona id of the server's bank or a whole persona."""
    who = {"persona_id": persona} if isinstance(persona, str) else {"persona": persona.model_dump(mode="json")}
    return {**who, "seed": seed, "max_turns": max_turns}


def raise_for_error(response: httpx.Response) -> Any:
    """The decoded JSON body of a success; a :class:`ServiceError` with the server's reason otherwise."""
    if response.status_code >= 400:
        try:
            reason = response.json()["error"]
        except (ValueError, KeyError, TypeError):
            reason = response.text[:300] or response.reason_phrase
        raise ServiceError(response.status_code, f"{response.request.url}: {response.status_code} {reason}")
    return response.json() if response.headers.get("content-type", "").startswith("application/json") else response.text


def retryable(exc: BaseException) -> bool:
    return isinstance(exc, httpx.TransportError) or isinstance(exc, ServiceError) and exc.status >= 500


class ClientSettings:
    def __init__(self, url: str, token_env: Optional[str] = TOKEN_ENV, timeout_s: float = 60.0,
                 max_retries: int = 3, backoff_s: float = 0.5):
        self.url = url.rstrip("/")
        self.timeout_s, self.max_retries, self.backoff_s = timeout_s, max_retries, backoff_s
        token = os.environ.get(token_env) if token_env else None
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def delay(self, attempt: int) -> float:
        return min(self.backoff_s * 2**attempt, 30.0)


class ServiceClient(ClientSettings):
    """Blocking client; one connection pool, usable from several threads."""

    def __init__(self, url: str, **settings: Any):
        super().__init__(url, **settings)
        self.http = httpx.Client(base_url=self.url, headers=self.headers, timeout=self.timeout_s,
                                 limits=httpx.Limits(max_connections=256, max_keepalive_connections=256))

    def request(self, method: str, path: str, body: Any = None) -> Any:
        for attempt in range(self.max_retries + 1):
            try:
                return raise_for_error(self.http.request(method, path, json=body))
            except (httpx.TransportError, ServiceError) as exc:
                if not retryable(exc) or attempt == self.max_retries:
                    if isinstance(exc, httpx.TransportError):
                        raise ServiceError(503, f"{self.url}{path}: {type(exc).__name__}: {exc}") from None
                    raise
                time.sleep(self.delay(attempt))

    def start(self, persona: str | Persona, seed: int = 0, max_turns: int = 8) -> Started:
        return Started.model_validate(self.request("POST", "/v1/conversations", start_body(persona, seed, max_turns)))

    def start_many(self, starts: Sequence[tuple[str | Persona, int, int]]) -> list[Started]:
        body = {"conversations": [start_body(*s) for s in starts]}
        return BatchStarted.model_validate(self.request("POST", "/v1/conversations/batch", body)).conversations

    def reply(self, conversation_id: str, reply: str, turn: Optional[int] = None, **extra: Any) -> TurnResult:
        body = {"reply": reply, "turn": turn, **extra}
        return TurnResult.model_validate(self.request("POST", f"/v1/conversations/{conversation_id}/reply", body))

    def reply_many(self, replies: Sequence[BatchReply]) -> list[TurnResult | FailedTurn]:
        body = {"replies": [r.model_dump(exclude_none=True) for r in replies]}
        return BatchTurns.model_validate(self.request("POST", "/v1/replies/batch", body)).turns

    def transcript(self, conversation_id: str) -> Transcript:
        return Transcript.model_validate(self.request("GET", f"/v1/conversations/{conversation_id}"))

    def verify(self, conversation_id: str) -> Verified:
        return Verified.model_validate(self.request("GET", f"/v1/conversations/{conversation_id}/verify"))

    def transcripts_jsonl(self, status: str = "finished") -> str:
        return self.request("GET", f"/v1/transcripts?status={status}")

    def health(self) -> Health:
        return Health.model_validate(self.request("GET", "/health"))

    def metrics(self) -> Metrics:
        return Metrics.model_validate(self.request("GET", "/metrics"))

    def env_responses(self, messages_batched: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
        return self.request("POST", "/get_env_response_batched", {"messages_batched": messages_batched})

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> "ServiceClient":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class AsyncServiceClient(ClientSettings):
    """The same calls for asyncio code (verl's interactions are coroutines)."""

    def __init__(self, url: str, **settings: Any):
        super().__init__(url, **settings)
        self.http = httpx.AsyncClient(base_url=self.url, headers=self.headers, timeout=self.timeout_s,
                                      limits=httpx.Limits(max_connections=256, max_keepalive_connections=256))

    async def request(self, method: str, path: str, body: Any = None) -> Any:
        for attempt in range(self.max_retries + 1):
            try:
                return raise_for_error(await self.http.request(method, path, json=body))
            except (httpx.TransportError, ServiceError) as exc:
                if not retryable(exc) or attempt == self.max_retries:
                    if isinstance(exc, httpx.TransportError):
                        raise ServiceError(503, f"{self.url}{path}: {type(exc).__name__}: {exc}") from None
                    raise
                await asyncio.sleep(self.delay(attempt))

    async def start(self, persona: str | Persona, seed: int = 0, max_turns: int = 8) -> Started:
        body = start_body(persona, seed, max_turns)
        return Started.model_validate(await self.request("POST", "/v1/conversations", body))

    async def reply(self, conversation_id: str, reply: str, turn: Optional[int] = None, **extra: Any) -> TurnResult:
        body = {"reply": reply, "turn": turn, **extra}
        return TurnResult.model_validate(await self.request("POST", f"/v1/conversations/{conversation_id}/reply", body))

    async def transcript(self, conversation_id: str) -> Transcript:
        return Transcript.model_validate(await self.request("GET", f"/v1/conversations/{conversation_id}"))

    async def aclose(self) -> None:
        await self.http.aclose()
