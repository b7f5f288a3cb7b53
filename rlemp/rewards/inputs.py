"""What every reward reads: the batch TRL passes (prompts, completions, the ``transcript`` column) and its own
options, each checked with a one-line :class:`RlempError`. Apart from the registry so that the reward modules
and the registry do not import each other."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from pydantic import BaseModel, ValidationError

from rlemp.chat import split_thoughts
from rlemp.errors import RlempError, first_validation_error
from rlemp.transcript import Transcript


def as_transcript(value: Any) -> Transcript | None:
    """A transcript column entry as a :class:`Transcript` (dicts are validated), or None when absent."""
    if value is None or isinstance(value, Transcript):
        return value
    if isinstance(value, Mapping):
        try:
            return Transcript.model_validate(dict(value))
        except ValidationError as exc:
            field, message = first_validation_error(exc)
            raise RlempError(f"reward input 'transcript': field '{field}': {message}") from None
    raise RlempError(f"reward input 'transcript': expected a Transcript or a dict, got {type(value).__name__}")


def transcripts_column(columns: Mapping[str, Any], n: int) -> list[Transcript | None]:
    """The ``transcript`` keyword column as one entry per completion (all None when the column is absent)."""
    column = columns.get("transcript")
    if column is None:
        return [None] * n
    if isinstance(column, (Transcript, Mapping)) or len(column) != n:
        raise RlempError(f"reward input 'transcript': expected a list of {n} transcripts, one per completion")
    return [as_transcript(value) for value in column]


def message_text(content: Any) -> str:
    """The text of one chat message's content: a string, or a list of ``{"type": "text", "text": ...}`` parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(part["text"] for part in content if isinstance(part, Mapping) and part.get("type") == "text")
    raise RlempError(f"reward input: message content must be text, got {type(content).__name__}")


def completion_text(completion: Any) -> str:
    """A completion as text: a plain string, or the assistant messages of a TRL conversational completion
    joined by blank lines."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, list) and all(isinstance(m, Mapping) for m in completion):
        for message in completion:
            if "content" not in message:
                raise RlempError("reward input 'completions': a message has no 'content'")
        return "\n\n".join(message_text(m["content"]) for m in completion if m.get("role", "assistant") == "assistant")
    raise RlempError(
        f"reward input 'completions': expected a string or a list of messages, got {type(completion).__name__}"
    )


def agent_replies(completion: Any, transcript: Transcript | None) -> list[str]:
    """The replies the user saw: every turn's reply from the transcript when it has turns, else the completion
    text with its thoughts stripped (one reply)."""
    if transcript is not None and transcript.turns:
        return [turn.agent for turn in transcript.turns]
    return [split_thoughts(completion_text(completion))[1]]


def check_batch(prompts: Sequence[Any] | None, completions: Sequence[Any]) -> int:
    """The batch size; prompts (when given) must match the completions one to one."""
    if isinstance(completions, str) or not isinstance(completions, Sequence):
        raise RlempError("reward input 'completions': expected a list with one completion per sample")
    if prompts is not None and len(prompts) != len(completions):
        raise RlempError(f"reward input: {len(prompts)} prompts but {len(completions)} completions")
    return len(completions)


def validate_options(name: str, options_class: type[BaseModel], options: Mapping[str, Any]) -> BaseModel:
    """Validate a reward's options; an unknown or bad option is a one-line :class:`RlempError`."""
    try:
        return options_class.model_validate(dict(options))
    except ValidationError as exc:
        field, message = first_validation_error(exc)
        where = f"option '{field}'" if field else "options"
        raise RlempError(f"reward '{name}' {where}: {message}") from None
