"""How a training run survives interruption: complete checkpoints (:class:`CheckpointComplete`), ``--resume``
(:func:`resolve_resume`), SIGTERM/SIGINT (:class:`StopOnSignal`, exit code ``128 + signal``), crash-safe logs
(:class:`MetricsLog`) and the simulator's fault counts (:func:`write_simulator_stats`). The behaviour and its
reasons: ``docs/training.md`` (Interruption and resume).
"""

from __future__ import annotations

import json
import logging
import os
import signal
from collections import Counter
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from rlemp.errors import RlempError

logger = logging.getLogger(__name__)

COMPLETE_FILE = "checkpoint_complete.json"
METRICS_FILE = "metrics.jsonl"
SIMULATOR_STATS_FILE = "simulator_stats.json"
HANDLED_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class TrainingInterrupted(RlempError):
    """Training stopped on a signal after saving ``checkpoint``; ``rlemp train`` exits with ``exit_code``."""

    def __init__(self, signum: int, checkpoint: Path):
        self.signum, self.checkpoint = signum, checkpoint
        self.exit_code = 128 + signum
        super().__init__(
            f"stopped by {signal.Signals(signum).name}: checkpoint saved to {checkpoint}; "
            "continue with the same command plus --resume latest"
        )


RUN_LOGS = (METRICS_FILE, "transcripts.jsonl", SIMULATOR_STATS_FILE)


def check_output_dir(output_dir: str | Path, resuming: bool, overwrite: bool, is_main: bool = True) -> None:
    """Refuse an ``output_dir`` that is a file or holds a model, or, for a fresh run, one used by another run (its
    logs or ``checkpoint-N`` folders are there) unless ``overwrite``; with ``overwrite`` the main process removes
    the old logs, which a fresh run would otherwise append to (old checkpoints stay until transformers rotates
    them)."""
    from rlemp.files import check_output_dir as check_path

    folder = check_path(output_dir, "output_dir")
    if (folder / "config.json").is_file():  # a run writes its README.md, logs and adapter where it is told
        raise RlempError(f"{folder}: output_dir holds a model (config.json), which the run would write over; "
                         "choose a new output_dir")
    if resuming or not folder.is_dir():
        return
    used = [name for name in RUN_LOGS if (folder / name).exists()] + [p.name for p in checkpoints(folder)][:1]
    if not used:
        return
    if not overwrite:
        raise RlempError(f"{folder}: output_dir holds another run ({', '.join(used)}); continue it with --resume "
                         "latest, choose a new output_dir, or pass --overwrite_output_dir true")
    if is_main:
        for name in RUN_LOGS:
            (folder / name).unlink(missing_ok=True)
        logger.warning("overwrite_output_dir: removed the previous run's logs in %s", folder)


def checkpoints(output_dir: str | Path) -> list[Path]:
    """The ``checkpoint-N`` folders of a run, newest first."""
    folder = Path(output_dir)
    if not folder.is_dir():
        return []
    found = [p for p in folder.glob("checkpoint-*") if p.is_dir() and p.name.split("-", 1)[1].isdigit()]
    return sorted(found, key=lambda p: int(p.name.split("-", 1)[1]), reverse=True)


def is_complete(checkpoint: str | Path) -> bool:
    return (Path(checkpoint) / COMPLETE_FILE).is_file()


def resolve_resume(resume: str | None, output_dir: str | Path) -> str | None:
    """``latest`` -> the newest complete ``checkpoint-N`` under ``output_dir`` (incomplete ones, left by a process
    killed while saving, are skipped with a warning); a path must be a complete checkpoint; None stays None."""
    if resume is None:
        return None
    if resume == "latest":
        found = checkpoints(output_dir)
        for checkpoint in found:
            if is_complete(checkpoint):
                return str(checkpoint)
            logger.warning("%s is incomplete (the run stopped while saving it); skipping it", checkpoint)
        what = "no complete checkpoint-N folder" if found else "no checkpoint-N folder"
        raise RlempError(f"--resume latest: {what} in {output_dir}")
    if not Path(resume).is_dir():
        raise RlempError(f"--resume: checkpoint folder {resume} does not exist")
    if not is_complete(resume):
        raise RlempError(f"--resume: {resume} is not a complete rlemp checkpoint (no {COMPLETE_FILE}: the run "
                         "stopped while saving it, or it was not written by rlemp train)")
    return str(resume)


def check_resume_fits(model, checkpoint: str | Path) -> None:
    """A one-line error when the checkpoint's adapter was trained on another base model or LoRA rank."""
    from peft import PeftModel

    from rlemp.loading import check_adapter_fits

    peft_model = next((m for m in model.modules() if isinstance(m, PeftModel)), None)
    if peft_model is not None and (Path(checkpoint) / "adapter_model.safetensors").is_file():
        check_adapter_fits(peft_model, checkpoint)


class CheckpointComplete(TrainerCallback):
    """Marks each ``checkpoint-N`` complete once everything else is saved: add it after every other callback."""

    def on_save(self, args, state, control, **kwargs):
        if state.is_world_process_zero:
            folder = Path(args.output_dir) / f"checkpoint-{state.global_step}"
            (folder / COMPLETE_FILE).write_text(json.dumps({"global_step": state.global_step}) + "\n")


class MetricsLog(TrainerCallback):
    """Appends each logged metrics row (with its ``step``) to ``OUTPUT_DIR/metrics.jsonl``, synced to disk."""

    def __init__(self, output_dir: str | Path):
        self.path = Path(output_dir) / METRICS_FILE

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not state.is_world_process_zero or not logs:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps({"step": state.global_step, **logs}, default=str) + "\n")
            f.flush()
            os.fsync(f.fileno())


class StopOnSignal(TrainerCallback):
    """The first SIGTERM/SIGINT: save a checkpoint at the end of the current step and stop (``signum`` says
    which); the previous handlers come back at once, so a second signal acts as usual (stops immediately)."""

    def __init__(self):
        self.signum: int | None = None
        self.stopped_at: int | None = None  # the step it stopped training at (None: training was not cut short)
        self._previous: dict[int, Any] = {}

    def _handle(self, signum, frame):
        logger.warning("%s: saving a checkpoint after this step, then stopping (send it again to stop now)",
                       signal.Signals(signum).name)
        self.signum = signum
        self._restore()

    def _restore(self):
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()

    def on_train_begin(self, args, state, control, **kwargs):
        self._previous = {s: signal.signal(s, self._handle) for s in HANDLED_SIGNALS}

    def on_step_end(self, args, state, control, **kwargs):
        self.signum = _shared_signal(self.signum)
        if self.signum is not None:
            control.should_save = True
            control.should_training_stop = True
            self.stopped_at = state.global_step
        return control

    def on_train_end(self, args, state, control, **kwargs):
        self._restore()


def close_progress_bars(trainer) -> None:
    """Close the trainer's progress bar (transformers closes it only when training ends well), so that an
    error message printed after a failed run is the last line on the terminal."""
    from transformers.trainer_callback import ProgressCallback

    for callback in trainer.callback_handler.callbacks:
        if isinstance(callback, ProgressCallback) and callback.training_bar is not None:
            callback.training_bar.close()
            callback.training_bar = None


def _shared_signal(signum: int | None) -> int | None:
    """The signal any process received (every process calls this at the same step end)."""
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1):
        return signum
    import torch
    from accelerate import PartialState

    flag = torch.tensor([signum or 0], device=PartialState().device)
    dist.all_reduce(flag, op=dist.ReduceOp.MAX)
    return int(flag.item()) or None


def leave_process_group(finished: bool) -> None:
    """Destroy the default process group, if any, before the interpreter exits. Gloo's worker threads still
    holding work when the interpreter finalizes abort the process ("terminate called without an active
    exception", SIGABRT) and the launcher then kills the other ranks. After a run that finished on this process,
    a barrier first, so that no process leaves while another still communicates (a rank that failed instead
    exits non-zero, and the launcher stops the ones waiting); after an error only this process's side closes."""
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()):
        return
    if finished:
        dist.barrier()
    dist.destroy_process_group()


def write_simulator_stats(simulator, ledger, accelerator, output_dir: str | Path) -> Path | None:
    """``OUTPUT_DIR/simulator_stats.json``: the simulator's counters summed over processes and, for trainers that
    book their rollouts (a :class:`~rlemp.trainers.ledger.RolloutLedger`), the conversations and turns played
    and dropped. Every process must call it."""
    from accelerate.utils import gather_object

    counts: Counter[str] = Counter()
    for stats in gather_object([dict(simulator.stats)]):
        counts.update(stats)
    if not accelerator.is_main_process:
        return None
    report: dict[str, Any] = {"backend": simulator.backend}
    if ledger is not None:
        budget = ledger.failure_budget
        report.update(conversations=budget.total, dropped=budget.failed, turns=budget.turns,
                      fallback_turns=budget.fallback_turns)
    report["simulator"] = dict(sorted(counts.items()))
    path = Path(output_dir) / SIMULATOR_STATS_FILE
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    if report["simulator"]:  # offline backends (rule) make no requests: nothing to say
        logger.info("simulator: %s", ", ".join(f"{k} {v}" for k, v in report["simulator"].items()))
    return path
