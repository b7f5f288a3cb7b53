"""The training console: transformers' progress bar (with its ETA), but one short line per logged step instead of
the raw dict of 40 metrics. The full rows still go to the trackers (``report_to``) and to ``metrics.jsonl``
(:class:`rlemp.trainers.reliability.MetricsLog`)."""

from __future__ import annotations

from typing import Any

from transformers.trainer_callback import ProgressCallback

# (key in the logged row, short label, format), in the order shown; keys a row lacks are left out
COMPACT_KEYS = (
    ("loss", "loss", "{:.4g}"),
    ("reward", "reward", "{:.3f}"),
    ("emotion/final_mean", "emotion", "{:.1f}"),
    ("emotion/success_rate", "success", "{:.2f}"),
    ("emotion/turns_mean", "turns", "{:.1f}"),
    ("kl", "kl", "{:.3g}"),
    ("rewards/margins", "margin", "{:.3g}"),
    ("rewards/accuracies", "accuracy", "{:.2f}"),
    ("rollout/dropped", "dropped", "{:g}"),
    ("mean_token_accuracy", "token accuracy", "{:.2f}"),
    ("grad_norm", "grad", "{:.3g}"),
    ("learning_rate", "lr", "{:.2g}"),
)


def compact_line(logs: dict[str, Any], step: int, max_steps: int, first_step: int = 0) -> str:
    """``step 3/40: loss 0.0123, reward 0.531, emotion 48.1, success 0.06, ...``; the end-of-training row (it has
    ``train_runtime``) becomes ``trained 40 steps in 312 s (7.8 s/step)``, counting only the steps after
    ``first_step`` (where a resumed run started)."""
    if "train_runtime" in logs:
        runtime, steps = float(logs["train_runtime"]), step - first_step
        per_step = f" ({runtime / steps:.1f} s/step)" if steps > 0 else ""
        resumed = f" (resumed at step {first_step})" if first_step else ""
        return f"trained {steps} steps{resumed} in {runtime:.0f} s{per_step}"
    parts = [f"{label} {fmt.format(logs[key])}" for key, label, fmt in COMPACT_KEYS
             if isinstance(logs.get(key), (int, float))]
    return f"step {step}/{max_steps}: " + ", ".join(parts)


class CompactProgress(ProgressCallback):
    """transformers' :class:`ProgressCallback` printing :func:`compact_line` for each logged row."""

    first_step = 0

    def on_train_begin(self, args, state, control, **kwargs):
        self.first_step = state.global_step  # the checkpoint's step when resuming
        return super().on_train_begin(args, state, control, **kwargs)

    def on_log(self, args, state, control, logs=None, **kwargs):
        if state.is_world_process_zero and self.training_bar is not None and logs:
            self.training_bar.write(compact_line(logs, state.global_step, state.max_steps, self.first_step))


def use_compact_progress(trainer) -> None:
    """Swap the trainer's progress callback for :class:`CompactProgress` (where it shows one at all)."""
    if any(type(c) is ProgressCallback for c in trainer.callback_handler.callbacks):
        trainer.remove_callback(ProgressCallback)
        trainer.add_callback(CompactProgress)
