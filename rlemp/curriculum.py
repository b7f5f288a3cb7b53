"""Curriculum learning by emotional-shift difficulty: how hard each dialogue or persona is, and in what order
and pace a trainer sees them.

Difficulty of a recorded dialogue (PRC-Emo's weighted emotional shift)
    Every emotion label sits on Russell's valence-arousal circle (angles in :data:`EMOTION_ANGLES`, degrees
    counter-clockwise from "pleasant"; rounded from Russell 1980, with disgust, shame, guilt... placed beside
    their nearest Russell terms). The similarity of two labels is ``|cos(angle difference)|`` as in PRC-Emo's
    code (which takes the absolute value): near labels (anger/fear, easy to confuse) and opposite labels
    (joy/sadness, a sharp reversal) both score near 1, orthogonal ones (joy/anger) near 0. ``neutral`` is the
    circle's centre and has no direction: its similarity to any other label is 0, so a shift into or out of
    neutral weighs exactly ``b``. A shift counts only when the label changes (as PRC-Emo), and weighs
    ``k * similarity + b`` (k = 1, b = 0.4). WES_same sums the shifts between consecutive utterances of each
    speaker, WES_diff those between adjacent utterances of different speakers, and

        difficulty = (WES_same + WES_diff + N_speakers) / (N_utterances + N_speakers),

    so a dialogue without shifts scores ``N_speakers / (N_utterances + N_speakers)``. Utterances without a
    label (an rlemp agent's replies) count as utterances and speakers but never shift (PRC-Emo's ``null``).

rlemp transcripts
    Only the simulated user has emotion scores: the opening carries ``initial_emotion``, each user reply the
    emotion after that turn. Scores map through the SAGE bands to labels (:data:`BAND_EMOTIONS`): S (100) joy,
    A (70-99) contentment, B (40-69) neutral, C (10-39) sadness, F (< 10) anger (a user who gives up on the
    agent is angry with it, not merely sad). The agent's replies are unlabelled utterances of a second speaker.

ESConv (no utterance-level emotions; either layout, read by :mod:`rlemp.esconv`)
    Three deficits in [0, 1]: the distress to relieve, ``(initial_emotion_intensity - 1) / 4``; the distress
    left, ``(final_emotion_intensity - 1) / 4``; and the seeker's dissatisfaction, ``(5 - mean feedback) / 4``
    over the seeker turns annotated with ``feedback``. The difficulty is their mean over those present (the
    feedback term is skipped when no turn is annotated; a dialogue with none of the three is an error).

Difficulty of a persona (measured, not guessed)
    A reference policy (by default :data:`REFERENCE_REPLIES`, a fixed script of supportive replies) talks to
    the persona through the simulator. With start and end the emotion before and after, on a 0-1 scale,
    ``difficulty = ((1 - start) + (1 - end)) / 2``, i.e. the shift needed minus half the shift achieved:
    the further the user starts from 100 and the less the reference policy moves them, the harder. A persona's
    own ``difficulty`` field overrides the measurement. Results are cached in a JSON file keyed by persona id,
    a hash of the persona, the simulator's config hash, the seed, max_turns and the policy's name.

Schedules (:class:`CurriculumSchedule`), over items sorted easiest first
    ``none``: a seeded shuffle per epoch. ``sorted``: the whole list easy to hard, again each epoch.
    ``baby_steps``: ``buckets`` equal buckets (the last takes the remainder, as PRC-Emo), unlocked cumulatively,
    one more every ``total_steps / buckets`` steps. ``competence``: the easiest ``c(t)`` share, with
    ``c(t) = min(1, sqrt(t (1 - c0^2) / T + c0^2))`` (Platanios et al. 2019). ``adaptive``: cumulative buckets,
    moving on a level once the success rate of the last ``window`` recorded results on the current level
    reaches ``threshold``. Pooled schedules draw each step's items uniformly from the unlocked pool with a
    generator seeded by ``(seed, step)``, so a step's items depend only on the seed, the step and (adaptive)
    the level history: the state to checkpoint is that history, the recent results and the sampler position.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Optional, Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from torch.utils.data import Sampler

from rlemp.errors import InputError, RlempError
from rlemp.esconv import EsconvDialogue, read_esconv
from rlemp.files import check_regular_file, iter_jsonl, read_json, write_text_atomic
from rlemp.personas import Persona

if TYPE_CHECKING:
    from rlemp.rollout import Policy
    from rlemp.simulators.base import UserSimulator
    from rlemp.transcript import Transcript

# --- emotions on the valence-arousal circle ----------------------------------------------------------------

NEUTRAL = "neutral"
# Degrees counter-clockwise from pleasant (0) through aroused (90), unpleasant (180) and calm (270).
EMOTION_ANGLES: dict[str, float] = {
    # the six MELD emotions (neutral is the centre, see NEUTRAL)
    "joy": 20.0,  # between Russell's happy (8) and delighted (25)
    "surprise": 70.0,  # astonished
    "anger": 100.0,  # angry
    "fear": 117.0,  # afraid
    "disgust": 140.0,  # unpleasant, moderately aroused: beside distressed/frustrated
    "sadness": 208.0,  # sad
    # common extras (IEMOCAP, EmoryNLP, DailyDialog, ESConv, GoEmotions-style labels)
    "excitement": 49.0,
    "pride": 40.0,
    "love": 15.0,
    "gratitude": 12.0,
    "hope": 345.0,
    "contentment": 325.0,
    "relief": 320.0,
    "calm": 316.0,
    "boredom": 241.0,
    "tiredness": 268.0,
    "nervousness": 95.0,  # tense/alarmed
    "anxiety": 110.0,
    "jealousy": 125.0,
    "annoyance": 123.0,
    "frustration": 141.0,
    "shame": 200.0,
    "guilt": 195.0,
    "pain": 190.0,  # miserable
    "loneliness": 215.0,
    "depression": 211.0,
    "despair": 205.0,
}
EMOTION_ALIASES: dict[str, str] = {
    "neutral": NEUTRAL,
    "no_emotion": NEUTRAL,
    "none": NEUTRAL,
    "happy": "joy",
    "happiness": "joy",
    "joyful": "joy",
    "surprised": "surprise",
    "angry": "anger",
    "mad": "anger",
    "scared": "fear",
    "afraid": "fear",
    "disgusted": "disgust",
    "sad": "sadness",
    "excited": "excitement",
    "proud": "pride",
    "powerful": "pride",
    "grateful": "gratitude",
    "hopeful": "hope",
    "content": "contentment",
    "peaceful": "calm",
    "relieved": "relief",
    "bored": "boredom",
    "tired": "tiredness",
    "nervous": "nervousness",
    "anxious": "anxiety",
    "jealous": "jealousy",
    "annoyed": "annoyance",
    "frustrated": "frustration",
    "ashamed": "shame",
    "guilty": "guilt",
    "lonely": "loneliness",
    "depressed": "depression",
    "desperate": "despair",
}
# SAGE band of a simulated user's emotion score -> label.
BAND_EMOTIONS = {"S": "joy", "A": "contentment", "B": NEUTRAL, "C": "sadness", "F": "anger"}
DEFAULT_K = 1.0
DEFAULT_B = 0.4


def canonical_emotion(label: str) -> str | None:
    """The canonical name of an emotion label (case, spaces and common variants folded), or None if unknown."""
    key = label.strip().lower().replace(" ", "_").replace("-", "_")
    if key in EMOTION_ANGLES:
        return key
    return EMOTION_ALIASES.get(key)


def known_emotions() -> str:
    return ", ".join(sorted({NEUTRAL, *EMOTION_ANGLES}))


def emotion_similarity(a: str, b: str) -> float:
    """``|cos|`` of the angle between two canonical labels; 1 for equal labels, 0 between neutral and another."""
    if a == b:
        return 1.0
    if NEUTRAL in (a, b):
        return 0.0
    return abs(math.cos(math.radians(EMOTION_ANGLES[a] - EMOTION_ANGLES[b])))


def score_emotion(score: int) -> str:
    """The label of a simulated user's 0-100 emotion score, through its SAGE band."""
    from rlemp.simulators.base import band

    return BAND_EMOTIONS[band(score)]


# --- PRC-Emo weighted emotional shift -----------------------------------------------------------------------


@dataclass(frozen=True)
class Utterance:
    speaker: str
    emotion: str | None  # canonical label; None: unlabelled (counted, never shifts)


@dataclass
class Dialogue:
    id: str
    utterances: list[Utterance]


def _shift(a: str | None, b: str | None, k: float, bias: float) -> float:
    if a is None or b is None or a == b:
        return 0.0
    return k * emotion_similarity(a, b) + bias


def weighted_emotional_shift(
    utterances: Sequence[Utterance], k: float = DEFAULT_K, b: float = DEFAULT_B
) -> tuple[float, float]:
    """``(WES_same, WES_diff)``: weighted shifts within each speaker's turns and across adjacent speakers."""
    last_by_speaker: dict[str, str | None] = {}
    same = diff = 0.0
    for i, utt in enumerate(utterances):
        if utt.speaker in last_by_speaker:
            same += _shift(last_by_speaker[utt.speaker], utt.emotion, k, b)
        last_by_speaker[utt.speaker] = utt.emotion
        if i and utterances[i - 1].speaker != utt.speaker:
            diff += _shift(utterances[i - 1].emotion, utt.emotion, k, b)
    return same, diff


def dialogue_difficulty(utterances: Sequence[Utterance], k: float = DEFAULT_K, b: float = DEFAULT_B) -> float:
    """PRC-Emo: ``(WES_same + WES_diff + N_speakers) / (N_utterances + N_speakers)``."""
    if not utterances:
        raise ValueError("a dialogue needs at least one utterance")
    same, diff = weighted_emotional_shift(utterances, k, b)
    speakers = len({u.speaker for u in utterances})
    return (same + diff + speakers) / (len(utterances) + speakers)


# --- loaders -----------------------------------------------------------------------------------------------

MELD_COLUMNS = ("Utterance", "Speaker", "Emotion", "Dialogue_ID", "Utterance_ID")
FORMATS = ("meld", "esconv", "rlemp")


def load_meld(path: str | Path) -> list[Dialogue]:
    """Dialogues of a MELD-style CSV, in order of first appearance, utterances ordered by ``Utterance_ID``."""
    path = check_regular_file(path, "CSV")
    f = path.open(newline="", encoding="utf-8-sig")  # check_regular_file has reported a missing path or a folder
    rows: dict[str, dict[int, Utterance]] = {}
    with f:
        reader = csv.DictReader(f)
        try:
            header = reader.fieldnames or []
            for column in MELD_COLUMNS:
                if column not in header:
                    raise InputError(path, 1, column, "missing column")
            for row in reader:
                line = reader.line_num
                for column in MELD_COLUMNS:
                    if row.get(column) is None:
                        raise InputError(path, line, column, "missing value (short row)")
                emotion = canonical_emotion(row["Emotion"])
                if emotion is None:
                    raise InputError(
                        path, line, "Emotion", f"unknown emotion {row['Emotion']!r}; known: {known_emotions()}"
                    )
                try:
                    utt_id = int(row["Utterance_ID"])
                except ValueError:
                    raise InputError(path, line, "Utterance_ID", f"not an integer: {row['Utterance_ID']!r}") from None
                dialogue = rows.setdefault(row["Dialogue_ID"].strip(), {})
                if utt_id in dialogue:
                    raise InputError(path, line, "Utterance_ID", f"duplicate utterance {utt_id} in this dialogue")
                dialogue[utt_id] = Utterance(row["Speaker"].strip(), emotion)
        except UnicodeDecodeError as exc:
            raise InputError(path, None, None, f"not UTF-8 text ({exc.reason})") from None
        except csv.Error as exc:
            raise InputError(path, reader.line_num, None, f"bad CSV ({exc})") from None
    if not rows:
        raise InputError(path, None, None, "no utterances in file")
    return [Dialogue(d_id, [utts[u] for u in sorted(utts)]) for d_id, utts in rows.items()]


def transcript_dialogue(transcript: Transcript, dialogue_id: str) -> Dialogue:
    """A transcript as a dialogue: user utterances labelled through their SAGE bands, agent replies unlabelled."""
    utterances = [Utterance("user", score_emotion(transcript.initial_emotion))]
    for turn in transcript.turns:
        utterances.append(Utterance("agent", None))
        utterances.append(Utterance("user", score_emotion(turn.emotion)))
    return Dialogue(dialogue_id, utterances)


def load_transcript_dialogues(path: str | Path) -> list[Dialogue]:
    """rlemp transcripts as dialogues, with ids ``persona_id@seed`` (``#2``, ``#3``... on repeats)."""
    from rlemp.transcript import read_transcripts

    dialogues, seen = [], {}
    for t in read_transcripts(path):
        if not t.turns:  # a conversation that never happened has no emotional shift to rank
            raise InputError(path, None, "turns", f"transcript of {t.persona_id!r} (seed {t.seed}) has no turns")
        base = f"{t.persona_id}@{t.seed}"
        seen[base] = seen.get(base, 0) + 1
        dialogues.append(transcript_dialogue(t, base if seen[base] == 1 else f"{base}#{seen[base]}"))
    return dialogues


def esconv_difficulty(dialogue: EsconvDialogue, path: str | Path) -> float:
    """Mean of the distress to relieve, the distress left and the seeker's dissatisfaction (see module doc)."""
    where = None if dialogue.line is not None else f"[{dialogue.id}]"
    if not dialogue.utterances:  # a survey alone does not make a conversation to learn from
        raise InputError(path, dialogue.line, f"{where or ''}.dialog".lstrip("."), "no turns in the dialogue")
    survey = dialogue.survey
    intensities = (survey.initial_emotion_intensity, survey.final_emotion_intensity)
    deficits = [(value - 1) / 4 for value in intensities if value is not None]
    feedback = dialogue.feedback
    if feedback:
        deficits.append((5 - sum(feedback) / len(feedback)) / 4)
    if not deficits:
        raise InputError(path, dialogue.line, where, "no emotion intensities in survey_score.seeker and no feedback")
    return sum(deficits) / len(deficits)


def load_esconv_difficulties(path: str | Path) -> list[tuple[str, float]]:
    """``(id, difficulty)`` for each dialogue of an ESConv file; the id is the dialogue's 0-based index."""
    return [(d.id, esconv_difficulty(d, path)) for d in read_esconv(path)]


def infer_format(path: str | Path) -> str:
    """``meld`` for .csv, ``esconv`` for .json, ``rlemp`` for .jsonl."""
    suffix = Path(path).suffix.lower()
    formats = {".csv": "meld", ".json": "esconv", ".jsonl": "rlemp"}
    if suffix not in formats:
        raise RlempError(f"{path}: cannot tell the format from the suffix {suffix!r}; pass --format meld|esconv|rlemp")
    return formats[suffix]


def dialogue_difficulties(
    path: str | Path, fmt: str | None = None, k: float = DEFAULT_K, b: float = DEFAULT_B
) -> list[tuple[str, float]]:
    """``(id, difficulty)`` for every dialogue of a MELD-style CSV, ESConv JSON or rlemp transcript file."""
    fmt = fmt or infer_format(path)
    if fmt == "esconv":
        return load_esconv_difficulties(path)
    if fmt == "meld":
        dialogues = load_meld(path)
    elif fmt == "rlemp":
        dialogues = load_transcript_dialogues(path)
    else:
        raise RlempError(f"unknown dialogue format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return [(d.id, dialogue_difficulty(d.utterances, k, b)) for d in dialogues]


# --- persona difficulty, measured with a reference policy --------------------------------------------------

# The reference agent: plain, decent support (validation, open questions, reflection, a small step, praise).
REFERENCE_REPLIES: tuple[str, ...] = (
    "That sounds really hard, and I'm sorry you're going through this. I'm here and listening. What happened?",
    "It makes sense that you feel this way; anyone in your position would feel hurt and worn out.",
    "What part of this weighs on you the most right now?",
    "You've been carrying a lot, and the way you've kept going says a lot about your strength.",
    "If it would help, we could think about one small step you could take next. What would feel manageable?",
    "I understand why you reacted the way you did. You don't have to carry this alone.",
    "How are you feeling now, compared to when we started talking?",
    "Thank you for trusting me with this. I'm glad you reached out, and I'm here whenever you want to talk.",
)
REFERENCE_POLICY_NAME = "reference-script:" + hashlib.sha256(json.dumps(REFERENCE_REPLIES).encode()).hexdigest()[:12]


def shift_difficulty(start: float, end: float) -> float:
    """``((1 - start) + (1 - end)) / 2`` for wellbeing on a 0-1 scale: shift needed minus half the shift achieved."""
    return ((1 - start) + (1 - end)) / 2


def _policy_name(policy: Policy) -> str:
    name = getattr(policy, "name", None)
    return name or f"{getattr(policy, '__module__', '?')}.{getattr(policy, '__qualname__', type(policy).__name__)}"


def _cache_key(persona: Persona, config_hash: str, seed: int, max_turns: int, policy_name: str) -> str:
    persona_hash = hashlib.sha256(persona.model_dump_json().encode()).hexdigest()[:12]
    return (f"{persona.id}|persona={persona_hash}|sim={config_hash}|seed={seed}|max_turns={max_turns}"
            f"|policy={policy_name}")


def _read_cache(path: Path | None) -> dict[str, float]:
    if path is None or not path.exists():
        return {}
    try:
        data = read_json(path)
    except InputError as exc:
        raise InputError(path, exc.line, None, f"{exc.message}; delete the difficulty cache to rebuild it") from None
    if not isinstance(data, dict) or not all(
        isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= 1 for v in data.values()
    ):
        raise InputError(path, None, None, "difficulty cache must map keys to numbers in [0, 1]; delete it to rebuild")
    return {k: float(v) for k, v in data.items()}


def _write_cache(path: Path, cache: dict[str, float]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(cache, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)


def measure_persona_difficulty(
    personas: Sequence[Persona],
    simulator: UserSimulator,
    policy: Policy | None = None,
    seed: int = 0,
    max_turns: int = 8,
    cache_path: str | Path | None = None,
    policy_name: str | None = None,
) -> dict[str, float]:
    """Difficulty of each persona (by id): its own ``difficulty`` field, else measured by talking to it.

    ``policy`` maps the open transcripts to one reply each (default: the :data:`REFERENCE_REPLIES` script).
    Name a custom policy with ``policy_name`` (or a ``name`` attribute) so its cache entries stay apart.
    """
    from rlemp.rollout import run_conversations, scripted_policy

    if policy is None:
        policy, policy_name = scripted_policy(REFERENCE_REPLIES), REFERENCE_POLICY_NAME
    policy_name = policy_name or _policy_name(policy)
    cache_file = Path(cache_path) if cache_path is not None else None
    cache = _read_cache(cache_file)
    result: dict[str, float] = {}
    todo: list[tuple[Persona, str]] = []
    for persona in personas:
        key = _cache_key(persona, simulator.config_hash, seed, max_turns, policy_name)
        if persona.difficulty is not None:
            result[persona.id] = persona.difficulty
        elif key in cache:
            result[persona.id] = cache[key]
        else:
            todo.append((persona, key))
    if todo:
        rollout = run_conversations(simulator, [p for p, _ in todo], policy, seed, max_turns)
        if rollout.dropped:
            first = rollout.dropped[0]
            raise RlempError(f"could not measure the difficulty of persona {first.transcript.persona_id!r}: "
                             f"{first.error}")
        for (persona, key), t in zip(todo, rollout.transcripts, strict=True):
            cache[key] = result[persona.id] = shift_difficulty(t.initial_emotion / 100, t.final_emotion / 100)
        if cache_file is not None:
            _write_cache(cache_file, cache)
    return {p.id: result[p.id] for p in personas}


# --- configuration and difficulty sources ------------------------------------------------------------------

Schedule = Literal["none", "sorted", "baby_steps", "competence", "adaptive"]


class CurriculumConfig(BaseModel):
    """The recipe's ``curriculum:`` block."""

    model_config = ConfigDict(extra="forbid")

    schedule: Schedule = "none"
    buckets: int = Field(4, ge=1, description="baby_steps and adaptive: number of difficulty levels")
    c0: float = Field(0.1, gt=0, le=1, description="competence: share of the easiest items available at step 0")
    total_steps: Optional[int] = Field(
        None, ge=1, description="T of baby_steps and competence, in sampler steps; trainers default it to max_steps"
    )
    threshold: float = Field(0.7, ge=0, le=1, description="adaptive: success rate that unlocks the next level")
    window: int = Field(16, ge=1, description="adaptive: recent results the success rate is taken over")
    difficulty_source: str = Field(
        "measure",
        description="'measure' (reference policy on the rule simulator; a persona's difficulty field wins) or "
        "a JSONL file of {id, difficulty} lines as written by `rlemp curriculum`",
    )

    @property
    def orders_data(self) -> bool:
        """Whether the schedule decides the order, so the trainer's own shuffling must be off."""
        return self.schedule != "none"


def read_difficulty_file(path: str | Path) -> dict[str, float]:
    """``{id: difficulty}`` from a JSONL file as written by :func:`write_difficulties`."""
    out: dict[str, float] = {}
    for line, obj in iter_jsonl(path):
        if not isinstance(obj, dict):
            raise InputError(path, line, None, "expected a JSON object")
        if not isinstance(obj.get("id"), str):
            raise InputError(path, line, "id", "missing or not a string")
        value = obj.get("difficulty")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InputError(path, line, "difficulty", f"expected a number, got {value!r}")
        out[obj["id"]] = float(value)
    if not out:
        raise InputError(path, None, None, "no difficulties in file")
    return out


def persona_difficulties(
    personas: Sequence[Persona],
    config: CurriculumConfig,
    seed: int = 0,
    max_turns: int = 8,
    cache_path: str | Path | None = None,
) -> list[float]:
    """One difficulty per persona, in order, from ``config.difficulty_source`` (see :class:`CurriculumConfig`)."""
    if config.difficulty_source != "measure":
        table = read_difficulty_file(config.difficulty_source)
        missing = [p.id for p in personas if p.id not in table and p.difficulty is None]
        if missing:
            raise InputError(config.difficulty_source, None, "id", f"no difficulty for persona {missing[0]!r}")
        return [p.difficulty if p.difficulty is not None else table[p.id] for p in personas]
    from rlemp.simulators import build_simulator

    measured = measure_persona_difficulty(personas, build_simulator("rule"), None, seed, max_turns, cache_path)
    return [measured[p.id] for p in personas]


# --- schedules ---------------------------------------------------------------------------------------------


def ordered_items(difficulties: Sequence[float]) -> list[int]:
    """Item indices easiest first (ties keep their original order)."""
    return sorted(range(len(difficulties)), key=lambda i: (difficulties[i], i))


def competence(step: int, total_steps: int, c0: float) -> float:
    """``c(t) = min(1, sqrt(t (1 - c0^2) / T + c0^2))``."""
    return min(1.0, math.sqrt(step * (1 - c0**2) / total_steps + c0**2))


class CurriculumSchedule:
    """Which items to train on at each step. ``indices(step, k)`` is a pure function of the seed, the step and
    (adaptive) the level history, so replaying steps after a resume gives the same items."""

    def __init__(self, difficulties: Sequence[float], config: CurriculumConfig | None = None, seed: int = 0):
        self.config = config or CurriculumConfig()
        if not difficulties:
            raise RlempError("the curriculum has no items")
        if self.config.schedule in ("baby_steps", "competence") and self.config.total_steps is None:
            raise RlempError(f"curriculum.total_steps must be set for the {self.config.schedule!r} schedule")
        self.seed = seed
        self.order = ordered_items(difficulties)
        n = len(self.order)
        levels = min(self.config.buckets, n)
        size = n // levels
        # cumulative ends of the difficulty buckets; the last bucket takes the remainder (as PRC-Emo)
        self.level_ends = [size * (level + 1) for level in range(levels - 1)] + [n]
        self._level_starts: list[tuple[int, int]] = [(0, 0)]  # (first step, level), adaptive only
        self._results: list[bool] = []
        self._last_drawn = -1

    def __len__(self) -> int:
        return len(self.order)

    @property
    def level(self) -> int:
        """The current adaptive level (0-based; the number of unlocked buckets minus one)."""
        return self._level_starts[-1][1]

    def level_at(self, step: int) -> int:
        if self.config.schedule == "baby_steps":
            return min(len(self.level_ends) - 1, step * len(self.level_ends) // self.config.total_steps)
        return max(level for start, level in self._level_starts if start <= step)

    def unlocked(self, step: int) -> list[int]:
        """Dataset indices available at ``step``, easiest first."""
        schedule = self.config.schedule
        if schedule in ("none", "sorted"):
            return list(self.order)
        if schedule == "competence":
            share = competence(step, self.config.total_steps, self.config.c0)
            return self.order[: max(1, math.ceil(share * len(self.order) - 1e-9))]
        return self.order[: self.level_ends[self.level_at(step)]]

    def indices(self, step: int, k: int) -> list[int]:
        """The ``k`` dataset indices to train on at ``step``."""
        self._last_drawn = max(self._last_drawn, step)
        n = len(self.order)
        positions = range(step * k, step * k + k)
        if self.config.schedule == "sorted":
            return [self.order[p % n] for p in positions]
        if self.config.schedule == "none":  # a fresh seeded permutation every epoch
            perms: dict[int, list[int]] = {}
            for p in positions:
                if p // n not in perms:
                    perms[p // n] = np.random.default_rng([self.seed, p // n]).permutation(n).tolist()
            return [perms[p // n][p % n] for p in positions]
        pool = self.unlocked(step)
        rng = np.random.default_rng([self.seed, step])
        drawn: list[int] = []
        while len(drawn) < k:  # without replacement while the pool lasts
            drawn.extend(rng.permutation(pool)[: k - len(drawn)].tolist())
        return drawn

    def record(self, indices: Sequence[int], successes: Sequence[bool]) -> bool:
        """Report outcomes (adaptive only; a no-op otherwise); returns True when this moves to the next level.

        A new level applies from the first step not yet drawn, so steps already handed out keep their items.
        """
        if self.config.schedule != "adaptive":
            return False
        if len(indices) != len(successes):
            raise ValueError("one success flag per index")
        self._results.extend(bool(s) for s in successes)
        self._results = self._results[-self.config.window :]
        if (
            self.level < len(self.level_ends) - 1
            and len(self._results) >= self.config.window
            and sum(self._results) / len(self._results) >= self.config.threshold
        ):
            self._level_starts.append((self._last_drawn + 1, self.level + 1))
            self._results = []
            return True
        return False

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue exactly (draws derive from the seed, so no generator state)."""
        return {
            "schedule": self.config.schedule,
            "items": len(self.order),
            "seed": self.seed,
            "level_starts": [list(s) for s in self._level_starts],
            "results": list(self._results),
            "last_drawn": self._last_drawn,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for key, mine in (("schedule", self.config.schedule), ("items", len(self.order))):
            if state.get(key) != mine:
                raise RlempError(f"curriculum state is for {key} {state.get(key)!r}, this run has {mine!r}")
        self.seed = int(state["seed"])
        self._level_starts = [(int(s), int(level)) for s, level in state["level_starts"]]
        self._results = [bool(r) for r in state["results"]]
        self._last_drawn = int(state["last_drawn"])


class CurriculumSampler(Sampler[int]):
    """A ``torch`` sampler over a schedule, step by step, for TRL/transformers trainers.

    Each step yields ``batch_size`` indices, each repeated ``repeat`` times in a row (GRPO's
    ``num_generations``), the whole step ``repeat_count`` times (GRPO's ``num_iterations *
    steps_per_generation``), exactly like TRL's ``RepeatSampler``. An epoch is ``num_steps`` steps; step numbers
    keep counting across epochs. ``position`` is the next step to hand out, so a loop that consumes whole steps
    resumes exactly from ``state_dict()``. Inside a transformers ``Trainer`` the data loader prefetches, so the
    position runs ahead of training: there :func:`curriculum_callback` restores the schedule only, the trainer's
    ``set_epoch`` call moves to the resumed epoch's first step and its replay of the consumed batches
    (``ignore_data_skip=False``) to the checkpoint's step, with the same items since every draw is deterministic.
    """

    def __init__(
        self, schedule: CurriculumSchedule, batch_size: int, num_steps: int, repeat: int = 1, repeat_count: int = 1
    ):
        if min(batch_size, num_steps, repeat, repeat_count) < 1:
            raise ValueError("batch_size, num_steps, repeat and repeat_count must be >= 1")
        self.schedule = schedule
        self.batch_size, self.num_steps = batch_size, num_steps
        self.repeat, self.repeat_count = repeat, repeat_count
        self.position = 0

    def __iter__(self):
        epoch_end = (self.position // self.num_steps + 1) * self.num_steps
        while self.position < epoch_end:
            chosen = self.schedule.indices(self.position, self.batch_size)
            self.position += 1
            for _ in range(self.repeat_count):
                for index in chosen:
                    for _ in range(self.repeat):
                        yield index

    def __len__(self) -> int:
        return self.num_steps * self.batch_size * self.repeat * self.repeat_count

    def set_epoch(self, epoch: int) -> None:
        """Called by trainers before each epoch (also the one a resume starts in): go to that epoch's first step,
        unless the position is already inside it."""
        if self.position // self.num_steps != epoch:
            self.position = epoch * self.num_steps

    def state_dict(self) -> dict[str, Any]:
        return {"position": self.position, "schedule": self.schedule.state_dict()}

    def load_state_dict(self, state: dict[str, Any], restore_position: bool = True) -> None:
        self.schedule.load_state_dict(state["schedule"])
        if restore_position:
            self.position = int(state["position"])


CURRICULUM_STATE_FILE = "curriculum_state.json"


def save_curriculum_state(sampler: CurriculumSampler, checkpoint_dir: str | Path) -> Path:
    path = Path(checkpoint_dir) / CURRICULUM_STATE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(sampler.state_dict()), encoding="utf-8")
    return path


def load_curriculum_state(checkpoint_dir: str | Path) -> dict[str, Any] | None:
    """The curriculum state saved in a checkpoint folder, or None if it has none."""
    path = Path(checkpoint_dir) / CURRICULUM_STATE_FILE
    if not path.exists():
        return None
    return read_json(path)


def curriculum_callback(sampler: CurriculumSampler):
    """A ``transformers`` callback that saves the curriculum in every checkpoint and restores it on resume.

    On resume the trainer has loaded ``global_step`` from ``checkpoint-N`` before ``on_train_begin``; the
    schedule's state (level history, recent results) is read from there, and the trainer's replay of the
    consumed batches repositions the sampler, which is why ``ignore_data_skip`` must stay False.
    """
    from transformers import TrainerCallback

    class CurriculumCallback(TrainerCallback):
        def on_train_begin(self, args, state, control, **kwargs):
            if state.global_step == 0:
                return
            saved = load_curriculum_state(Path(args.output_dir) / f"checkpoint-{state.global_step}")
            if saved is None:
                return
            if args.ignore_data_skip:
                raise RlempError("resuming a curriculum needs ignore_data_skip=False (the trainer's batch replay "
                                 "puts the sampler back at the checkpoint's step)")
            sampler.load_state_dict(saved, restore_position=False)

        def on_save(self, args, state, control, **kwargs):
            if state.is_world_process_zero:
                save_curriculum_state(sampler, Path(args.output_dir) / f"checkpoint-{state.global_step}")

    return CurriculumCallback()


def turn_off_shuffling(args: Any) -> Any:
    """Stop a TRL/transformers trainer from reordering data the curriculum orders; returns ``args``."""
    if hasattr(args, "shuffle_dataset"):  # GRPO, RLOO (TRL)
        args.shuffle_dataset = False
    if hasattr(args, "train_sampling_strategy"):  # transformers Trainer (DPO, SFT...)
        args.train_sampling_strategy = "sequential"
    return args


# --- command line ------------------------------------------------------------------------------------------


def difficulty_items(
    personas: str | Path | None = None,
    dialogues: str | Path | None = None,
    fmt: str | None = None,
    seed: int = 0,
    max_turns: int = 8,
    cache_path: str | Path | None = None,
) -> list[tuple[str, float]]:
    """``(id, difficulty)`` of a persona file (measured on the rule simulator) or of a dialogue file."""
    if (personas is None) == (dialogues is None):
        raise RlempError("give exactly one of --personas or --dialogues")
    if dialogues is not None:
        return dialogue_difficulties(dialogues, fmt)
    if fmt is not None:
        raise RlempError("--format applies to --dialogues only")
    from rlemp.personas import load_personas
    from rlemp.simulators import build_simulator

    simulator = build_simulator("rule")
    bank = load_personas(personas, simulator)
    return list(measure_persona_difficulty(bank, simulator, None, seed, max_turns, cache_path).items())


# --- output ------------------------------------------------------------------------------------------------


def histogram_path(out: str | Path) -> Path:
    """Where :func:`write_difficulties` draws the histogram: beside ``out``, as a .png."""
    out = Path(out)
    return out.with_suffix(".png") if out.suffix.lower() != ".png" else out.with_name(out.stem + ".hist.png")


def write_difficulties(items: Sequence[tuple[str, float]], out: str | Path) -> Path:
    """Write ``{"id", "difficulty"}`` lines easiest first to ``out`` and a histogram PNG beside it; returns the PNG."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if not items:
        raise RlempError("no items to write")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    order = ordered_items([d for _, d in items])
    write_text_atomic(out, "".join(json.dumps({"id": items[i][0], "difficulty": round(items[i][1], 6)},
                                              ensure_ascii=False) + "\n" for i in order))
    png = histogram_path(out)
    fig = Figure(figsize=(6, 4))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.hist([d for _, d in items], bins=min(30, max(5, len(items) // 5)), color="#4c72b0", edgecolor="white")
    ax.set_xlabel("difficulty")
    ax.set_ylabel("items")
    ax.set_title(f"{len(items)} items, easiest {min(d for _, d in items):.3f}, hardest {max(d for _, d in items):.3f}")
    fig.tight_layout()
    fig.savefig(png, dpi=100)
    return png
