"""ESConv dialogues (emotional support conversations with the seekers' own ratings) as typed records.

Reads the original JSON release (with per-turn seeker feedback) and the split JSONL (without), told apart by
the first character. Consecutive supporter utterances form one :class:`SupporterTurn`. Anything malformed is an
:class:`InputError` naming file, record and field. Field mapping: ``docs/simulator-checks.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Literal, Optional

from rlemp.errors import InputError
from rlemp.files import decode_json, iter_jsonl, read_text

Role = Literal["seeker", "supporter"]
SPEAKER_ROLES: dict[str, Role] = {
    "seeker": "seeker",
    "speaker": "seeker",
    "usr": "seeker",
    "supporter": "supporter",
    "listener": "supporter",
    "sys": "supporter",
}
STRATEGIES: tuple[str, ...] = (
    "Question",
    "Restatement or Paraphrasing",
    "Reflection of feelings",
    "Self-disclosure",
    "Affirmation and Reassurance",
    "Providing Suggestions",
    "Information",
    "Others",
)
SURVEY_FIELDS = ("initial_emotion_intensity", "final_emotion_intensity", "empathy", "relevance")


@dataclass(frozen=True)
class Utterance:
    role: Role
    text: str
    strategy: Optional[str] = None  # supporter utterances: the ESConv strategy label
    feedback: Optional[float] = None  # seeker utterances: the 1-5 rating of the supporter turn before


@dataclass(frozen=True)
class SeekerSurvey:
    """The seeker's post-chat survey (1-5 each); ``None`` where the file has no value."""

    initial_emotion_intensity: Optional[float] = None
    final_emotion_intensity: Optional[float] = None
    empathy: Optional[float] = None
    relevance: Optional[float] = None

    @property
    def emotion_intensity_drop(self) -> Optional[float]:
        """How much better the seeker felt: initial minus final intensity (positive = relieved)."""
        if self.initial_emotion_intensity is None or self.final_emotion_intensity is None:
            return None
        return self.initial_emotion_intensity - self.final_emotion_intensity


@dataclass(frozen=True)
class SupporterTurn:
    """Consecutive supporter utterances, the seeker's words after them and the seeker's rating of them."""

    index: int  # 0-based among the dialogue's supporter turns
    text: str  # the utterances joined with a space
    strategies: tuple[str, ...]  # each utterance's label, in order (repeats kept)
    seeker_after: str  # the seeker's following utterances joined with a space ("" at the end of the dialogue)
    feedback: Optional[float] = None


@dataclass(frozen=True)
class EsconvDialogue:
    id: str
    situation: str
    problem_type: str
    emotion_type: str
    experience_type: str
    survey: SeekerSurvey
    utterances: tuple[Utterance, ...]
    line: Optional[int] = None  # the JSONL line (None in a JSON list, where ``id`` is the position)

    @property
    def opening(self) -> str:
        """The seeker's words before the supporter's first turn ("" when the supporter opens)."""
        words = []
        for u in self.utterances:
            if u.role == "supporter":
                break
            words.append(u.text)
        return " ".join(words)

    @property
    def feedback(self) -> list[float]:
        """Every rating the seeker gave during the chat, in order."""
        return [u.feedback for u in self.utterances if u.feedback is not None]

    def supporter_turns(self) -> list[SupporterTurn]:
        """The supporter's turns: runs of consecutive supporter utterances, with what the seeker said next."""
        runs: list[tuple[list[Utterance], list[Utterance]]] = []  # (supporter run, seeker utterances after it)
        for u in self.utterances:
            if u.role == "supporter":
                if not runs or runs[-1][1]:
                    runs.append(([], []))
                runs[-1][0].append(u)
            elif runs:
                runs[-1][1].append(u)
        turns = []
        for i, (said, after) in enumerate(runs):
            ratings = [u.feedback for u in after if u.feedback is not None]
            mean = sum(ratings) / len(ratings) if ratings else None
            turns.append(
                SupporterTurn(
                    index=i,
                    text=" ".join(u.text for u in said),
                    strategies=tuple(u.strategy for u in said if u.strategy),
                    seeker_after=" ".join(u.text for u in after),
                    feedback=int(mean) if mean is not None and mean.is_integer() else mean,
                )
            )
        return turns


def _rating(value: Any, path: Path, line: int | None, field: str) -> Optional[float]:
    """A 1-5 rating given as a number or a numeric string (an int when whole); None for null or ""."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    number = float("nan")
    if isinstance(value, (int, float, str)) and not isinstance(value, bool):
        try:
            number = float(value)
        except ValueError:
            pass
    if not 1 <= number <= 5:  # NaN fails too
        raise InputError(path, line, field, f"expected a rating 1-5, got {value!r}")
    return int(number) if number.is_integer() else number


def _text_field(record: dict, key: str, path: Path, line: int | None, where: str) -> str:
    value = record.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InputError(path, line, f"{where}{key}", f"expected a string, got {type(value).__name__}")
    return value.strip()


def parse_dialogue(record: Any, path: str | Path, line: int | None, index: int) -> EsconvDialogue:
    """One ESConv dialogue in either layout. ``line`` is the JSONL line (None for a JSON list, whose errors
    name ``[index]`` in the field path instead)."""
    path = Path(path)
    where = "" if line is not None else f"[{index}]."
    if not isinstance(record, dict):
        got = type(record).__name__
        raise InputError(path, line, where.rstrip(".") or None, f"expected a dialogue object, got {got}")
    survey_obj = record.get("survey_score")
    if survey_obj is None:
        survey_obj = {}
    if not isinstance(survey_obj, dict):
        raise InputError(path, line, f"{where}survey_score", "expected an object with a 'seeker' object")
    seeker = survey_obj.get("seeker")
    if seeker is None:
        seeker = {}
    if not isinstance(seeker, dict):
        raise InputError(path, line, f"{where}survey_score.seeker", f"expected an object, got {type(seeker).__name__}")
    survey = SeekerSurvey(
        **{key: _rating(seeker.get(key), path, line, f"{where}survey_score.seeker.{key}") for key in SURVEY_FIELDS}
    )
    turns = record.get("dialog")
    if not isinstance(turns, list):
        got = "nothing" if turns is None else type(turns).__name__
        raise InputError(path, line, f"{where}dialog", f"expected a list of turns, got {got}")
    utterances = []
    for t, turn in enumerate(turns):
        at = f"{where}dialog[{t}]"
        if not isinstance(turn, dict):
            raise InputError(path, line, at, f"expected a turn object, got {type(turn).__name__}")
        speaker = turn.get("speaker")
        role = SPEAKER_ROLES.get(speaker.strip().lower()) if isinstance(speaker, str) else None
        if role is None:
            raise InputError(
                path, line, f"{at}.speaker", f"unknown speaker {speaker!r}; expected one of {', '.join(SPEAKER_ROLES)}"
            )
        annotation = turn.get("annotation")
        if annotation is None:
            annotation = {}
        if not isinstance(annotation, dict):
            raise InputError(path, line, f"{at}.annotation", f"expected an object, got {type(annotation).__name__}")
        key = "content" if "content" in turn else "text"
        if turn.get(key) is None:  # replaying it as an empty reply would score a message nobody wrote
            raise InputError(path, line, f"{at}.content", "missing or null; every turn needs its text (a string)")
        text = _text_field(turn, key, path, line, f"{at}.")
        if not text.strip():  # as for null: a blank turn would be scored as a message nobody wrote
            raise InputError(path, line, f"{at}.{key}", "blank; every turn needs its text")
        if "strategy" in annotation:
            strategy = _text_field(annotation, "strategy", path, line, f"{at}.annotation.")
        else:
            strategy = _text_field(turn, "strategy", path, line, f"{at}.")
        feedback = _rating(annotation.get("feedback"), path, line, f"{at}.annotation.feedback")
        if role == "supporter":
            utterances.append(Utterance(role, text, strategy=strategy or None))
        else:
            utterances.append(Utterance(role, text, feedback=feedback))
    return EsconvDialogue(
        id=str(index),
        situation=_text_field(record, "situation", path, line, where),
        problem_type=_text_field(record, "problem_type", path, line, where),
        emotion_type=_text_field(record, "emotion_type", path, line, where),
        experience_type=_text_field(record, "experience_type", path, line, where),
        survey=survey,
        utterances=tuple(utterances),
        line=line,
    )


def esconv_layout(path: str | Path) -> Literal["json", "jsonl"]:
    """``json`` for the original release's JSON list, ``jsonl`` for one dialogue per line."""
    return "json" if read_text(path, "ESConv").lstrip()[:1] == "[" else "jsonl"


def iter_esconv(path: str | Path) -> Iterator[EsconvDialogue]:
    """Every dialogue of an ESConv file in either layout, in file order."""
    text = read_text(path, "ESConv")
    if text.lstrip()[:1] == "[":
        for index, record in enumerate(decode_json(text, path)):
            yield parse_dialogue(record, path, None, index)
        return
    for index, (line, record) in enumerate(iter_jsonl(path)):
        yield parse_dialogue(record, path, line, index)


def read_esconv(path: str | Path) -> list[EsconvDialogue]:
    """All dialogues of an ESConv file; an empty file is an error."""
    dialogues = list(iter_esconv(path))
    if not dialogues:
        raise InputError(path, None, None, "no ESConv dialogues in file")
    return dialogues
