"""The transcript: the one record every part of rlemp reads and writes (JSONL on disk).

Its header holds everything needed to replay its emotion scores (persona, simulator backend, version, config,
hash of config plus prompts, seed); :mod:`rlemp.simulators.replay` does the replay and compares each turn with
:func:`turn_difference`. Numbers are strict (a JSON ``"45"`` or ``45.0`` is no emotion, a seed is a 63-bit
non-negative integer), so a file either reads as exactly what was written or fails with its line and field;
:meth:`Transcript.inconsistency` checks what a transcript says about itself (each turn's emotion and delta, the
final emotion and outcome) without a replay.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from rlemp.errors import InputError, validate_line
from rlemp.files import JsonlWriter, iter_jsonl
from rlemp.personas import Persona

Outcome = Literal["success", "failure", "goodbye", "max_turns"]
OUTCOMES = ("success", "failure", "goodbye", "max_turns")
MAX_SEED = 2**63 - 1  # a signed 64-bit integer: numpy, torch and SQLite take it as is
# The SAGE lines: success at 100, failure below 10, at most 10 points a turn (the simulators take them from here).
SUCCESS_EMOTION = 100
FAILURE_BELOW = 10
MAX_DELTA = 10


class Turn(BaseModel):
    """One exchange: the agent's reply (thoughts kept apart) and the simulated user's reaction."""

    model_config = ConfigDict(extra="forbid")

    agent: str
    user: str
    emotion: StrictInt = Field(ge=0, le=100)
    delta: StrictInt = Field(ge=-MAX_DELTA, le=MAX_DELTA)
    rationale: str
    agent_thoughts: Optional[str] = None
    fallback: StrictBool = False  # the simulator could not judge this turn and kept the emotion (LLM backends)


class Transcript(BaseModel):
    """One conversation between an agent and a simulated user, with the header needed to replay it."""

    model_config = ConfigDict(extra="forbid")

    persona_id: str
    backend: str
    simulator_version: str
    config_hash: str
    simulator_config: dict[str, Any]
    seed: StrictInt = Field(ge=0, le=MAX_SEED)
    max_turns: StrictInt = Field(ge=1)
    opening: str
    initial_emotion: StrictInt = Field(ge=0, le=100)
    persona: Persona
    turns: list[Turn] = Field(default_factory=list)
    final_emotion: StrictInt = Field(ge=0, le=100)
    outcome: Optional[Outcome] = None
    meta: dict[str, Any] = Field(default_factory=dict)

    @property
    def done(self) -> bool:
        return self.outcome is not None

    @property
    def succeeded(self) -> bool:
        """The simulator ended the conversation at full emotion: the one success test every metric uses."""
        return self.outcome == "success"

    @property
    def failed(self) -> bool:
        """The simulator ended the conversation because the emotion fell below the failure line."""
        return self.outcome == "failure"

    @property
    def emotions(self) -> list[int]:
        """Emotion before the first turn and after each turn."""
        return [self.initial_emotion] + [t.emotion for t in self.turns]

    def messages(self, system: str | None = None) -> list[dict[str, str]]:
        """The conversation as chat messages from the agent's side (user first, thoughts stripped)."""
        msgs = [{"role": "system", "content": system}] if system else []
        msgs.append({"role": "user", "content": self.opening})
        for turn in self.turns:
            msgs.append({"role": "assistant", "content": turn.agent})
            msgs.append({"role": "user", "content": turn.user})
        return msgs

    def to_json(self) -> str:
        return json.dumps(self.model_dump(mode="json", exclude_none=True), ensure_ascii=False)

    def inconsistency(self) -> tuple[str, str] | None:
        """The first place where the transcript contradicts itself, as ``(field, message)``, or None: each turn's
        delta is the step from the emotion before it, ``final_emotion`` is the last emotion, no turn follows the
        end or passes ``max_turns``, and a finished conversation's outcome fits its final emotion (SAGE rules).
        Needs no simulator, so it holds for every backend."""
        if self.initial_emotion != self.persona.initial_emotion:
            return "initial_emotion", (f"{self.initial_emotion} is not the persona's initial_emotion "
                                       f"{self.persona.initial_emotion}")
        if len(self.turns) > self.max_turns:
            return "turns", f"{len(self.turns)} turns, more than max_turns {self.max_turns}"
        before = self.initial_emotion
        for number, turn in enumerate(self.turns):
            if turn.delta != turn.emotion - before:
                return (f"turns.{number}.delta",
                        f"{turn.delta} does not take the emotion from {before} to {turn.emotion}")
            if number < len(self.turns) - 1 and (turn.emotion >= SUCCESS_EMOTION or turn.emotion < FAILURE_BELOW):
                return f"turns.{number + 1}", f"a turn after the conversation ended at emotion {turn.emotion}"
            before = turn.emotion
        if self.final_emotion != before:
            return "final_emotion", f"{self.final_emotion}, but the last emotion of the turns is {before}"
        if self.outcome == "success" and self.final_emotion < SUCCESS_EMOTION:
            return "outcome", f"'success' at final emotion {self.final_emotion} (success is {SUCCESS_EMOTION})"
        if self.outcome == "failure" and self.final_emotion >= FAILURE_BELOW:
            return "outcome", f"'failure' at final emotion {self.final_emotion} (failure is below {FAILURE_BELOW})"
        if self.outcome in ("goodbye", "max_turns") and not FAILURE_BELOW <= self.final_emotion < SUCCESS_EMOTION:
            return "outcome", f"{self.outcome!r} at final emotion {self.final_emotion}"
        if self.outcome == "max_turns" and len(self.turns) != self.max_turns:
            return "outcome", f"'max_turns' after {len(self.turns)} of {self.max_turns} turns"
        if self.outcome is not None and not self.turns:
            return "outcome", f"{self.outcome!r} before any turn"
        return None


# The fields of a turn that a replay recomputes (the agent's text and thoughts are its input): the scores for every
# backend; the user's words, the rationale and the fallback flag too for a backend whose whole reaction follows from
# the transcript, its config and its seed (``rule``).
SCORE_FIELDS = ("emotion", "delta")
REACTION_FIELDS = ("user", "rationale", "fallback")


def turn_difference(replayed: Turn, recorded: Turn, whole_reaction: bool) -> tuple[str, Any, Any] | None:
    """The first field where a replayed turn differs from the recorded one, as ``(field, replayed, recorded)``:
    :data:`SCORE_FIELDS` always, :data:`REACTION_FIELDS` too when ``whole_reaction``."""
    for field in SCORE_FIELDS + (REACTION_FIELDS if whole_reaction else ()):
        expected, found = getattr(replayed, field), getattr(recorded, field)
        if expected != found:
            return field, expected, found
    return None


def parse_transcript(obj: object, path: str | Path, line: int) -> Transcript:
    return validate_line(Transcript, obj, path, line)


def read_numbered_transcripts(path: str | Path) -> list[tuple[int, Transcript]]:
    """``(line number, transcript)`` for each transcript of a JSONL file; an empty file is an error."""
    numbered = [(number, parse_transcript(obj, path, number)) for number, obj in iter_jsonl(path)]
    if not numbered:
        raise InputError(path, None, None, "no transcripts in file")
    return numbered


def read_transcripts(path: str | Path) -> list[Transcript]:
    return [transcript for _, transcript in read_numbered_transcripts(path)]


class TranscriptWriter(JsonlWriter):
    """Writes transcripts to a JSONL file, one line each, synced as it goes (see :class:`JsonlWriter`)."""

    def write(self, transcript: Transcript) -> None:
        self.write_line(transcript.to_json())

    def write_all(self, transcripts: Iterable[Transcript]) -> None:
        for t in transcripts:
            self.write(t)


def write_transcripts(transcripts: Iterable[Transcript], path: str | Path) -> None:
    with TranscriptWriter(path, mode="w") as writer:
        writer.write_all(transcripts)
