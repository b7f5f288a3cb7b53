"""Replaying a transcript: rebuild the simulator its header names, feed it the recorded agent replies and
compare every score, and, for a backend whose whole reaction is replayable (``replays_reactions``: ``rule``), the
user's words, rationale and fallback flag of every turn too. Behind ``rlemp verify``; a mismatch means the
simulator (or its config or prompts) changed since the transcript was written, or the file was edited."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from rlemp.simulators import build_simulator
from rlemp.transcript import Transcript, turn_difference


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
        difference = turn_difference(got, turn, whole_reaction=sim.replays_reactions)
        if difference is not None:
            return Mismatch(index, pid, number, *difference)
    for field in ("final_emotion", "outcome"):
        if getattr(replay, field) != getattr(transcript, field):
            return Mismatch(index, pid, None, field, getattr(replay, field), getattr(transcript, field))
    return None


def verify_transcripts(transcripts: Iterable[Transcript]) -> Mismatch | None:
    """The first mismatch over a file's transcripts, in order; None when every one replays exactly."""
    for index, transcript in enumerate(transcripts):
        mismatch = verify_transcript(transcript, index)
        if mismatch is not None:
            return mismatch
    return None
