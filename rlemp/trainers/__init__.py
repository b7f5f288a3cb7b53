"""Training entry point shared by ``rlemp train`` and ``scripts/train.py`` (under ``accelerate launch``).

``main(argv)`` parses the recipe, builds the algorithm's trainer (GRPO, PPO or DPO), trains (resuming from a
checkpoint when asked), saves the LoRA adapter with its recipe to ``OUTPUT_DIR/adapter``, evaluates it on the
held-out personas (``OUTPUT_DIR/eval``), plots the reward curves, and pushes to the Hub when the recipe says
``push_to_hub: true``. Only the main process writes files.
"""

from __future__ import annotations

import logging
import signal
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
    from rlemp.trainers.curriculum_hook import curriculum_factory

    factory = curriculum_factory(args, training_args)
    if args.algorithm == "grpo":
        from rlemp.trainers.grpo import build_grpo_trainer

        return build_grpo_trainer(args, training_args, model_args, factory)
    if args.algorithm == "ppo":
        from rlemp.trainers.ppo import build_ppo_trainer

        return build_ppo_trainer(args, training_args, model_args, factory)
    from rlemp.trainers.dpo import build_dpo_trainer

    return build_dpo_trainer(args, training_args, model_args, factory)


def resolve_resume(resume: str | None, output_dir: str) -> str | None:
    """``latest`` -> the newest ``checkpoint-N`` under ``output_dir``; a path is checked; None stays None."""
    if resume is None:
        return None
    if resume == "latest":
        from transformers.trainer_utils import get_last_checkpoint

        last = get_last_checkpoint(output_dir) if Path(output_dir).is_dir() else None
        if last is None:
            raise RlempError(f"--resume latest: no checkpoint-N folder in {output_dir}")
        return last
    if not Path(resume).is_dir():
        raise RlempError(f"--resume: checkpoint folder {resume} does not exist")
    return resume


class StopOnSignal:
    """SIGTERM/SIGINT make the trainer save a checkpoint at the end of the current step and stop cleanly."""

    def __init__(self):
        from transformers import TrainerCallback

        self.requested = False
        outer = self

        class _Callback(TrainerCallback):
            def on_step_end(self, args, state, control, **kwargs):
                if outer.requested:
                    control.should_save = True
                    control.should_training_stop = True
                return control

        self.callback = _Callback()
        signal.signal(signal.SIGTERM, self._handle)
        signal.signal(signal.SIGINT, self._handle)

    def _handle(self, signum, frame):
        logger.warning("signal %s: saving a checkpoint after this step, then stopping", signum)
        self.requested = True


def main(argv: list[str], resume: str | None = None) -> Path:
    """Train from ``--config RECIPE.yaml [overrides]``; returns the adapter folder."""
    from rlemp.trainers.common import save_adapter, training_info

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args, training_args, model_args = parse_recipe(argv)
    recipe = effective_recipe(argv)
    push, repo_id = training_args.push_to_hub, training_args.hub_model_id
    training_args.push_to_hub = False  # rlemp publishes through rlemp.hub at the end, with the model card
    if push and not repo_id:
        raise RlempError("push_to_hub: true needs hub_model_id: OWNER/NAME in the recipe")
    trainer = build_trainer(args, training_args, model_args)
    trainer.add_callback(StopOnSignal().callback)
    trainer.train(resume_from_checkpoint=resolve_resume(resume, training_args.output_dir))
    adapter_dir = Path(training_args.output_dir) / "adapter"
    if not trainer.accelerator.is_main_process:
        return adapter_dir
    model = trainer.accelerator.unwrap_model(trainer.model)
    info = training_info(args, training_args, model_args, trainer.state.global_step)
    save_adapter(model, trainer.processing_class, adapter_dir, recipe, info)
    plot_training_curves(trainer.state.log_history, Path(training_args.output_dir) / "reward_curves.png")
    evals = []
    if args.eval_at_end and args.eval_personas:
        evals.append(evaluate_after_training(model, trainer.processing_class, args, training_args))
    if push:
        from rlemp.hub import publish_adapter

        publish_adapter(adapter_dir, repo_id, evals=evals, private=bool(training_args.hub_private_repo))
    return adapter_dir


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
