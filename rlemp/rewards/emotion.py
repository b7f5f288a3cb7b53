"""Emotion rewards: the simulated user's emotion trajectory turned into rewards, in three shapings.

All values are in emotion points / 100, so the scale matches RLVER's final-emotion reward:

* ``final``: ``final_emotion / 100`` on the last agent turn, 0 on the others (RLVER);
* ``delta``: ``delta_t / 100`` on every turn (dense; each in [-0.1, 0.1], they sum to
  ``(final - initial) / 100``);
* ``turn_credit``: ``alpha * b_t + (1 - alpha) * sum_{k >= t} gamma**(k - t) * b_k``, where ``b_t`` are the
  ``delta`` rewards: each turn gets its own change plus the discounted change of everything after it.

The outcome bonuses are added to the last turn's base reward (``b_T`` for ``turn_credit``, so the discounted
return carries them back to earlier turns): ``success_bonus`` when the conversation ended in success,
``failure_bonus`` when it ended in failure (give a negative number to punish). Both default to 0.

:func:`turn_rewards` gives one reward per agent turn (for the PPO trainer); the sequence-level reward
function (for GRPO) is their **sum**. It returns None for a sample without a transcript, or whose transcript
has no agent turn: there is nothing to credit.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal, Sequence

from pydantic import BaseModel, ConfigDict, Field

from rlemp.errors import RlempError
from rlemp.rewards.inputs import check_batch, transcripts_column, validate_options
from rlemp.transcript import Transcript

Shaping = Literal["final", "delta", "turn_credit"]
SHAPINGS = ("final", "delta", "turn_credit")
DEFAULT_ALPHA = 0.5
DEFAULT_GAMMA = 0.9


def turn_rewards(
    transcript: Transcript,
    shaping: Shaping,
    alpha: float = DEFAULT_ALPHA,
    gamma: float = DEFAULT_GAMMA,
    success_bonus: float = 0.0,
    failure_bonus: float = 0.0,
) -> list[float]:
    """One reward per agent turn of ``transcript`` under ``shaping`` (see the module docstring)."""
    if shaping not in SHAPINGS:
        raise RlempError(f"unknown emotion shaping {shaping!r}; choose one of {', '.join(SHAPINGS)}")
    n = len(transcript.turns)
    if n == 0:
        return []
    bonus = success_bonus if transcript.succeeded else failure_bonus if transcript.failed else 0.0
    if shaping == "final":
        rewards = [0.0] * n
        rewards[-1] = transcript.final_emotion / 100 + bonus
        return rewards
    base = [turn.delta / 100 for turn in transcript.turns]
    base[-1] += bonus
    if shaping == "delta":
        return base
    returns = [0.0] * n
    running = 0.0
    for t in range(n - 1, -1, -1):
        running = base[t] + gamma * running
        returns[t] = running
    return [alpha * b + (1 - alpha) * g for b, g in zip(base, returns)]


class EmotionOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    success_bonus: float = 0.0
    failure_bonus: float = 0.0


class TurnCreditOptions(EmotionOptions):
    alpha: float = Field(DEFAULT_ALPHA, ge=0, le=1)
    gamma: float = Field(DEFAULT_GAMMA, ge=0, le=1)


class EmotionReward:
    """Sequence-level emotion reward: the sum of :func:`turn_rewards` over the transcript's turns."""

    options_classes: ClassVar[dict[str, type[EmotionOptions]]] = {
        "final": EmotionOptions, "delta": EmotionOptions, "turn_credit": TurnCreditOptions
    }

    def __init__(self, shaping: Shaping, **options: Any):
        if shaping not in SHAPINGS:
            raise RlempError(f"unknown emotion shaping {shaping!r}; choose one of {', '.join(SHAPINGS)}")
        self.shaping = shaping
        self.__name__ = f"emotion_{shaping}"
        self.options = validate_options(self.__name__, self.options_classes[shaping], options)

    def turn_rewards(self, transcript: Transcript) -> list[float]:
        return turn_rewards(transcript, self.shaping, **self.options.model_dump())

    def __call__(self, prompts: Sequence[Any] | None, completions: Sequence[Any], **columns: Any) -> list[float | None]:
        n = check_batch(prompts, completions)
        return [
            None if t is None or not t.turns else sum(self.turn_rewards(t))
            for t in transcripts_column(columns, n)
        ]
