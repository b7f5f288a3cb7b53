"""One training run, top to bottom: ``rlemp train`` and ``scripts/train.py`` (under ``accelerate launch``) call
:func:`main`. Parse the recipe -> build the parts once -> the algorithm's trainer -> train (resuming when asked)
-> save the adapter -> evaluate -> push. How each step works, and why, is in ``docs/training.md``."""

from __future__ import annotations

import logging
import os
from contextlib import contextmanager
from pathlib import Path

from rlemp.errors import RlempError

logger = logging.getLogger(__name__)


def main(argv: list[str]) -> Path:
    """Train from ``--config RECIPE.yaml [--field value ...] [--resume [CHECKPOINT|latest]]``; returns the adapter
    folder. Stopped by SIGTERM/SIGINT it saves a checkpoint and raises
    :class:`~rlemp.trainers.reliability.TrainingInterrupted` instead. Only the main process writes and logs."""
    from rlemp.logs import setup_logging

    setup_logging()  # before TRL and DeepSpeed are imported, so that their noise is filtered
    from rlemp.configs import config_path_of, parse_recipe, saved_recipe
    from rlemp.trainers import dpo, grpo, ppo
    from rlemp.trainers.common import build_parts
    from rlemp.trainers.reliability import (
        TrainingInterrupted,
        check_output_dir,
        resolve_resume,
        write_simulator_stats,
    )

    args, training_args, model_args = parse_recipe(argv)
    setup_logging(logging.INFO if training_args.should_log else logging.WARNING)  # replicas: warnings only
    recipe = saved_recipe((args, training_args, model_args))
    push_to = hub_repo(training_args, model_args)
    checkpoint = resolve_resume(args.resume, training_args.output_dir)
    if checkpoint:
        how = "the newest complete checkpoint" if args.resume == "latest" else "as asked"
        logger.info("--resume %s: resuming from %s (%s)", args.resume, checkpoint, how)
    check_output_dir(training_args.output_dir, checkpoint is not None, args.overwrite_output_dir,
                     is_main=training_args.process_index == 0)

    parts = build_parts(args, training_args, model_args)
    algorithm = {"grpo": grpo, "ppo": ppo, "dpo": dpo}[args.algorithm]
    with lora_errors_named(config_path_of(argv) or "command line"):
        trainer = algorithm.make_trainer(parts, args, training_args, model_args)
    stop = watch(trainer, training_args.output_dir, checkpoint)

    steps = train(algorithm, trainer, parts, args, checkpoint)
    write_simulator_stats(parts.simulator, getattr(trainer, "ledger", None), trainer.accelerator,
                          training_args.output_dir)
    if stop.stopped_at is not None:
        raise TrainingInterrupted(stop.signum, Path(training_args.output_dir) / f"checkpoint-{stop.stopped_at}")

    adapter_dir = Path(training_args.output_dir) / "adapter"
    save_and_plot(trainer, args, training_args, model_args, recipe, steps, adapter_dir)
    evals = evaluate_at_end(trainer, parts, args, training_args, adapter_dir)
    if push_to and trainer.accelerator.is_main_process:
        from rlemp.hub import publish_adapter

        publish_adapter(adapter_dir, push_to, evals=evals, private=bool(training_args.hub_private_repo))
    return adapter_dir


def hub_repo(training_args, model_args) -> str | None:
    """The Hub repository to publish to at the end, or None; refused before training when it could not work.
    The trainer itself never pushes (rlemp publishes through :mod:`rlemp.hub`, with the model card)."""
    push, repo_id = training_args.push_to_hub, training_args.hub_model_id
    training_args.push_to_hub = False
    if not push:
        return None
    from rlemp.hub import is_hub_id

    if not repo_id:
        raise RlempError("push_to_hub: true needs hub_model_id: OWNER/NAME in the recipe")
    if not is_hub_id(model_args.model_name_or_path):
        raise RlempError(f"push_to_hub: the base model {model_args.model_name_or_path!r} is a local path, and "
                         "the model card must name a Hub model; train from the Hub id, or set push_to_hub: false "
                         "and publish with `rlemp push --base-model OWNER/NAME`")
    return repo_id


@contextmanager
def lora_errors_named(where: str):
    """PEFT's refusals of the recipe's LoRA fields (target modules the model does not have...), raised while the
    trainer wraps the model, as one-line errors naming the recipe."""
    from peft.utils.error import PeftError

    try:
        yield
    except PeftError as exc:
        raise RlempError(f"{where}: LoRA settings: {' '.join(str(exc).split())}") from None


def watch(trainer, output_dir: str, checkpoint: str | None):
    """The callbacks of every run: the compact progress line, stop-on-signal, ``metrics.jsonl``, the replicas'
    weights when ``RLEMP_SAVE_RANK_WEIGHTS=1``, and complete-checkpoint marks (last, after every other save).
    Returns the signal watcher."""
    from rlemp.trainers.common import RANK_WEIGHTS_ENV, rank_weights_callback
    from rlemp.trainers.progress import use_compact_progress
    from rlemp.trainers.reliability import CheckpointComplete, MetricsLog, StopOnSignal, check_resume_fits

    use_compact_progress(trainer)
    stop = StopOnSignal()
    trainer.add_callback(stop)
    trainer.add_callback(MetricsLog(output_dir))
    if os.environ.get(RANK_WEIGHTS_ENV) == "1":
        trainer.add_callback(rank_weights_callback(output_dir))
    trainer.add_callback(CheckpointComplete())
    if checkpoint:
        check_resume_fits(trainer.model, checkpoint)
    return stop


def train(algorithm, trainer, parts, args, checkpoint: str | None) -> int:
    """Train, resuming from ``checkpoint``; returns the steps trained. An algorithm module whose run is more than
    one ``trainer.train()`` (DPO's rounds) says so with its own ``train``."""
    from rlemp.trainers.reliability import close_progress_bars

    try:
        if hasattr(algorithm, "train"):
            return algorithm.train(trainer, parts, args, checkpoint)
        trainer.train(resume_from_checkpoint=checkpoint)
        return trainer.state.global_step
    finally:
        close_progress_bars(trainer)


def save_and_plot(trainer, args, training_args, model_args, recipe: dict, steps: int, adapter_dir: Path) -> None:
    """Save the adapter with its recipe and training info, and plot the reward curves. Every process calls it:
    under ZeRO-3 the weights are sharded, so all join the gather while the main process alone writes."""
    from rlemp.trainers.common import gathered_trainable_parameters, save_adapter, training_info

    accelerator = trainer.accelerator
    model = accelerator.unwrap_model(trainer.model)
    with gathered_trainable_parameters(model):
        if accelerator.is_main_process:
            info = training_info(args, training_args, model_args, steps)
            save_adapter(model, trainer.processing_class, adapter_dir, recipe, info)
            plot_training_curves(trainer.state.log_history, Path(training_args.output_dir) / "reward_curves.png")


def evaluate_at_end(trainer, parts, args, training_args, adapter_dir: Path) -> list[Path]:
    """Evaluate the trained policy on the held-out personas into ``OUTPUT_DIR/eval``; returns the evaluation
    folders. The main process evaluates with the whole model gathered; the others wait at the end of the
    gather (within the process group's timeout, ``ddp_timeout``)."""
    from trl.models import unwrap_model_for_generation

    from rlemp.trainers.common import evaluate_policy

    if not parts.eval_personas:
        return []
    out = Path(training_args.output_dir) / "eval"
    with unwrap_model_for_generation(trainer.model_wrapped, trainer.accelerator) as whole:
        if trainer.accelerator.is_main_process:
            evaluate_policy(whole, trainer.processing_class, parts, args, training_args, out,
                            meta={"adapter": str(adapter_dir)})
            return [out]
    return []


def plot_training_curves(log_history: list[dict], path: Path) -> Path | None:
    """Reward components and emotion metrics per logged step, as one PNG."""
    from rlemp.report import plot_curves

    keys = sorted({k for row in log_history for k in row if k.startswith(("rewards/", "reward", "emotion/"))})
    keys = [k for k in keys if not k.endswith("_std") and "/std" not in k]
    series = {k: [row[k] for row in log_history if k in row] for k in keys}
    series = {k: v for k, v in series.items() if v}
    if not series:
        return None
    plot_curves(series, path, title="training curves")
    return path
