"""Connects a recipe's ``curriculum:`` block to the trainers: persona difficulties -> schedule -> sampler.

GRPO and DPO draw their batches through :class:`rlemp.curriculum.CurriculumSampler` (shuffling off), PPO asks
the schedule directly (``indices``); all save the curriculum position in their checkpoints and restore it on
resume. ``adaptive`` moves on from the success rate that the trainer reports with ``record``, gathered from
every rank in rank order so that every rank holds the same schedule.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Sequence

from pydantic import ValidationError

from rlemp.curriculum import (
    CurriculumConfig,
    CurriculumSampler,
    CurriculumSchedule,
    curriculum_callback,
    persona_difficulties,
    turn_off_shuffling,
)
from rlemp.errors import RlempError, first_validation_error


class TrainerCurriculum:
    """A schedule over the training personas, plus the sampler and checkpoint callback a trainer needs."""

    def __init__(self, schedule: CurriculumSchedule, persona_ids: Sequence[str]):
        self.schedule = schedule
        self.index = {pid: i for i, pid in enumerate(persona_ids)}
        self.current: CurriculumSampler | None = None

    def sampler(self, repeat: int = 1, batch_size: int = 1, repeat_count: int = 1) -> CurriculumSampler:
        num_steps = max(1, len(self.index) // batch_size)
        self.current = CurriculumSampler(self.schedule, batch_size, num_steps, repeat, repeat_count)
        return self.current

    def callback(self):
        """Saves the curriculum in each ``checkpoint-N`` and restores it on resume (the sampler is made later,
        when the trainer builds its data loader, so the callback looks it up at event time)."""
        from transformers import TrainerCallback

        outer = self

        class _Forward(TrainerCallback):
            def on_train_begin(self, *args, **kwargs):
                if outer.current is not None:
                    curriculum_callback(outer.current).on_train_begin(*args, **kwargs)

            def on_save(self, *args, **kwargs):
                if outer.current is not None:
                    curriculum_callback(outer.current).on_save(*args, **kwargs)

        return _Forward()

    def record(self, persona_ids: Sequence[str], successes: Sequence[bool]) -> bool:
        """Report outcomes (adaptive schedule); returns True when the level went up."""
        return self.schedule.record([self.index[p] for p in persona_ids], list(successes))

    def indices(self, step: int, k: int) -> list[int]:
        return self.schedule.indices(step, k)

    def state_dict(self) -> dict[str, Any]:
        return self.current.state_dict() if self.current is not None else {"schedule": self.schedule.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if self.current is not None:
            self.current.load_state_dict(state)
        else:
            self.schedule.load_state_dict(state["schedule"])


def parse_curriculum(args, training_args) -> CurriculumConfig | None:
    """The recipe's curriculum block validated (a one-line :class:`RlempError` otherwise), with ``total_steps``
    filled in from ``max_steps``; None without a block or for a schedule that does not order the data. Changes
    nothing: ``rlemp doctor`` runs it too."""
    if not args.curriculum:
        return None
    try:
        config = CurriculumConfig.model_validate(args.curriculum)
    except ValidationError as exc:
        field, message = first_validation_error(exc)
        raise RlempError(f"curriculum field '{field}': {message}") from None
    if not config.orders_data:
        return None
    if config.total_steps is None:
        if training_args.max_steps is None or training_args.max_steps <= 0:
            raise RlempError("curriculum: set total_steps, or max_steps in the recipe")
        iterations = getattr(training_args, "num_iterations", 1) or 1
        config = config.model_copy(update={"total_steps": max(1, math.ceil(training_args.max_steps / iterations))})
    return config


def curriculum_factory(args, training_args):
    """A function ``(personas, simulator) -> TrainerCurriculum`` for the recipe's block, or None without one."""
    config = parse_curriculum(args, training_args)
    if config is None:
        return None
    turn_off_shuffling(training_args)

    def factory(personas, simulator):
        difficulties = persona_difficulties(
            personas,
            config,
            seed=training_args.seed,
            max_turns=args.max_turns,
            cache_path=Path(training_args.output_dir) / "curriculum_difficulty_cache.json",
        )
        return TrainerCurriculum(CurriculumSchedule(difficulties, config, training_args.seed), [p.id for p in personas])

    return factory
