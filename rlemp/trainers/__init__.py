"""Training entry point shared by ``rlemp train`` and ``scripts/train.py`` (under ``accelerate launch``).

``main(argv)`` parses the recipe, builds the algorithm's trainer (GRPO, PPO or DPO), trains (resuming from a
checkpoint when asked), saves the LoRA adapter with its recipe to ``OUTPUT_DIR/adapter``, evaluates it on the
held-out personas (``OUTPUT_DIR/eval``), plots the reward curves, and pushes to the Hub when the recipe says
``push_to_hub: true``. Only the main process writes files and logs progress (replicas log warnings only).
Checkpoints, ``--resume``, SIGTERM/SIGINT and the crash-safe logs are described in
:mod:`rlemp.trainers.reliability`.

With the environment variable ``RLEMP_SAVE_RANK_WEIGHTS=1`` every process also saves its trainable parameters
when training begins and ends (``OUTPUT_DIR/rank{N}_trainable_{begin,end}.safetensors``, see
:func:`rlemp.trainers.common.rank_weights_callback`), to check that the replicas stayed identical.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from rlemp.configs import parse_recipe, read_recipe
from rlemp.errors import RlempError

logger = logging.getLogger(__name__)


def effective_recipe(argv: list[str]) -> dict[str, Any]:
    """The recipe file's mapping with the command-line overrides applied (as strings, as typed)."""
    recipe: dict[str, Any] = {}
    tokens = list(argv)
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.startswith("--"):
            key, _, value = token[2:].partition("=")
            if not value and i + 1 < len(tokens) and not tokens[i + 1].startswith("--"):
                value = tokens[i + 1]
                i += 1
            if key == "config":
                recipe = {**read_recipe(value), **recipe}
            elif key != "resume":
                recipe[key] = value if value else True
        i += 1
    return recipe


def build_trainer(args, training_args, model_args):
    from transformers.integrations import is_deepspeed_zero3_enabled

    from rlemp.trainers.curriculum_hook import curriculum_factory

    sharded_generation = getattr(training_args, "ds3_gather_for_generation", True) is False
    if sharded_generation and not getattr(training_args, "use_vllm", False) and is_deepspeed_zero3_enabled():
        # Sharded generation runs every forward pass on all processes in step, but each process plays its own
        # conversations, which end after different numbers of turns.
        raise RlempError("ds3_gather_for_generation: false is not supported by the multi-turn rollouts under "
                         "ZeRO-3; keep it true (or generate with vLLM: use_vllm: true)")
    factory = main_process_first(curriculum_factory(args, training_args))
    if args.algorithm == "grpo":
        from rlemp.trainers.grpo import build_grpo_trainer

        return build_grpo_trainer(args, training_args, model_args, factory)
    if args.algorithm == "ppo":
        from rlemp.trainers.ppo import build_ppo_trainer

        return build_ppo_trainer(args, training_args, model_args, factory)
    from rlemp.trainers.dpo import build_dpo_trainer

    return build_dpo_trainer(args, training_args, model_args, factory)


def build_trainer_or_explain(args, training_args, model_args, argv: list[str]):
    """:func:`build_trainer`, with PEFT's refusals of the recipe's LoRA fields (target modules the model does not
    have...) as one-line errors naming the recipe."""
    from peft.utils.error import PeftError

    from rlemp.configs import _config_path

    try:
        return build_trainer(args, training_args, model_args)
    except PeftError as exc:
        where = _config_path(argv) or "command line"
        raise RlempError(f"{where}: LoRA settings: {' '.join(str(exc).split())}") from None


def main_process_first(factory):
    """A curriculum factory that runs on the main process first, so that it alone measures the persona
    difficulties and writes their cache, which the other processes then read (the same numbers on every rank)."""
    if factory is None:
        return None

    def run(personas, simulator):
        from accelerate import PartialState

        with PartialState().main_process_first():
            return factory(personas, simulator)

    return run


def main(argv: list[str], resume: str | None = None) -> Path:
    """Train from ``--config RECIPE.yaml [overrides]``; returns the adapter folder. Stopped by SIGTERM/SIGINT, it
    saves a checkpoint and raises :class:`~rlemp.trainers.reliability.TrainingInterrupted` instead."""
    from rlemp.trainers.common import RANK_WEIGHTS_ENV, rank_weights_callback
    from rlemp.trainers.progress import use_compact_progress
    from rlemp.trainers.reliability import (
        CheckpointComplete,
        MetricsLog,
        StopOnSignal,
        TrainingInterrupted,
        check_output_dir,
        check_resume_fits,
        close_progress_bars,
        resolve_resume,
        write_simulator_stats,
    )

    from rlemp.logs import setup_logging

    setup_logging()  # before TRL and DeepSpeed are imported, so that their noise is filtered
    args, training_args, model_args = parse_recipe(argv)
    # Replicas log warnings only (as transformers' own ``log_level_replica``), the main process its progress.
    setup_logging(logging.INFO if training_args.should_log else logging.WARNING)
    recipe = effective_recipe(argv)
    push, repo_id = training_args.push_to_hub, training_args.hub_model_id
    training_args.push_to_hub = False  # rlemp publishes through rlemp.hub at the end, with the model card
    if push and not repo_id:
        raise RlempError("push_to_hub: true needs hub_model_id: OWNER/NAME in the recipe")
    if push:
        from rlemp.hub import is_hub_id

        if not is_hub_id(model_args.model_name_or_path):  # refused by the push anyway: say it before training
            raise RlempError(f"push_to_hub: the base model {model_args.model_name_or_path!r} is a local path, and "
                             "the model card must name a Hub model; train from the Hub id, or set push_to_hub: false "
                             "and publish with `rlemp push --base-model OWNER/NAME`")
    checkpoint = resolve_resume(resume, training_args.output_dir)
    if checkpoint:
        how = "the newest complete checkpoint" if resume == "latest" else "as asked"
        logger.info("--resume %s: resuming from %s (%s)", resume, checkpoint, how)
    check_output_dir(training_args.output_dir, checkpoint is not None, args.overwrite_output_dir,
                     is_main=training_args.process_index == 0)
    trainer = build_trainer_or_explain(args, training_args, model_args, argv)
    use_compact_progress(trainer)
    stop = StopOnSignal()
    trainer.add_callback(stop)
    trainer.add_callback(MetricsLog(training_args.output_dir))
    if os.environ.get(RANK_WEIGHTS_ENV) == "1":
        trainer.add_callback(rank_weights_callback(training_args.output_dir))
    trainer.add_callback(CheckpointComplete())  # last: marks a checkpoint complete after every other callback saved
    if checkpoint:
        check_resume_fits(trainer.model, checkpoint)
    try:
        trainer.train(resume_from_checkpoint=checkpoint)
    finally:
        close_progress_bars(trainer)
    write_simulator_stats(trainer, training_args.output_dir)
    if stop.stopped_at is not None:
        raise TrainingInterrupted(stop.signum, Path(training_args.output_dir) / f"checkpoint-{stop.stopped_at}")
    adapter_dir = Path(training_args.output_dir) / "adapter"
    evals = finish_training(trainer, args, training_args, model_args, recipe, adapter_dir)
    if push and trainer.accelerator.is_main_process:
        from rlemp.hub import publish_adapter

        publish_adapter(adapter_dir, repo_id, evals=evals, private=bool(training_args.hub_private_repo))
    return adapter_dir


def finish_training(trainer, args, training_args, model_args, recipe, adapter_dir: Path) -> list[Path]:
    """Save the adapter, plot the curves and evaluate; returns the evaluation folders. Every process calls it:
    under ZeRO-3 the weights are sharded, so all processes join the gathers while the main process alone
    writes. The evaluation runs on the main process with the whole model gathered; the other processes wait
    for it at the end of the gather (within the process group's timeout, ``ddp_timeout``)."""
    from trl.models import unwrap_model_for_generation

    from rlemp.trainers.common import gathered_trainable_parameters, save_adapter, training_info
    from rlemp.trainers.dpo import EmotionDPOTrainer

    accelerator = trainer.accelerator
    model = accelerator.unwrap_model(trainer.model)
    with gathered_trainable_parameters(model):
        if accelerator.is_main_process:
            steps = trainer.steps_all_rounds if isinstance(trainer, EmotionDPOTrainer) else trainer.state.global_step
            info = training_info(args, training_args, model_args, steps)
            save_adapter(model, trainer.processing_class, adapter_dir, recipe, info)
            plot_training_curves(trainer.state.log_history, Path(training_args.output_dir) / "reward_curves.png")
    if not (args.eval_at_end and args.eval_personas):
        return []
    with unwrap_model_for_generation(trainer.model_wrapped, accelerator) as whole:
        if accelerator.is_main_process:
            return [evaluate_after_training(whole, trainer.processing_class, args, training_args)]
    return []


def evaluate_after_training(model, tokenizer, args, training_args) -> Path:
    from rlemp.evaluation import evaluate
    from rlemp.personas import load_personas
    from rlemp.trainers.common import build_training_simulator, generation_settings

    out = Path(training_args.output_dir) / "eval"
    evaluate(
        model,
        tokenizer,
        load_personas(args.eval_personas),
        build_training_simulator(args),
        out,
        seed=training_args.seed,
        max_turns=args.eval_max_turns or args.max_turns,
        settings=generation_settings(args, training_args),
        thinking=args.thinking,
        meta={"adapter": str(Path(training_args.output_dir) / "adapter"), "personas": args.eval_personas},
    )
    return out


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
