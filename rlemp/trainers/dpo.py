"""DPO of a LoRA adapter on preference pairs mined from the policy's own replies (:mod:`rlemp.preferences`).

TRL's ``DPOTrainer`` with the recipe's LoRA config. :func:`train` runs the recipe's ``rounds`` of mine -> train ->
evaluate on one adapter, iteratively: round R trains on the pairs of rounds 1..R against the policy of round R-1
as reference (TRL's ``ref`` adapter), so that a round builds on the last instead of being pulled back to the
base (how and why, with the measurements: the DPO section of ``docs/training.md``).
"""

from __future__ import annotations

import json
import logging
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch
from trl import DPOTrainer
from trl.trainer.utils import hash_module

from rlemp.configs import RlempArguments, RlempDPOConfig
from rlemp.errors import RlempError
from rlemp.preferences import mine_preferences, pairs_dataset, read_pairs, write_pairs
from rlemp.trainers.common import Parts, evaluate_policy, generation_settings

logger = logging.getLogger(__name__)

ROUNDS_FILE = "rounds.json"
REFERENCE_ADAPTER = "ref"  # when a PEFT model has an adapter of this name, TRL's DPOTrainer scores the reference with it
POLICY_ADAPTER = "default"
ROUND_SUMMARY = ("sentient_score", "success_rate", "failure_rate", "mean_turns", "n_personas", "n_dropped")


class PairMiner:
    """Mines one round's pairs file with a given policy model, on the main process only (the others wait)."""

    def __init__(self, parts: Parts, args: RlempArguments, training_args: RlempDPOConfig, model_args):
        self.parts, self.args, self.training_args = parts, args, training_args
        self.base_model = model_args.model_name_or_path
        self.config = training_args.mining_config()
        self._scorer_model = None

    def scorer(self, policy_model):
        """The flr scorer: ``flr_model`` when the recipe names one, else the policy (adapter disabled: the base)."""
        if "flr" not in self.config.weights:
            return None
        from rlemp.rewards.flr import FollowUpLikelihood, load_scorer

        if self.args.flr_model:
            if self._scorer_model is None:
                self._scorer_model = load_scorer(self.args.flr_model)
            return FollowUpLikelihood(*self._scorer_model)
        return FollowUpLikelihood(policy_model, self.parts.tokenizer)

    def __call__(self, model, round_number: int) -> Path:
        """Mine with ``model`` into ``OUTPUT_DIR/round-R/pairs.jsonl`` and return the path (on every process)."""
        from accelerate import PartialState

        path = Path(self.training_args.output_dir) / f"round-{round_number}" / "pairs.jsonl"
        state = PartialState()
        if state.is_main_process:
            result = mine_preferences(
                model,
                self.parts.tokenizer,
                self.parts.personas,
                self.parts.simulator,
                self.config,
                scorer=self.scorer(model),
                settings=generation_settings(self.args, self.training_args),
                thinking=self.args.thinking,
                max_turns=self.args.max_turns,
                seed=self.training_args.seed + round_number - 1,
                batch_size=self.training_args.mining_batch_size,
                record={"policy": self.base_model, "round": round_number,
                        "flr_model": self.args.flr_model or self.base_model},
            )
            write_pairs(result.pairs, path)
            logger.info("round %d: mined %d pairs from %d states in %.0f s (%.1f pairs/min)", round_number,
                        len(result.pairs), result.states, result.seconds, result.pairs_per_minute)
        state.wait_for_everyone()
        return path


class EmotionDPOTrainer(DPOTrainer):
    """``DPOTrainer`` that can switch to the pairs of several rounds and move its reference to the current policy,
    and orders pairs by a persona curriculum.

    With ``rounds > 1`` the PEFT model gets a frozen second adapter named ``ref``, a copy of the policy's: TRL
    then computes the reference log-probs with it instead of disabling the adapter. Round 1's copy is of the
    fresh adapter (LoRA B = 0: the base model exactly); :meth:`sync_reference` moves it to the current policy."""

    def __init__(self, *args, miner: PairMiner, first_pairs: Path, curriculum=None, **kwargs):
        self.miner, self.curriculum = miner, curriculum
        self.pair_files = [first_pairs]
        super().__init__(*args, **kwargs)
        if curriculum is not None:
            self.add_callback(curriculum.callback())
        if self.args.rounds > 1:
            self.model.add_adapter(REFERENCE_ADAPTER, self.model.peft_config[POLICY_ADAPTER])
            self.sync_reference()

    def sync_reference(self) -> None:
        """Copy the policy adapter's weights into the frozen ``ref`` adapter (the same on every process)."""
        model = self.accelerator.unwrap_model(self.model)
        params = dict(model.named_parameters())
        copied = 0
        with torch.no_grad():
            for name, param in params.items():
                if f".{REFERENCE_ADAPTER}." in name:
                    param.requires_grad_(False)
                    param.copy_(params[name.replace(f".{REFERENCE_ADAPTER}.", f".{POLICY_ADAPTER}.")])
                    copied += 1
        if not copied:
            raise RlempError("dpo rounds: the model has no reference adapter to move to the current policy")
        if self.args.precompute_ref_log_probs:  # TRL keys its cache of reference log-probs on this hash
            self._precompute_model_hash = hash_module(model)

    def drop_reference(self) -> None:
        """Remove the ``ref`` adapter (after the last round), so that only the policy adapter is saved."""
        model = self.accelerator.unwrap_model(self.model)
        if REFERENCE_ADAPTER in model.peft_config:
            model.delete_adapter(REFERENCE_ADAPTER)

    def _get_train_sampler(self, dataset=None):
        """With a curriculum: pairs in the order of their personas' difficulty, one schedule step per batch."""
        if self.curriculum is None:
            return super()._get_train_sampler(dataset)
        from rlemp.curriculum import CurriculumSampler, CurriculumSchedule

        persona_rank = {self.curriculum.schedule.order[rank]: rank for rank in range(len(self.curriculum.schedule))}
        if "persona_id" not in self.train_dataset.column_names:
            raise RlempError("curriculum: the pairs have no persona_id column to order them by")
        pair_personas = list(self.train_dataset["persona_id"])
        unknown = [pid for pid in pair_personas if pid not in self.curriculum.index]
        if unknown:
            raise RlempError(f"curriculum: pair persona_id {unknown[0]!r} is not a training persona")
        ranks = [persona_rank[self.curriculum.index[pid]] for pid in pair_personas]
        schedule = CurriculumSchedule(ranks, self.curriculum.schedule.config, self.args.seed)
        batch = self.args.per_device_train_batch_size
        self.curriculum.current = CurriculumSampler(schedule, batch, max(1, -(-len(ranks) // batch)))
        return self.curriculum.current

    def use_pairs(self, paths: list[Path]) -> None:
        """Train on these pairs files (concatenated) from now on, with a fresh optimizer (``Trainer.train``
        rebuilds the LR schedule); with precomputed reference log-probs, those of the current reference."""
        dataset = self._prepare_dataset(pairs_dataset(*paths), self.processing_class, self.args, "train")
        if self.args.precompute_ref_log_probs:
            batch = self.args.precompute_ref_batch_size or self.args.per_device_train_batch_size
            dataset = self._precompute_ref_logps(dataset, "train", batch)
        self.pair_files = list(paths)
        self.train_dataset = dataset
        self.optimizer = None


def make_trainer(parts: Parts, args: RlempArguments, training_args: RlempDPOConfig, model_args) -> EmotionDPOTrainer:
    """The DPO trainer of a run, on the recipe's ``pairs`` or on pairs mined from the base model (round 1)."""
    if parts.curriculum is not None and parts.curriculum.schedule.config.schedule == "adaptive":
        raise RlempError("curriculum: the adaptive schedule needs online outcomes; with dpo use sorted, "
                         "baby_steps or competence")
    parts.tokenizer.padding_side = "left"
    miner = PairMiner(parts, args, training_args, model_args)
    first_pairs = Path(training_args.pairs) if training_args.pairs else miner(parts.model, 1)
    return EmotionDPOTrainer(
        model=parts.model,
        args=training_args,
        train_dataset=pairs_dataset(first_pairs),
        processing_class=parts.tokenizer,
        peft_config=parts.peft_config,
        miner=miner,
        first_pairs=first_pairs,
        curriculum=parts.curriculum,
    )


def train(trainer: EmotionDPOTrainer, parts: Parts, args: RlempArguments, resume_from_checkpoint=None) -> int:
    """The recipe's rounds of (mine ->) train -> evaluate on one adapter; returns the steps of every round.

    Round R > 1 mines fresh pairs with the current adapter into ``OUTPUT_DIR/round-R/pairs.jsonl``, moves the
    reference to the current adapter, and trains on the pairs of rounds 1..R. Each round's record goes to
    ``OUTPUT_DIR/rounds.json``, its evaluation to ``OUTPUT_DIR/round-R/eval``; a round stopped early (a signal)
    ends the run."""
    config = trainer.args
    if config.rounds > 1 and resume_from_checkpoint:
        raise RlempError("--resume works with rounds: 1 only (each round of an iterative run starts afresh)")
    records: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []
    steps = 0
    for number in range(1, config.rounds + 1):
        if number > 1:
            fresh = trainer.miner(trainer.accelerator.unwrap_model(trainer.model), number)
            trainer.sync_reference()
            trainer.use_pairs([*trainer.pair_files, fresh])
        with round_output_dir(config, number):
            output = trainer.train(resume_from_checkpoint=resume_from_checkpoint)
        history += [{**row, "round": number} for row in trainer.state.log_history]
        steps += trainer.state.global_step
        records.append({"round": number, "pairs": str(trainer.pair_files[-1]),
                        "n_pairs": len(read_pairs(trainer.pair_files[-1])),
                        "train_pairs": [str(path) for path in trainer.pair_files],
                        "n_train_pairs": len(trainer.train_dataset),
                        "reference": "base model" if number == 1 else f"round {number - 1}",
                        "steps": trainer.state.global_step, "train_loss": output.training_loss,
                        "eval": evaluate_round(trainer, parts, args, number)})
        if trainer.accelerator.is_main_process:
            path = Path(config.output_dir) / ROUNDS_FILE
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(records, indent=2) + "\n", encoding="utf-8")
        if trainer.state.global_step < trainer.state.max_steps:
            break
    trainer.drop_reference()
    trainer.state.log_history = history
    return steps


@contextmanager
def round_output_dir(config: RlempDPOConfig, number: int):
    """With several rounds, a round's checkpoints go to ``OUTPUT_DIR/round-R/``."""
    output_dir = config.output_dir
    if config.rounds > 1:
        config.output_dir = str(Path(output_dir) / f"round-{number}")
    try:
        yield
    finally:
        config.output_dir = output_dir


def evaluate_round(trainer: EmotionDPOTrainer, parts: Parts, args: RlempArguments, number: int):
    """The round's adapter on the held-out personas (main process), summarized; None when nothing is evaluated."""
    if not parts.eval_personas or not trainer.accelerator.is_main_process:
        return None
    out = Path(trainer.args.output_dir) / f"round-{number}" / "eval"
    metrics = evaluate_policy(trainer.accelerator.unwrap_model(trainer.model), trainer.processing_class, parts,
                              args, trainer.args, out, meta={"round": number})
    return {"dir": str(out), **{key: metrics.get(key) for key in ROUND_SUMMARY}}
