"""DPO of a LoRA adapter on preference pairs mined from the policy's own replies (see :mod:`rlemp.preferences`).

``algorithm: dpo`` builds TRL's ``DPOTrainer`` with the recipe's LoRA config; the reference is the base model
with the adapter disabled (TRL's behaviour with PEFT and no ``ref_model``). Round 1 trains on ``pairs`` when the
recipe names a file, else on pairs mined from the base model before training starts.

Iterative rounds (``rounds: N``) live in :meth:`EmotionDPOTrainer.train`, so ``rlemp.trainers.main`` needs no
special case: every round trains the same adapter (the reference stays the base), then evaluates it on
``eval_personas`` (``OUTPUT_DIR/round-R/eval``; skipped with ``eval_at_end: false``) and appends its record to
``OUTPUT_DIR/rounds.json``; round R > 1 first mines new pairs with the current adapter (seed ``seed + R - 1``) into
``OUTPUT_DIR/round-R/pairs.jsonl``. Each round starts a fresh optimizer and LR schedule, so ``max_steps`` /
``num_train_epochs`` count per round; with ``rounds > 1`` checkpoints go to ``OUTPUT_DIR/round-R/`` and
``--resume`` is refused (resume works with ``rounds: 1``). ``state.log_history`` ends up holding every round's
logs, each row tagged with its ``round``, and ``steps`` in the adapter's ``rlemp_training.json`` counts every
round. Mining runs on the main process (the others wait and then read the file), so rounds > 1 needs the whole
model on each process (single GPU or DDP, not ZeRO-3).

A ``curriculum:`` block orders the pairs by their persona's difficulty (a pair inherits its persona's rank in
the persona curriculum) through :class:`rlemp.curriculum.CurriculumSampler`, one schedule step per
``per_device_train_batch_size`` pairs, restarted each round; the ``adaptive`` schedule needs online outcomes
and is refused.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Sequence, Union

from trl import DPOConfig, DPOTrainer

from rlemp.configs import RlempArguments
from rlemp.errors import RlempError
from rlemp.personas import Persona
from rlemp.preferences import JUDGES, MiningConfig, mine_preferences, mining_config, pairs_dataset, write_pairs
from rlemp.simulators.base import UserSimulator

logger = logging.getLogger(__name__)

ROUNDS_FILE = "rounds.json"


@dataclass
class RlempDPOConfig(DPOConfig):
    """``trl.DPOConfig`` plus how the preference pairs are mined (fields of :class:`rlemp.preferences.MiningConfig`).

    ``bf16`` defaults to False when training on CPU (``use_cpu`` or no CUDA), else to TRL's default.
    ``temperature`` and ``top_p`` are the policy's sampling in the state rollouts, look-ahead turns and
    evaluation; ``mining_temperature`` samples the candidates.
    """

    _VALID_DICT_FIELDS = DPOConfig._VALID_DICT_FIELDS + ["judge_weights"]

    pairs: Optional[str] = field(
        default=None, metadata={"help": "preference pairs JSONL for round 1 (default: mine from the base model)"}
    )
    rounds: int = field(default=1, metadata={"help": "iterations of mine -> train -> evaluate"})
    judge: str = field(default="lookahead", metadata={"help": f"candidate judge: {', '.join(JUDGES)}"})
    judge_weights: Optional[Union[dict, str]] = field(
        default=None,
        metadata={"help": "judge mix only: {flr: w, lookahead: w} (default flr 1.0, lookahead 0.1; JSON on the "
                  "command line)"},
    )
    candidates: int = field(default=4, metadata={"help": "replies sampled per dialogue state (K >= 2)"})
    margin: float = field(default=1.0, metadata={"help": "minimum score gap between chosen and rejected"})
    lookahead_turns: int = field(
        default=2, metadata={"help": "turns the simulated conversation goes on after a candidate (lookahead judge)"}
    )
    states_per_persona: int = field(
        default=0, metadata={"help": "dialogue states drawn from each persona's conversation (0: every turn)"}
    )
    mining_temperature: float = field(default=1.0, metadata={"help": "sampling temperature of the candidates"})
    mining_batch_size: int = field(default=64, metadata={"help": "rows of one generate call while mining"})
    temperature: float = field(default=1.0, metadata={"help": "policy sampling in rollouts and evaluation"})
    top_p: float = field(default=1.0, metadata={"help": "policy nucleus sampling in rollouts and evaluation"})

    def __post_init__(self):
        if self.bf16 is None and not self.fp16:
            import torch

            self.bf16 = False if self.use_cpu or not torch.cuda.is_available() else None
        super().__post_init__()
        if not isinstance(self.rounds, int) or self.rounds < 1:
            raise RlempError(f"rounds: expected a positive integer, got {self.rounds!r}")
        if not isinstance(self.mining_batch_size, int) or self.mining_batch_size < 1:
            raise RlempError(f"mining_batch_size: expected a positive integer, got {self.mining_batch_size!r}")
        self.mining_config()

    def mining_config(self) -> MiningConfig:
        return mining_config(
            judge=self.judge,
            judge_weights=self.judge_weights,
            candidates=self.candidates,
            margin=self.margin,
            lookahead_turns=self.lookahead_turns,
            states_per_persona=self.states_per_persona,
            temperature=self.mining_temperature,
        )


class PairMiner:
    """Mines one round's pairs file with a given policy model, on the main process only."""

    def __init__(self, args: RlempArguments, training_args: RlempDPOConfig, model_args, personas, simulator, tokenizer):
        self.args, self.training_args, self.model_args = args, training_args, model_args
        self.personas, self.simulator, self.tokenizer = personas, simulator, tokenizer
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
        return FollowUpLikelihood(policy_model, self.tokenizer)

    def __call__(self, model, round_number: int) -> Path:
        """Mine with ``model`` into ``OUTPUT_DIR/round-R/pairs.jsonl`` and return the path (on every process)."""
        from accelerate import PartialState

        from rlemp.trainers.common import generation_settings

        path = Path(self.training_args.output_dir) / f"round-{round_number}" / "pairs.jsonl"
        state = PartialState()
        if state.is_main_process:
            result = mine_preferences(
                model,
                self.tokenizer,
                self.personas,
                self.simulator,
                self.config,
                scorer=self.scorer(model),
                settings=generation_settings(self.args, self.training_args),
                thinking=self.args.thinking,
                max_turns=self.args.max_turns,
                seed=self.training_args.seed + round_number - 1,
                batch_size=self.training_args.mining_batch_size,
                record={"policy": self.model_args.model_name_or_path, "round": round_number,
                        "flr_model": self.args.flr_model or self.model_args.model_name_or_path},
            )
            write_pairs(result.pairs, path)
            logger.info("round %d: mined %d pairs from %d states in %.0f s (%.1f pairs/min)", round_number,
                        len(result.pairs), result.states, result.seconds, result.pairs_per_minute)
        state.wait_for_everyone()
        return path


class EmotionDPOTrainer(DPOTrainer):
    """``DPOTrainer`` whose ``train()`` runs ``rounds`` rounds of (mine ->) train -> evaluate (module docstring)."""

    def __init__(
        self,
        *args,
        rlemp_args: RlempArguments,
        miner: PairMiner,
        first_pairs: Path,
        eval_personas: Sequence[Persona] | None,
        simulator: UserSimulator,
        curriculum=None,
        **kwargs,
    ):
        self.rlemp_args, self.miner, self.simulator = rlemp_args, miner, simulator
        self.eval_personas = eval_personas
        self.curriculum = curriculum
        self.round_pairs = {1: first_pairs}
        self.steps_all_rounds = 0  # each round restarts ``state.global_step``
        super().__init__(*args, **kwargs)
        if curriculum is not None:
            self.add_callback(curriculum.callback())

    def _get_train_sampler(self, dataset=None):
        """With a curriculum: pairs in the order of their personas' difficulty (module docstring)."""
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

    def train(self, resume_from_checkpoint=None, **kwargs):
        rounds = self.args.rounds
        if rounds > 1 and resume_from_checkpoint:
            raise RlempError("--resume works with rounds: 1 only (each round of an iterative run starts afresh)")
        output_dir = self.args.output_dir
        records: list[dict[str, Any]] = []
        history: list[dict[str, Any]] = []
        output = None
        for number in range(1, rounds + 1):
            if number > 1:
                self.round_pairs[number] = self.miner(self.accelerator.unwrap_model(self.model), number)
                self.train_dataset = self._round_dataset(self.round_pairs[number])
                self.optimizer = None  # a fresh optimizer per round (the scheduler is rebuilt by Trainer.train)
            if rounds > 1:
                self.args.output_dir = str(Path(output_dir) / f"round-{number}")
            try:
                output = super().train(resume_from_checkpoint=resume_from_checkpoint, **kwargs)
            finally:
                self.args.output_dir = output_dir
            history += [{**row, "round": number} for row in self.state.log_history]
            self.steps_all_rounds += self.state.global_step
            records.append(self._round_record(number, output))
            if self.accelerator.is_main_process:
                path = Path(output_dir) / ROUNDS_FILE
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(json.dumps(records, indent=2) + "\n", encoding="utf-8")
            if self.state.global_step < self.state.max_steps:  # stopped early (a signal): no further rounds
                break
        self.state.log_history = history
        return output

    def _round_dataset(self, path: Path):
        dataset = self._prepare_dataset(pairs_dataset(path), self.processing_class, self.args, "train")
        if self.args.precompute_ref_log_probs:
            batch = self.args.precompute_ref_batch_size or self.args.per_device_train_batch_size
            dataset = self._precompute_ref_logps(dataset, "train", batch)
        return dataset

    def _round_record(self, number: int, output) -> dict[str, Any]:
        record: dict[str, Any] = {
            "round": number,
            "pairs": str(self.round_pairs[number]),
            "n_pairs": len(self.train_dataset),
            "steps": self.state.global_step,
            "train_loss": output.training_loss,
            "eval": None,
        }
        if self.eval_personas and self.accelerator.is_main_process:
            record["eval"] = self._evaluate_round(number)
        return record

    def _evaluate_round(self, number: int) -> dict[str, Any]:
        from rlemp.evaluation import evaluate
        from rlemp.trainers.common import generation_settings

        out = Path(self.args.output_dir) / f"round-{number}" / "eval"
        args = self.rlemp_args
        metrics = evaluate(
            self.accelerator.unwrap_model(self.model),
            self.processing_class,
            self.eval_personas,
            self.simulator,
            out,
            seed=self.args.seed,
            max_turns=args.eval_max_turns or args.max_turns,
            settings=generation_settings(args, self.args),
            thinking=args.thinking,
            meta={"round": number, "personas": args.eval_personas},
        )
        keep = ("sentient_score", "success_rate", "failure_rate", "mean_turns", "n_personas", "n_dropped")
        return {"dir": str(out), **{key: metrics.get(key) for key in keep}}


def build_dpo_trainer(args: RlempArguments, training_args: RlempDPOConfig, model_args, curriculum_factory=None):
    """The DPO trainer for a parsed recipe: policy + LoRA, round-1 pairs (read or mined), simulator, evaluation."""
    from rlemp.personas import load_personas
    from rlemp.trainers.common import build_training_simulator, load_policy, load_training_personas

    if not model_args.use_peft:
        raise RlempError("algorithm dpo trains a LoRA adapter: set use_peft: true in the recipe")
    personas = load_training_personas(args)
    simulator = build_training_simulator(args)
    eval_personas = load_personas(args.eval_personas) if args.eval_at_end and args.eval_personas else None
    model, tokenizer, peft_config = load_policy(model_args, training_args)
    tokenizer.padding_side = "left"
    curriculum = curriculum_factory(personas, simulator) if curriculum_factory else None
    if curriculum is not None and curriculum.schedule.config.schedule == "adaptive":
        raise RlempError("curriculum: the adaptive schedule needs online outcomes; with dpo use sorted, "
                         "baby_steps or competence")
    miner = PairMiner(args, training_args, model_args, personas, simulator, tokenizer)
    first_pairs = Path(training_args.pairs) if training_args.pairs else miner(model, 1)
    return EmotionDPOTrainer(
        model=model,
        args=training_args,
        train_dataset=pairs_dataset(first_pairs),
        processing_class=tokenizer,
        peft_config=peft_config,
        rlemp_args=args,
        miner=miner,
        first_pairs=first_pairs,
        eval_personas=eval_personas,
        simulator=simulator,
        curriculum=curriculum,
    )
