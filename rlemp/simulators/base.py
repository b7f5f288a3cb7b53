"""The simulated-user interface shared by every backend, and the SAGE emotion rules they all obey.

Emotion lives in [0, 100] and starts at the persona's ``initial_emotion``; one turn moves it by at most 10
either way; the conversation ends at 100 (success), below 10 (failure), on the user's goodbye, or after
``max_turns`` agent replies. A backend only decides the *reaction* to a reply (signed change, user text,
rationale, goodbye); :meth:`UserSimulator.step` applies these rules, so every backend scores alike.
"""

from __future__ import annotations

import hashlib
import json
import logging
from abc import ABC, abstractmethod
from collections import Counter
from dataclasses import dataclass
from typing import Any, ClassVar, Sequence

from pydantic import BaseModel, ConfigDict

from rlemp.errors import RlempError
from rlemp.personas import Persona
from rlemp.transcript import FAILURE_BELOW, MAX_DELTA, SUCCESS_EMOTION, Transcript, Turn

logger = logging.getLogger(__name__)

# Longest agent reply a simulated user reads, in characters (a 64-token turn is a few hundred): longer ones are
# cut, and counted in the log, so that a runaway generation cannot stall the rule backend or bloat an LLM prompt.
MAX_REPLY_CHARS = 8000
DEFAULT_MAX_TURNS = 8


def band(emotion: int) -> str:
    """SAGE bands: S >= 100, A 70-99, B 40-69, C 10-39, F < 10."""
    if emotion >= 100:
        return "S"
    if emotion >= 70:
        return "A"
    if emotion >= 40:
        return "B"
    if emotion >= 10:
        return "C"
    return "F"


@dataclass
class Reaction:
    """What a backend decides about one agent reply, before the shared rules are applied."""

    user: str
    change: float
    rationale: str
    goodbye: bool = False
    fallback: bool = False
    # Machine-readable names of what the backend saw in the reply ("validation", "advice"...); rationale is prose.
    signals: tuple[str, ...] = ()


class SimulatorError(RlempError):
    """A backend could not produce a reaction for one conversation (endpoint down after all retries...)."""


class SimulatorConfig(BaseModel):
    """Base of every backend's config; all fields go into the config hash. No field takes NaN or infinity (an
    infinite backoff or timeout would hang a run)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class UserSimulator(ABC):
    """A simulated affective user. ``start`` opens a transcript, ``step`` appends the user's reaction."""

    backend: ClassVar[str]
    version: ClassVar[str]
    config_class: ClassVar[type[SimulatorConfig]] = SimulatorConfig
    # Whether a replay reproduces the whole reaction (user text, rationale, fallback flag), not only the scores:
    # true where the reaction is a function of the transcript, the config and the seed. ``rlemp verify`` then
    # compares those too.
    replays_reactions: ClassVar[bool] = False

    def __init__(self, config: SimulatorConfig | dict[str, Any] | None = None):
        if config is None:
            config = {}
        self.config = config if isinstance(config, SimulatorConfig) else self.config_class.model_validate(config)
        # requests, retries, cache_hits, fallbacks (judged as change 0), failures (SimulatorError)...
        self.stats: Counter[str] = Counter()

    def prompt_texts(self) -> dict[str, str]:
        """Prompt templates that shape the reactions; part of the config hash."""
        return {}

    @property
    def config_dict(self) -> dict[str, Any]:
        return self.config.model_dump(mode="json")

    @property
    def config_hash(self) -> str:
        payload = {
            "backend": self.backend,
            "version": self.version,
            "config": self.config_dict,
            "prompts": self.prompt_texts(),
        }
        blob = json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()
        return "sha256:" + hashlib.sha256(blob).hexdigest()[:16]

    def opening(self, persona: Persona, seed: int) -> str:
        return persona.first_message

    def refusal(self, persona: Persona) -> tuple[str, str] | None:
        """``(field, reason)`` when this backend cannot play ``persona``, else None. Loading a persona file for a
        simulator (``load_personas(path, simulator)``) names the line; :meth:`start` refuses it too."""
        return None

    def start(self, persona: Persona, seed: int, max_turns: int = DEFAULT_MAX_TURNS) -> Transcript:
        """Open a conversation; the opening user message is ``transcript.opening``."""
        refused = self.refusal(persona)
        if refused:
            raise RlempError(f"persona {persona.id}: field '{refused[0]}': {refused[1]}")
        return Transcript(
            persona_id=persona.id,
            backend=self.backend,
            simulator_version=self.version,
            config_hash=self.config_hash,
            simulator_config=self.config_dict,
            seed=seed,
            max_turns=max_turns,
            opening=self.opening(persona, seed),
            initial_emotion=persona.initial_emotion,
            persona=persona,
            final_emotion=persona.initial_emotion,
        )

    @abstractmethod
    def react(self, transcript: Transcript, agent_reply: str) -> Reaction:
        """Decide the user's reaction to ``agent_reply`` given the conversation so far."""

    def react_many(
        self, transcripts: Sequence[Transcript], replies: Sequence[str]
    ) -> list[Reaction | SimulatorError]:
        """Reactions for many conversations at once; backends override this to batch or run concurrently.

        A conversation the backend could not judge gets a :class:`SimulatorError` in its place.
        """
        return [self.react(t, r) for t, r in zip(transcripts, replies)]

    def step(self, transcript: Transcript, agent_reply: str, thoughts: str | None = None) -> Turn:
        """One reply for one conversation; raises :class:`SimulatorError` if the backend failed."""
        result = self.step_many([transcript], [agent_reply], [thoughts])[0]
        if isinstance(result, SimulatorError):
            raise result
        return result

    def step_many(
        self,
        transcripts: Sequence[Transcript],
        replies: Sequence[str],
        thoughts: Sequence[str | None] | None = None,
    ) -> list[Turn | SimulatorError]:
        """Advance each open conversation by one agent reply; returns the appended turns in order.

        Where the backend failed, the transcript is left unchanged and the error takes the turn's place.
        """
        if len(transcripts) != len(replies):
            raise ValueError("one reply per transcript")
        for t in transcripts:
            if t.done:
                raise ValueError(f"conversation with persona {t.persona_id} has already ended ({t.outcome})")
        thoughts = thoughts or [None] * len(replies)
        too_long = sum(len(reply) > MAX_REPLY_CHARS for reply in replies)
        if too_long:
            logger.warning("cut %d agent replies to %d characters", too_long, MAX_REPLY_CHARS)
            replies = [reply[:MAX_REPLY_CHARS] for reply in replies]
        reactions = self.react_many(transcripts, replies)
        return [
            r if isinstance(r, SimulatorError) else apply_reaction(t, r, reply, th)
            for t, r, reply, th in zip(transcripts, reactions, replies, thoughts)
        ]


def apply_reaction(transcript: Transcript, reaction: Reaction, agent_reply: str, thoughts: str | None) -> Turn:
    """Clamp the change, move the emotion, append the turn and settle the outcome (SAGE rules)."""
    delta = int(max(-MAX_DELTA, min(MAX_DELTA, round(reaction.change))))
    emotion = max(0, min(SUCCESS_EMOTION, transcript.final_emotion + delta))
    turn = Turn(
        agent=agent_reply,
        user=reaction.user,
        emotion=emotion,
        delta=emotion - transcript.final_emotion,
        rationale=reaction.rationale,
        agent_thoughts=thoughts,
        fallback=reaction.fallback,
    )
    transcript.turns.append(turn)
    transcript.final_emotion = emotion
    if emotion >= SUCCESS_EMOTION:
        transcript.outcome = "success"
    elif emotion < FAILURE_BELOW:
        transcript.outcome = "failure"
    elif reaction.goodbye:
        transcript.outcome = "goodbye"
    elif len(transcript.turns) >= transcript.max_turns:
        transcript.outcome = "max_turns"
    return turn
