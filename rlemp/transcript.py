"""The transcript: the one record every part of rlemp reads and writes (JSONL on disk).

Its header holds everything needed to replay its emotion scores (persona, simulator backend, version, config,
hash of config plus prompts, seed); :mod:`rlemp.simulators.replay` does the replay.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

from rlemp.errors import InputError, validate_line
from rlemp.files import JsonlWriter, iter_jsonl
from rlemp.personas import Persona

Outcome = Literal["success", "failure", "goodbye", "max_turns"]
OUTCOMES = ("success", "failure", "goodbye", "max_turns")


class Turn(BaseModel):
    """One exchange: the agent's reply (thoughts kept apart) and the simulated user's reaction."""

    model_config = ConfigDict(extra="forbid")

    agent: str
    user: str
    emotion: int = Field(ge=0, le=100)
    delta: int = Field(ge=-10, le=10)
    rationale: str
    agent_thoughts: Optional[str] = None
    fallback: bool = False  # the simulator could not judge this turn and kept the emotion (LLM backends)


class Transcript(BaseModel):
    """One conversation between an agent and a simulated user, with the header needed to replay it."""

    model_config = ConfigDict(extra="forbid")

    persona_id: str
    backend: str
    simulator_version: str
    config_hash: str
    simulator_config: dict[str, Any]
    seed: int
    max_turns: int = Field(ge=1)
    opening: str
    initial_emotion: int = Field(ge=0, le=100)
    persona: Persona
    turns: list[Turn] = Field(default_factory=list)
    final_emotion: int = Field(ge=0, le=100)
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


def parse_transcript(obj: object, path: str | Path, line: int) -> Transcript:
    return validate_line(Transcript, obj, path, line)


def read_transcripts(path: str | Path) -> list[Transcript]:
    transcripts = [parse_transcript(obj, path, number) for number, obj in iter_jsonl(path)]
    if not transcripts:
        raise InputError(path, None, None, "no transcripts in file")
    return transcripts


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
