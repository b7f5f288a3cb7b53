"""The service's wire format: request and response bodies (pydantic; unknown fields are refused)."""

from __future__ import annotations

from typing import Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, model_validator

from rlemp.errors import RlempError, printable
from rlemp.personas import Persona
from rlemp.simulators.base import DEFAULT_MAX_TURNS
from rlemp.transcript import Outcome

MAX_SEED = 2**32 - 1
MAX_TURNS_LIMIT = 1000
MAX_BATCH = 4096


class ServiceError(RlempError):
    """A request the service refuses: an HTTP status (4xx) and a one-line reason."""

    def __init__(self, status: int, message: str):
        self.status = status
        super().__init__(printable(message))


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StartRequest(Strict):
    """Open a conversation with a persona of the server's bank (``persona_id``) or one sent whole (``persona``)."""

    persona_id: Optional[str] = None
    persona: Optional[Persona] = None
    seed: int = Field(0, ge=0, le=MAX_SEED)
    max_turns: int = Field(DEFAULT_MAX_TURNS, ge=1, le=MAX_TURNS_LIMIT)

    @model_validator(mode="after")
    def _one_persona(self) -> "StartRequest":
        if (self.persona_id is None) == (self.persona is None):
            raise ValueError("give exactly one of persona_id and persona")
        return self


class Started(Strict):
    conversation_id: str
    persona_id: str
    opening: str = Field(description="the simulated user's first message")
    emotion: int = Field(description="starting emotion, 0-100")
    max_turns: int
    backend: str
    simulator_version: str
    config_hash: str


class ReplyRequest(Strict):
    """The agent's reply. ``turn`` (1-based) makes a retry safe: a reply already recorded as that turn is
    answered from the store instead of being judged twice. ``max_turns`` may end the conversation earlier."""

    reply: str
    thoughts: Optional[str] = None
    turn: Optional[int] = Field(None, ge=1)
    max_turns: Optional[int] = Field(None, ge=1, le=MAX_TURNS_LIMIT)


class BatchReply(ReplyRequest):
    conversation_id: str


class TurnResult(Strict):
    conversation_id: str
    turn: int
    user: str = Field(description="the simulated user's message")
    emotion: int
    change: int
    rationale: str
    fallback: bool = Field(description="the simulator could not judge the reply and kept the emotion")
    ended: bool
    outcome: Optional[Outcome] = None


class FailedTurn(Strict):
    """The simulator failed on this conversation (an LLM endpoint down after its retries); nothing was recorded."""

    conversation_id: str
    error: str


class BatchStartRequest(Strict):
    conversations: list[StartRequest] = Field(min_length=1, max_length=MAX_BATCH)


class BatchStarted(Strict):
    conversations: list[Started]


class BatchReplyRequest(Strict):
    replies: list[BatchReply] = Field(min_length=1, max_length=MAX_BATCH)


class BatchTurns(Strict):
    turns: list[Union[TurnResult, FailedTurn]]


class Verified(Strict):
    conversation_id: str
    ok: bool
    turns: int
    mismatch: Optional[str] = None


class Health(Strict):
    status: Literal["ok"] = "ok"
    backend: str
    simulator_version: str
    config_hash: str
    simulator_config: dict[str, Any]
    personas: int


class Metrics(Strict):
    conversations_open: int
    conversations_in_memory: int = Field(description="open conversations held in memory (at most --max-in-memory)")
    conversations_read_back: int = Field(description="open conversations read back from the store, since this "
                                                     "process started")
    conversations_finished: int
    conversations_started: int = Field(description="since this process started")
    turns_served: int = Field(description="since this process started")
    turns_stored: int = Field(description="every turn in the store")
    fallbacks: int = Field(description="turns the simulator could not judge, since this process started")
    failures: int = Field(description="turns the simulator failed on, since this process started")
    rejected: int = Field(description="requests answered with a 4xx, since this process started")
    simulator: dict[str, int] = Field(description="the backend's own counters (requests, retries, cache hits...)")


class EnvRequest(Strict):
    """RLVER's environment contract: every conversation so far, as chat messages, ending with the agent's reply."""

    messages_batched: list[list[dict[str, Any]]] = Field(min_length=1, max_length=MAX_BATCH)


class ErrorBody(Strict):
    error: str
