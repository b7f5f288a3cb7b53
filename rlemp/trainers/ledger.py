"""Booking a training rollout, the same for every trainer that plays conversations: gather the conversations of
every process, count the simulator's failures against the budget, report outcomes to the curriculum, compute
the rollout metrics and append the transcripts to ``OUTPUT_DIR/transcripts.jsonl``."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from rlemp.errors import RlempError
from rlemp.rollout import Conversation, Rollout
from rlemp.transcript import Transcript, TranscriptWriter

TRANSCRIPTS_FILE = "transcripts.jsonl"


def rollout_metrics(transcripts: Sequence[Transcript]) -> dict[str, float]:
    """Mean final emotion, success/failure rates and turns per conversation."""
    n = max(1, len(transcripts))
    return {
        "emotion/final_mean": sum(t.final_emotion for t in transcripts) / n,
        "emotion/success_rate": sum(t.succeeded for t in transcripts) / n,
        "emotion/failure_rate": sum(t.failed for t in transcripts) / n,
        "emotion/turns_mean": sum(len(t.turns) for t in transcripts) / n,
    }


class FailureBudget:
    """Counts what the simulator failed on; the run stops with a clear error once either share passes
    ``max_rate`` (judged from ``min_count`` failures on): conversations dropped (the backend gave no answer after
    its retries) among all played, or turns it could not judge (fallbacks: invalid output after its retries)
    among all turns of the finished conversations. When every one failed (a wrong key, a dead endpoint) it
    stops at once, whatever the count: there is nothing to train on."""

    def __init__(self, max_rate: float, min_count: int = 8):
        self.max_rate, self.min_count = max_rate, min_count
        self.total = self.failed = self.turns = self.fallback_turns = 0

    def add(self, finished: Sequence[Transcript], failed: int) -> None:
        """Count one rollout: its finished conversations (from every process) and how many were dropped."""
        self.total += len(finished) + failed
        self.failed += failed
        self.turns += sum(len(t.turns) for t in finished)
        self.fallback_turns += sum(turn.fallback for t in finished for turn in t.turns)
        for count, among, what in ((self.failed, self.total, "failed on {} of {} conversations"),
                                   (self.fallback_turns, self.turns, "gave no valid output for {} of {} turns")):
            if among and (count == among or (count >= self.min_count and count / among > self.max_rate)):
                raise RlempError(f"the simulator {what.format(count, among)} "
                                 f"({count / among:.0%} > max_failure_rate {self.max_rate:.0%}); stopping")


def policy_and_user_tokens(conversation: Conversation) -> tuple[int, int]:
    """The tokens a conversation trains on (the policy's own) and the rest; a dropped one trains on none."""
    mask = conversation.stream.env_mask
    trained = 0 if conversation.dropped else sum(mask)
    return trained, len(mask) - trained


@dataclass
class Booked:
    """A booked rollout, the same on every process."""

    finished: list[Transcript]  # every process's finished conversations, in rank order (``meta.rank`` says whose)
    dropped: int  # conversations the simulator failed on, on all processes
    metrics: dict[str, float]


class RolloutLedger:
    """What a trainer keeps of its rollouts across steps: the failure budget, the curriculum's outcomes and the
    transcript log (appended and flushed per record, by the main process only)."""

    def __init__(self, algorithm: str, max_failure_rate: float, output_dir: str | Path, accelerator,
                 curriculum=None):
        self.algorithm, self.accelerator, self.curriculum = algorithm, accelerator, curriculum
        self.failure_budget = FailureBudget(max_failure_rate)
        is_main = accelerator.is_main_process
        self.transcript_log = TranscriptWriter(Path(output_dir) / TRANSCRIPTS_FILE, mode="a") if is_main else None

    def book(self, rollout: Rollout, step: int, started: float, record_outcomes: bool = True) -> Booked:
        """Book this process's rollout (started at ``time.perf_counter()`` ``started``). A collective: every
        process calls it once per rollout, and all get the same lists in rank order, so every rank's curriculum
        stays identical. ``record_outcomes`` false (evaluation rollouts) keeps them from the curriculum."""
        from accelerate.utils import gather_object

        local = rollout.finished
        for t in local:
            t.meta["rank"] = self.accelerator.process_index
        finished = gather_object(local)
        dropped = sum(gather_object([len(rollout.dropped)]))
        tokens = gather_object([policy_and_user_tokens(c) for c in rollout.conversations])
        self.failure_budget.add(finished, dropped)
        if record_outcomes and self.curriculum is not None:
            self.curriculum.record([t.persona_id for t in finished], [t.succeeded for t in finished])
        metrics = rollout_metrics(finished)
        metrics["rollout/dropped"] = float(dropped)
        metrics["rollout/policy_tokens"] = sum(agent for agent, _ in tokens) / max(1, len(tokens))
        metrics["rollout/user_tokens"] = sum(user for _, user in tokens) / max(1, len(tokens))
        metrics["time/rollout_s"] = time.perf_counter() - started
        if self.transcript_log is not None:
            for t in finished:
                t.meta.update({"step": step, "algorithm": self.algorithm})
                self.transcript_log.write(t)
        return Booked(finished, dropped, metrics)
