"""Personas: the schema of a simulated user, validated loading from JSONL, and the SAGE/RLVER importer.

A persona is one JSON object per line. Every load error is a :class:`InputError` whose message names the
file, the line number and the field, so that the CLI can print it on one line and exit non-zero.
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Callable, Literal, Optional, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from rlemp.errors import InputError, validate_line
from rlemp.files import iter_jsonl, write_text_atomic

if TYPE_CHECKING:
    from rlemp.simulators.base import UserSimulator

HiddenNeed = Literal[
    # the four rational intentions of SAGE
    "critical_analysis",
    "practical_advice",
    "understand_others",
    "guided_reflection",
    # the four emotional intentions of SAGE
    "sincere_praise",
    "listen_to_venting",
    "deep_empathy",
    "absolution",
]
Temperament = Literal["negative", "passive", "avoidant"]
HIDDEN_NEEDS: tuple[str, ...] = get_args(HiddenNeed)
RATIONAL_NEEDS = HIDDEN_NEEDS[:4]
EMOTIONAL_NEEDS = HIDDEN_NEEDS[4:]
TEMPERAMENTS: tuple[str, ...] = get_args(Temperament)


def _not_blank(text: str) -> str:
    if not text.strip():
        raise ValueError("must not be empty or only whitespace")
    return text


# Text that must say something: an empty or whitespace-only value is refused (an empty dislike would match
# every reply).
NonBlank = Annotated[str, AfterValidator(_not_blank)]


class Personality(BaseModel):
    """Big Five traits, each in [0, 1]."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)

    openness: float = Field(ge=0, le=1)
    conscientiousness: float = Field(ge=0, le=1)
    extraversion: float = Field(ge=0, le=1)
    agreeableness: float = Field(ge=0, le=1)
    neuroticism: float = Field(ge=0, le=1)


class Persona(BaseModel):
    """A simulated user with a hidden need, a personality and a starting emotion (0-100). Strict types: a JSON
    ``"50"`` or ``true`` is not the number 50, and NaN or infinity is no value of any field."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)

    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    age: int = Field(ge=0, le=130)
    occupation: str
    scenario: str = Field(min_length=1, description="one sentence")
    background: str
    personality: Personality
    hidden_need: HiddenNeed
    dislikes: list[NonBlank] = Field(default_factory=list)
    talking_style: str
    initial_emotion: int = Field(ge=0, le=100)
    first_message: NonBlank = Field(min_length=1)
    language: str = "en"
    temperament: Optional[Temperament] = None
    difficulty: Optional[float] = Field(default=None, ge=0)


def parse_persona(obj: object, path: str | Path, line: int) -> Persona:
    """Validate one decoded JSON value as a persona; errors name ``path``, ``line`` and the field."""
    return validate_line(Persona, obj, path, line)


def load_personas(path: str | Path, simulator: UserSimulator | None = None) -> list[Persona]:
    """Load and validate a persona JSONL file; ids must be unique and the file non-empty. Given the simulator
    that will play them, a persona it cannot play (:meth:`UserSimulator.refusal`) is an error naming its line."""
    return _read_bank(path, parse_persona, "personas", simulator)


def _read_bank(path: str | Path, parse: Callable[[object, str | Path, int], Persona], what: str,
               simulator: UserSimulator | None = None) -> list[Persona]:
    """Every line of a JSONL file parsed into a persona; an error names the line of a repeated id."""
    personas: list[Persona] = []
    seen: dict[str, int] = {}
    for number, obj in iter_jsonl(path):
        persona = parse(obj, path, number)
        if persona.id in seen:
            raise InputError(path, number, "id", f"duplicate id {persona.id!r} (first on line {seen[persona.id]})")
        refused = simulator.refusal(persona) if simulator is not None else None
        if refused:
            raise InputError(path, number, *refused)
        seen[persona.id] = number
        personas.append(persona)
    if not personas:
        raise InputError(path, None, None, f"no {what} in file")
    return personas


def save_personas(personas: list[Persona], path: str | Path) -> None:
    """Write ``personas`` as JSONL to ``path``, whole or not at all (an old file stays until the new one is done)."""
    write_text_atomic(path, "".join(json.dumps(p.model_dump(exclude_none=True), ensure_ascii=False) + "\n"
                                    for p in personas))


# --- SAGE / RLVER import -------------------------------------------------------------------------------

# The eight SAGE `task` strings (Chinese, as released with RLVER) -> hidden need.
SAGE_TASKS: dict[str, str] = {
    "你希望对方辩证地分析事件中的问题": "critical_analysis",
    "你想获得能真实帮助你解决当下困境的建议": "practical_advice",
    "你想分析事件中其他人物这么做的原因": "understand_others",
    "你希望对方引导你针对事件进行自我反思，收获自我成长": "guided_reflection",
    "你希望对方真诚地夸奖你在事件中的具体行为": "sincere_praise",
    "你希望对方用心倾听你的情绪宣泄": "listen_to_venting",
    "你希望对方深刻共情你的感受，而不是简单的安慰": "deep_empathy",
    "你认为自己在事件中没有任何责任和错误，你想要对方也认同你没有错": "absolution",
}
# Fallback for reworded tasks: keyword -> need, most specific first.
_SAGE_TASK_KEYWORDS: tuple[tuple[str, str], ...] = (
    ("辩证", "critical_analysis"),
    ("建议", "practical_advice"),
    ("原因", "understand_others"),
    ("反思", "guided_reflection"),
    ("夸", "sincere_praise"),
    ("倾听", "listen_to_venting"),
    ("宣泄", "listen_to_venting"),
    ("共情", "deep_empathy"),
    ("没有错", "absolution"),
    ("责任", "absolution"),
)
_SAGE_TEMPERAMENT = {"负面型": "negative", "被动型": "passive", "回避型": "avoidant"}

# Chinese trait words of `cha_group` -> nudges of Big Five traits (from a neutral 0.5).
_SAGE_TRAITS: dict[str, dict[str, float]] = {
    "焦虑": {"neuroticism": 0.3},
    "愤怒": {"neuroticism": 0.2, "agreeableness": -0.2},
    "愤懑": {"neuroticism": 0.2, "agreeableness": -0.1},
    "自私": {"agreeableness": -0.3},
    "虚荣": {"agreeableness": -0.1, "extraversion": 0.1},
    "疯癫": {"neuroticism": 0.3, "conscientiousness": -0.2},
    "敏感": {"neuroticism": 0.2},
    "内向": {"extraversion": -0.3},
    "外向": {"extraversion": 0.3},
    "固执": {"openness": -0.2},
    "冷漠": {"agreeableness": -0.2, "extraversion": -0.1},
    "悲观": {"neuroticism": 0.2},
    "自卑": {"neuroticism": 0.2, "extraversion": -0.1},
    "多疑": {"neuroticism": 0.1, "agreeableness": -0.1},
    "冲动": {"conscientiousness": -0.2},
    "懒惰": {"conscientiousness": -0.3},
    "善良": {"agreeableness": 0.3},
    "乐观": {"neuroticism": -0.2},
    "谨慎": {"conscientiousness": 0.2},
    "谦逊": {"agreeableness": 0.2},
    "刻薄": {"agreeableness": -0.3},
    "宽容": {"agreeableness": 0.3},
    "暴躁": {"neuroticism": 0.2, "agreeableness": -0.2},
    "粗鄙": {"agreeableness": -0.2, "conscientiousness": -0.1},
    "机敏": {"openness": 0.2},
    "沉稳": {"neuroticism": -0.2, "conscientiousness": 0.1},
    "傲慢": {"agreeableness": -0.2},
    "逃避": {"neuroticism": 0.1, "conscientiousness": -0.1},
    "直率": {"extraversion": 0.1},
    "狂妄": {"agreeableness": -0.2, "extraversion": 0.2},
    "耐心": {"agreeableness": 0.2},
    "沉默寡言": {"extraversion": -0.3},
    "高冷": {"extraversion": -0.2, "agreeableness": -0.1},
    "怯懦": {"neuroticism": 0.2, "extraversion": -0.2},
}
_SAGE_FIELD = re.compile(r"^\*\s*(姓名|年龄|职业)\s*[:：]\s*(.+?)\s*$", re.MULTILINE)


def sage_task_to_need(task: str) -> str | None:
    task = task.strip()
    if task in SAGE_TASKS:
        return SAGE_TASKS[task]
    for keyword, need in _SAGE_TASK_KEYWORDS:
        if keyword in task:
            return need
    return None


def _sage_personality(traits: list[str]) -> Personality:
    values = dict.fromkeys(Personality.model_fields, 0.5)
    for trait in traits:
        for name, nudge in _SAGE_TRAITS.get(trait, {}).items():
            values[name] = min(1.0, max(0.0, values[name] + nudge))
    return Personality(**{k: round(v, 2) for k, v in values.items()})


# Scene lines that carry no story: markdown headings, bold labels ("**事件起因：**"), short "label：" lines.
_SCENE_LABEL_LINE = re.compile(r"^(#.*|\*\*[^*]+\*\*\s*[:：]?|[^。！？.!?]{0,20}[:：])$")
_SCENE_LEADING_LABEL = re.compile(r"^(\*\*[^*]+[:：]\s*\*\*|\*\*[^*]+\*\*\s*[:：]|[^。！？.!?*]{1,12}[:：])\s*")


def _first_sentence(text: str, limit: int = 200) -> str:
    """The first sentence of a SAGE scene's story, skipping headings, labels, bullets and markdown marks."""
    for line in text.splitlines():
        line = re.sub(r"^\s*([-*>]|\d+\.)\s+", "", line).strip()
        if not line or _SCENE_LABEL_LINE.match(line):
            continue
        line = re.sub(r"[*#>`]+", "", _SCENE_LEADING_LABEL.sub("", line)).strip()
        if line:
            match = re.search(r"[。！？.!?]", line)
            return (line[: match.end()] if match else line)[:limit]
    return ""  # headings and labels only: no story


# What a profile's `player` text lacks gets a default, counted per field in import_sage's summary line.
SAGE_DEFAULTS = {"name": "the profile id", "age": "30", "occupation": "empty"}


def sage_to_persona(obj: object, path: str | Path, line: int, initial_emotion: int = 40,
                    defaults_used: Optional[Counter] = None) -> Persona:
    """Map one SAGE/RLVER profile to a :class:`Persona` (text kept in its language, ``zh``).

    Name, age and occupation come from the ``* 姓名/年龄/职业:`` lines of ``player``; a missing one gets its
    :data:`SAGE_DEFAULTS` value, counted in ``defaults_used`` by persona field. A scene with no sentence of story
    is an error."""
    if not isinstance(obj, dict):
        raise InputError(path, line, None, f"expected a JSON object, got {type(obj).__name__}")
    for field in ("id", "player", "scene", "main_cha", "cha_group", "task"):
        if field not in obj:
            raise InputError(path, line, field, "missing required SAGE field")
    for field in ("id", "player", "scene", "main_cha", "task"):
        if not isinstance(obj[field], str) or not obj[field].strip():
            raise InputError(path, line, field, "must be a non-empty string")
    traits = obj["cha_group"]
    if not isinstance(traits, list) or not all(isinstance(t, str) for t in traits):
        raise InputError(path, line, "cha_group", "must be a list of strings")
    need = sage_task_to_need(obj["task"])
    if need is None:
        raise InputError(path, line, "task", f"cannot map task {obj['task']!r} to a hidden need")
    temperament = _SAGE_TEMPERAMENT.get(obj["main_cha"].strip())
    if temperament is None:
        raise InputError(path, line, "main_cha", f"unknown temperament {obj['main_cha']!r}")
    fields = dict(_SAGE_FIELD.findall(obj["player"]))
    age_match = re.search(r"\d+", fields.get("年龄", ""))
    first = obj.get("first_talk")
    if first is not None and (not isinstance(first, str) or not first.strip()):
        raise InputError(path, line, "first_talk", "must be a non-empty string when present")
    scenario = _first_sentence(obj["scene"])
    if not re.search(r"\w", scenario):
        raise InputError(path, line, "scene", "no sentence of story to take the persona's scenario from")
    if defaults_used is not None:
        defaults_used.update(name for name, found in (("name", "姓名" in fields), ("age", age_match is not None),
                                                      ("occupation", "职业" in fields)) if not found)
    persona = {
        "id": obj["id"],
        "name": fields.get("姓名", obj["id"]),
        "age": int(age_match.group()) if age_match else 30,
        "occupation": fields.get("职业", ""),
        "scenario": scenario,
        "background": obj["player"].strip() + "\n\n" + obj["scene"].strip(),
        "personality": _sage_personality(traits).model_dump(),
        "hidden_need": need,
        "dislikes": [],
        "talking_style": "、".join(traits),
        "initial_emotion": initial_emotion,
        "first_message": first or scenario,
        "language": "zh",
        "temperament": temperament,
    }
    return parse_persona(persona, path, line)


def import_sage(path: str | Path, initial_emotion: int = 40) -> list[Persona]:
    """Read a SAGE/RLVER ``profile.jsonl``; every line must map, or the error names line and field. Defaults
    filled in for what a profile's ``player`` text lacks are logged in one summary line, counted per field."""
    defaults_used: Counter = Counter()
    personas = _read_bank(
        path, lambda obj, where, line: sage_to_persona(obj, where, line, initial_emotion, defaults_used), "profiles")
    if defaults_used:
        logging.getLogger(__name__).warning(
            "%s: %d default value(s) filled in for what the profiles' player text lacks: %s", path,
            sum(defaults_used.values()), ", ".join(f"{field} ({SAGE_DEFAULTS[field]}) in {n} of {len(personas)}"
                                                   for field, n in defaults_used.items()))
    return personas
