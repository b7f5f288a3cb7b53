"""Format rewards: the thinking template (``<think>...</think>`` then the reply) and a length guard.

Both judge every agent turn of a transcript and average over the turns; without a transcript they judge the
completion text as one turn. A transcript keeps each turn's thoughts apart from the reply the user saw, so
the raw turn is rebuilt as ``<think>{thoughts}</think>\\n{reply}`` (:func:`raw_reply`). Splitting an
unclosed ``<think>`` keeps nothing for the user (see :func:`rlemp.chat.split_thoughts`), so in a transcript an
unclosed block reads as an empty reply: penalised all the same.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

from pydantic import BaseModel, ConfigDict, Field, model_validator

from rlemp.chat import split_thoughts
from rlemp.rewards.inputs import agent_replies, check_batch, completion_text, transcripts_column, validate_options
from rlemp.transcript import Transcript, Turn

OPEN, CLOSE = "<think>", "</think>"


def raw_reply(turn: Turn) -> str:
    """A turn's reply as the agent wrote it: the thoughts block (when there was one) and the reply."""
    if turn.agent_thoughts is None:
        return turn.agent
    return f"{OPEN}{turn.agent_thoughts}{CLOSE}\n{turn.agent}"


def format_problems(text: str, thinking: bool) -> list[str]:
    """What is wrong with one raw reply; an empty list means well-formed.

    Thinking on: ``missing_think`` (no ``<think>``), ``unclosed_think`` (no ``</think>`` after it),
    ``multiple_think`` (more than one opening or closing tag), ``text_before_think`` (the block does not open
    the reply), ``empty_thoughts``, ``empty_reply`` (nothing left for the user once thoughts are stripped).
    Thinking off: ``unexpected_think`` (any think tag) and ``empty_reply``.
    """
    opens, closes = text.count(OPEN), text.count(CLOSE)
    if not thinking:
        problems = ["unexpected_think"] if opens or closes else []
        return problems + (["empty_reply"] if not text.strip() else [])
    problems = []
    if opens == 0:
        problems.append("missing_think")
    else:
        first = text.index(OPEN)
        if CLOSE not in text[first:]:
            problems.append("unclosed_think")
        if opens > 1 or closes > 1:
            problems.append("multiple_think")
        if text[:first].strip():
            problems.append("text_before_think")
    thoughts, reply = split_thoughts(text)
    if thoughts == "" and "unclosed_think" not in problems:
        problems.append("empty_thoughts")
    if not reply:
        problems.append("empty_reply")
    return problems


def raw_replies(completion: Any, transcript: Transcript | None) -> list[str]:
    """The raw replies to judge: each transcript turn rebuilt, else the completion text."""
    if transcript is not None and transcript.turns:
        return [raw_reply(turn) for turn in transcript.turns]
    return [completion_text(completion)]



def mean_turn_scores(
    prompts: Sequence[Any] | None,
    completions: Sequence[Any],
    columns: dict[str, Any],
    replies: Callable[[Any, Any], list[str]],
    turn_score: Callable[[str], float],
) -> list[float]:
    """Per completion, the mean of ``turn_score`` over its agent turns (``replies(completion, transcript)``)."""
    n = check_batch(prompts, completions)
    scores = []
    for completion, transcript in zip(completions, transcripts_column(columns, n)):
        turns = [turn_score(text) for text in replies(completion, transcript)]
        scores.append(sum(turns) / len(turns))
    return scores

class FormatOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    thinking: bool = True
    reward: float = 1.0
    penalty: float = -1.0


class FormatReward:
    """``reward`` for a well-formed turn, ``penalty`` for one with any :func:`format_problems`; mean over turns.

    With ``thinking`` on, well-formed is one non-empty ``<think>...</think>`` block opening the text, then a
    non-empty reply; with it off, a non-empty reply with no think tags. Always applies (never None).
    """

    def __init__(self, **options: Any):
        self.__name__ = "format"
        self.options = validate_options(self.__name__, FormatOptions, options)

    def turn_score(self, text: str) -> float:
        o = self.options
        return o.penalty if format_problems(text, o.thinking) else o.reward

    def __call__(self, prompts: Sequence[Any] | None, completions: Sequence[Any], **columns: Any) -> list[float]:
        return mean_turn_scores(prompts, completions, columns, raw_replies, self.turn_score)


class LengthOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min_words: int = Field(1, ge=0)
    max_words: int = Field(150, ge=1)
    penalty: float = -1.0

    @model_validator(mode="after")
    def _ordered(self) -> "LengthOptions":
        if self.min_words > self.max_words:
            raise ValueError(f"min_words ({self.min_words}) is above max_words ({self.max_words})")
        return self


class LengthReward:
    """Length guard: 0 for a reply of ``min_words``..``max_words`` words (whitespace-separated, thoughts
    stripped), ``penalty`` outside; mean over turns. Always applies (never None)."""

    def __init__(self, **options: Any):
        self.__name__ = "length"
        self.options = validate_options(self.__name__, LengthOptions, options)

    def turn_score(self, reply: str) -> float:
        o = self.options
        return 0.0 if o.min_words <= len(reply.split()) <= o.max_words else o.penalty

    def __call__(self, prompts: Sequence[Any] | None, completions: Sequence[Any], **columns: Any) -> list[float]:
        return mean_turn_scores(prompts, completions, columns, agent_replies, self.turn_score)
