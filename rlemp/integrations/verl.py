"""rlemp's simulated users as a verl interaction (``verl.interactions.base.BaseInteraction``, verl 0.5-0.7).

verl's multi-turn agent loop calls ``start_interaction(request_id, **interaction_kwargs)`` once per rollout, then
``generate_response(request_id, messages, **interaction_kwargs)`` after every assistant turn, appending the
returned text as the next user message and stopping when told to. Here the user is an rlemp simulated user,
in-process (``personas`` + ``backend``) or a running ``rlemp serve`` (``url``); each sample names its persona
in ``extra_info.interaction_kwargs`` (``persona_id``, ``seed``, ``max_turns``), as :func:`dataset_rows` writes.

Scores: every turn returns ``turn_score`` = emotion / 100 (``turn_score: emotion``, the default; the last one is
RLVER's reward) or change / 100 (``turn_score: change``, summing to the net change); ``calculate_score`` is the
final emotion / 100. ``extra`` carries emotion, change, rationale, outcome and the conversation id. Replies are
read without their ``<think>`` block, as rlemp's own rollouts do. In-process conversations are appended to
``transcripts`` (a JSONL file ``rlemp verify`` replays) when they are finalized; a server stores its own.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any, Literal, Optional, Sequence

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from rlemp.chat import split_thoughts, system_prompt
from rlemp.errors import RlempError, first_validation_error
from rlemp.personas import Persona

try:
    from verl.interactions.base import BaseInteraction
except ImportError as exc:  # verl >= 0.8 has no interactions; without verl this module cannot be used
    raise RlempError("rlemp.integrations.verl needs verl's BaseInteraction (verl 0.5-0.7): "
                     "pip install 'rlemp[verl]'") from exc

logger = logging.getLogger(__name__)


class InteractionConfig(BaseModel):
    """The ``config`` of the interaction in verl's interaction-config YAML."""

    model_config = ConfigDict(extra="forbid")

    name: str = "rlemp"
    url: Optional[str] = Field(None, description="a running rlemp serve; else the simulator runs in-process")
    token_env: Optional[str] = "RLEMP_SERVE_TOKEN"
    personas: Optional[str] = Field(None, description="in-process: persona JSONL (default: the training bank)")
    backend: str = "rule"
    simulator_config: dict[str, Any] = Field(default_factory=dict)
    transcripts: Optional[str] = Field(None, description="in-process: append finished transcripts to this JSONL")
    turn_score: Literal["emotion", "change"] = "emotion"
    max_turns: int = Field(8, ge=1, description="when a sample does not say")
    timeout_s: float = Field(120.0, gt=0)

    @model_validator(mode="after")
    def _one_mode(self) -> "InteractionConfig":
        if self.url is not None and (self.personas is not None or self.transcripts is not None):
            raise ValueError("url (a server) and personas/transcripts (in-process) exclude each other")
        return self


class RlempInteraction(BaseInteraction):
    """verl interaction whose user is an rlemp simulated user (see the module docstring)."""

    def __init__(self, config: dict[str, Any]):
        super().__init__(config)
        try:
            self.settings = InteractionConfig.model_validate(dict(config))
        except ValidationError as exc:
            field, message = first_validation_error(exc)
            raise RlempError(f"rlemp interaction config field '{field}': {message}") from None
        self.sessions: dict[str, Any] = {}  # instance id -> conversation id (server) or Transcript (in-process)
        self.client = None
        if self.settings.url is not None:
            from rlemp.service.client import AsyncServiceClient

            self.client = AsyncServiceClient(self.settings.url, token_env=self.settings.token_env,
                                             timeout_s=self.settings.timeout_s)
        else:
            from rlemp.paths import TRAIN_PERSONAS, resolve_data_path
            from rlemp.personas import load_personas
            from rlemp.simulators import build_simulator

            self.simulator = build_simulator(self.settings.backend, self.settings.simulator_config)
            path = resolve_data_path(self.settings.personas) if self.settings.personas else TRAIN_PERSONAS
            self.bank = {p.id: p for p in load_personas(path)}
            self.lock = threading.Lock()  # one simulator, many coroutines: one call at a time

    async def start_interaction(self, instance_id: Optional[str] = None, persona_id: Optional[str] = None,
                                seed: int = 0, max_turns: Optional[int] = None, **kwargs: Any) -> str:
        instance_id = await super().start_interaction(instance_id)
        if persona_id is None:
            raise RlempError("interaction_kwargs needs persona_id (see rlemp.integrations.verl.dataset_rows)")
        max_turns = max_turns or self.settings.max_turns
        if self.client is not None:
            started = await self.client.start(persona_id, seed, max_turns)
            self.sessions[instance_id] = started.conversation_id
        else:
            persona = self.bank.get(persona_id)
            if persona is None:
                raise RlempError(f"unknown persona {persona_id!r} (the interaction has {len(self.bank)} personas)")
            self.sessions[instance_id] = await self.call(self.simulator.start, persona, seed, max_turns)
        return instance_id

    async def generate_response(self, instance_id: str, messages: list[dict[str, Any]],
                                **kwargs: Any) -> tuple[bool, str, float, dict[str, Any]]:
        session = self.session(instance_id)
        said = next((m.get("content") for m in reversed(messages) if m.get("role") == "assistant"), None)
        if not isinstance(said, str):
            raise RlempError(f"interaction {instance_id}: no assistant message to react to")
        thoughts, reply = split_thoughts(said)
        if self.client is not None:
            turns = sum(m.get("role") == "assistant" for m in messages)
            result = await self.client.reply(session, reply, turn=turns)
            emotion, change, user, ended = result.emotion, result.change, result.user, result.ended
            extra = {"conversation_id": session, "rationale": result.rationale, "outcome": result.outcome,
                     "fallback": result.fallback}
        else:
            if session.done:
                raise RlempError(f"interaction {instance_id}: the conversation has ended ({session.outcome})")
            turn = await self.call(self.simulator.step, session, reply, thoughts)
            emotion, change, user, ended = turn.emotion, turn.delta, turn.user, session.done
            extra = {"rationale": turn.rationale, "outcome": session.outcome, "fallback": turn.fallback}
        score = (emotion if self.settings.turn_score == "emotion" else change) / 100
        return ended, user, score, {"emotion": emotion, "change": change, **extra}

    async def calculate_score(self, instance_id: Optional[str] = None, **kwargs: Any) -> float:
        """The final emotion / 100 of the conversation so far (RLVER's reward)."""
        return (await self.transcript(instance_id)).final_emotion / 100

    async def finalize_interaction(self, instance_id: Optional[str] = None, **kwargs: Any) -> None:
        session = self.sessions.pop(instance_id, None)
        if session is not None and self.client is None and self.settings.transcripts:
            from rlemp.transcript import TranscriptWriter

            with TranscriptWriter(self.settings.transcripts) as writer:
                writer.write(session)

    async def transcript(self, instance_id: str):
        """The conversation as an rlemp transcript (fetched from the server in server mode)."""
        session = self.session(instance_id)
        return await self.client.transcript(session) if self.client is not None else session

    def session(self, instance_id: Optional[str]) -> Any:
        if instance_id not in self.sessions:
            raise RlempError(f"unknown interaction instance {instance_id!r}: start_interaction first")
        return self.sessions[instance_id]

    async def call(self, fn, *args):
        def locked():
            with self.lock:
                return fn(*args)

        return await asyncio.to_thread(locked)


def dataset_rows(personas: Sequence[Persona], seeds: Sequence[int] = (0,), max_turns: int = 8,
                 name: str = "rlemp", thinking: bool = False) -> list[dict[str, Any]]:
    """verl dataset rows, one per (persona, seed): rlemp's system prompt and the persona's opening message as
    ``prompt``, and the ``interaction_kwargs`` that name the persona. Write them with ``datasets`` or pandas
    to the parquet file of ``data.train_files``."""
    return [
        {
            "data_source": "rlemp",
            "prompt": [{"role": "system", "content": system_prompt(thinking)},
                       {"role": "user", "content": persona.first_message}],
            "extra_info": {"interaction_kwargs": {"name": name, "persona_id": persona.id, "seed": seed,
                                                  "max_turns": max_turns}},
        }
        for persona in personas
        for seed in seeds
    ]

