"""The transcript: the one record every part of rlemp reads and writes (JSONL on disk), and its replay check.

A transcript holds everything needed to replay its emotion scores: the persona, the simulator backend, its
version, config and the hash of config plus prompts, and the seed. ``verify`` rebuilds the simulator from
the header, replays the agent's replies and compares every score.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

from rlemp.errors import InputError, validate_line
from rlemp.personas import Persona, iter_jsonl

Outcome = Literal["success", "failure", "goodbye", "max_turns"]
OUTCOMES = ("success", "failure", "goodbye", "max_turns")

logger = logging.getLogger(__name__)


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


class TranscriptWriter:
    """Appends transcripts to a JSONL file, flushed and synced after each one so a crash loses nothing.

    Appending to a file whose last line was cut short (the process was killed in the middle of a write) first
    drops that partial line, so that every line of the file stays a whole transcript.
    """

    def __init__(self, path: str | Path, mode: str = "a"):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if mode == "a":
            drop_partial_last_line(self.path)
        self._file = self.path.open(mode, encoding="utf-8")

    def write(self, transcript: Transcript) -> None:
        self._file.write(transcript.to_json() + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def write_all(self, transcripts: Iterable[Transcript]) -> None:
        for t in transcripts:
            self.write(t)

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> "TranscriptWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def drop_partial_last_line(path: Path) -> None:
    """Truncate ``path`` after its last newline (nothing happens to a missing, empty or whole file)."""
    if not path.is_file() or path.stat().st_size == 0:
        return
    with path.open("rb+") as f:
        end = f.seek(0, os.SEEK_END)
        f.seek(end - 1)
        if f.read(1) == b"\n":
            return
        keep, stop = 0, end
        while stop > 0:  # look back 1 MiB at a time for the last newline
            start = max(0, stop - (1 << 20))
            f.seek(start)
            newline = f.read(stop - start).rfind(b"\n")
            if newline >= 0:
                keep = start + newline + 1
                break
            stop = start
        logger.warning("%s: dropping a partial last line (%d bytes) left by an interrupted write", path, end - keep)
        f.truncate(keep)


def write_transcripts(transcripts: Iterable[Transcript], path: str | Path) -> None:
    with TranscriptWriter(path, mode="w") as writer:
        writer.write_all(transcripts)


@dataclass(frozen=True)
class Mismatch:
    """The first place where a replay disagrees with the recorded transcript."""

    index: int  # position of the transcript in its file (0-based)
    persona_id: str
    turn: int | None  # 1-based turn, None for a header mismatch
    field: str
    expected: Any  # what the replay computes
    found: Any  # what the transcript says

    def __str__(self) -> str:
        where = f"transcript {self.index + 1} (persona {self.persona_id})"
        if self.turn is not None:
            where += f", turn {self.turn}"
        return f"{where}: {self.field} expected {self.expected!r}, found {self.found!r}"


def verify_transcript(transcript: Transcript, index: int = 0) -> Mismatch | None:
    """Replay one transcript with the simulator its header names; return the first mismatch or None."""
    from rlemp.simulators import build_simulator

    sim = build_simulator(transcript.backend, transcript.simulator_config)
    pid = transcript.persona_id
    for field, expected, found in (
        ("persona_id", transcript.persona.id, pid),
        ("simulator_version", sim.version, transcript.simulator_version),
        ("config_hash", sim.config_hash, transcript.config_hash),
    ):
        if expected != found:
            return Mismatch(index, pid, None, field, expected, found)
    replay = sim.start(transcript.persona, transcript.seed, transcript.max_turns)
    for field in ("opening", "initial_emotion"):
        if getattr(replay, field) != getattr(transcript, field):
            return Mismatch(index, pid, None, field, getattr(replay, field), getattr(transcript, field))
    for number, turn in enumerate(transcript.turns, start=1):
        if replay.done:
            return Mismatch(index, pid, number, "turn", "conversation already ended", "another turn")
        got = sim.step(replay, turn.agent, thoughts=turn.agent_thoughts)
        for field in ("emotion", "delta"):
            if getattr(got, field) != getattr(turn, field):
                return Mismatch(index, pid, number, field, getattr(got, field), getattr(turn, field))
    for field in ("final_emotion", "outcome"):
        if getattr(replay, field) != getattr(transcript, field):
            return Mismatch(index, pid, None, field, getattr(replay, field), getattr(transcript, field))
    return None


def verify_transcripts(transcripts: Iterable[Transcript]) -> Mismatch | None:
    for index, transcript in enumerate(transcripts):
        mismatch = verify_transcript(transcript, index)
        if mismatch is not None:
            return mismatch
    return None
