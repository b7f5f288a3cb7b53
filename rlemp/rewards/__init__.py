"""Reward functions with TRL's signature, a registry of them by name (``REWARDS``), and the weighted composition.

A reward is ``f(prompts, completions, **columns) -> list[float | None]`` as ``GRPOTrainer`` calls it; the
rollout forwards a ``transcript`` column. ``None`` means "does not apply" (TRL's ``nansum`` skips it;
:func:`combine` does the same for PPO/DPO). :func:`build_reward` names each function after its registry name, so
every component is logged separately. Names and options: ``docs/rewards.md``.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Mapping, Optional, Sequence

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from rlemp.errors import RlempError, first_validation_error
from rlemp.transcript import Transcript

RewardValue = Optional[float]


# --- registry ------------------------------------------------------------------------------------------------


class RewardSpec(BaseModel):
    """One reward of a recipe: its registered name, its weight in the sum, and its options."""

    model_config = ConfigDict(extra="forbid")

    name: str
    weight: float = 1.0
    options: dict[str, Any] = Field(default_factory=dict)


def _emotion(shaping: str) -> Callable[..., Callable]:
    def factory(**options):
        from rlemp.rewards.emotion import EmotionReward

        return EmotionReward(shaping, **options)

    return factory


def _flr(scorer_model=None, tokenizer=None, **options):
    from rlemp.rewards.flr import FollowUpLikelihood

    return FollowUpLikelihood.from_options(options, scorer_model=scorer_model, tokenizer=tokenizer)


def _format(**options):
    from rlemp.rewards.format import FormatReward

    return FormatReward(**options)


def _length(**options):
    from rlemp.rewards.format import LengthReward

    return LengthReward(**options)


def _safety(**options):
    from rlemp.rewards.safety import SafetyPenalty

    return SafetyPenalty(**options)


# name -> factory(**options); only ``flr`` also takes ``scorer_model`` and ``tokenizer``
REWARDS: dict[str, Callable[..., Callable]] = {
    "emotion_final": _emotion("final"),
    "emotion_delta": _emotion("delta"),
    "emotion_turn_credit": _emotion("turn_credit"),
    "flr": _flr,
    "format": _format,
    "length": _length,
    "safety": _safety,
}
NEEDS_SCORER = ("flr",)


def build_reward(name: str, scorer_model=None, tokenizer=None, **options) -> Callable:
    """The reward function registered as ``name``, built with ``options``; its ``__name__`` is ``name``.

    ``scorer_model``/``tokenizer`` are the scorer LM for ``flr`` (ignored by the others); ``flr`` may instead
    name a model folder with the option ``model``.
    """
    if name not in REWARDS:
        raise RlempError(f"unknown reward {name!r}; choose from {', '.join(REWARDS)}")
    if name in NEEDS_SCORER:
        return REWARDS[name](scorer_model=scorer_model, tokenizer=tokenizer, **options)
    return REWARDS[name](**options)


def parse_specs(specs: Sequence[RewardSpec | Mapping[str, Any] | str]) -> list[RewardSpec]:
    """Specs from RewardSpec objects, dicts (as in a recipe) or bare names (weight 1, default options)."""
    parsed = []
    for index, spec in enumerate(specs):
        if isinstance(spec, str):
            spec = RewardSpec(name=spec)
        elif not isinstance(spec, RewardSpec):
            try:
                spec = RewardSpec.model_validate(spec)
            except ValidationError as exc:
                field, message = first_validation_error(exc)
                raise RlempError(f"reward {index + 1}: field '{field}': {message}") from None
        parsed.append(spec)
    names = [s.name for s in parsed]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise RlempError(f"reward {duplicates[0]!r} listed twice; each reward is logged by name, list it once")
    return parsed


def build_rewards(
    specs: Sequence[RewardSpec | Mapping[str, Any] | str], scorer_model=None, tokenizer=None
) -> tuple[list[Callable], list[float]]:
    """``(reward_funcs, reward_weights)`` for ``GRPOTrainer(reward_funcs=...)`` and ``GRPOConfig.reward_weights``."""
    parsed = parse_specs(specs)
    if not parsed:
        raise RlempError("no rewards given")
    funcs = [build_reward(s.name, scorer_model=scorer_model, tokenizer=tokenizer, **s.options) for s in parsed]
    return funcs, [s.weight for s in parsed]


# --- composition ---------------------------------------------------------------------------------------------


def evaluate_rewards(
    funcs: Sequence[Callable], prompts: Sequence[Any], completions: Sequence[Any], **columns
) -> dict[str, list[RewardValue]]:
    """Every reward function on one batch, by name: the separately logged components."""
    results: dict[str, list[RewardValue]] = {}
    for func in funcs:
        values = list(func(prompts=prompts, completions=completions, **columns))
        if len(values) != len(completions):
            raise RlempError(f"reward '{func.__name__}' returned {len(values)} values for {len(completions)} samples")
        results[func.__name__] = values
    return results


def combine(values_per_func: Sequence[Sequence[RewardValue]], weights: Sequence[float]) -> list[float]:
    """The weighted sum per sample, as TRL computes it: a None (or NaN) component is skipped (``nansum``);
    a sample where every component is None gets NaN (TRL marks it unscorable and gives it no advantage)."""
    if len(values_per_func) != len(weights):
        raise RlempError(f"{len(weights)} weights for {len(values_per_func)} reward functions")
    if not values_per_func:
        raise RlempError("no reward values to combine")
    n = len(values_per_func[0])
    if any(len(values) != n for values in values_per_func):
        raise RlempError("every reward function must give one value per sample")
    combined = []
    for sample in range(n):
        present = [
            (w, values[sample])
            for w, values in zip(weights, values_per_func)
            if values[sample] is not None and not math.isnan(values[sample])
        ]
        combined.append(sum(w * v for w, v in present) if present else math.nan)
    return combined


def rewards_from_names(names: str | Sequence[str], model_dir: str | None = None) -> list[Callable]:
    """Reward functions from names (a list or a comma-separated string, as the CLI's ``--reward``), default
    options; ``flr`` loads its scorer from ``model_dir``."""
    if isinstance(names, str):
        names = [name.strip() for name in names.split(",") if name.strip()]
    specs = [
        RewardSpec(name=name, options={"model": str(model_dir)} if name in NEEDS_SCORER and model_dir else {})
        for name in names
    ]
    return build_rewards(specs)[0]


SCORE_CHUNK = 16  # conversations scored per call of the reward functions (the progress bar's step)


def score_transcripts(funcs: Sequence[Callable], transcripts: Sequence[Transcript],
                      on_scored: Callable[[int], None] | None = None) -> dict[str, dict[str, Any]]:
    """``{name: {"mean": float | None, "per_persona": {persona_id: float | None}}}`` over finished transcripts.

    Each reward sees prompt = the opening message and completion = the agent's raw replies (thoughts
    included) joined by blank lines, plus the transcript, ``SCORE_CHUNK`` conversations at a time
    (``on_scored(n)`` after each chunk, for a progress bar). ``mean`` averages the values that apply (not
    None); it is None when none does (or there is no transcript).
    """
    from rlemp.rewards.format import raw_reply

    values: dict[str, list[RewardValue]] = {func.__name__: [] for func in funcs}
    for start in range(0, len(transcripts), SCORE_CHUNK):
        chunk = list(transcripts[start:start + SCORE_CHUNK])
        prompts = [t.opening for t in chunk]
        completions = ["\n\n".join(raw_reply(turn) for turn in t.turns) for t in chunk]
        for name, per_sample in evaluate_rewards(funcs, prompts, completions, transcript=chunk).items():
            values.setdefault(name, []).extend(per_sample)
        if on_scored is not None:
            on_scored(len(chunk))
    report = {}
    for name, per_sample in values.items():
        present = [v for v in per_sample if v is not None]
        report[name] = {
            "mean": sum(present) / len(present) if present else None,
            "per_persona": {t.persona_id: v for t, v in zip(transcripts, per_sample)},
        }
    return report


__all__ = [
    "REWARDS",
    "RewardSpec",
    "build_reward",
    "build_rewards",
    "combine",
    "evaluate_rewards",
    "rewards_from_names",
    "score_transcripts",
]
