"""The supporter-reply corpus for the SFT warm start: conversations with the training personas in which the
supporter's replies are of every quality, each followed by the simulated user's realistic reaction.

Replies come from ``data/corpus/reply_bank.jsonl`` (hand-written, by category); the reactions come from
the ``rule`` simulator, so the corpus teaches a small model both how supporters talk and how users react
(the follow-up-likelihood reward reads the latter). The mix is deliberately broad (mostly helpful, a third
poor, a few manipulative) so that sampling from the warm-started model gives RL something to choose from.
Built deterministically from a seed; the shipped file is ``data/corpus/supporter_replies.jsonl``.
"""

from __future__ import annotations

import json
import logging
import random
import re
from collections import defaultdict
from pathlib import Path
from typing import Sequence

from rlemp.chat import SYSTEM_PROMPT
from rlemp.errors import InputError
from rlemp.files import iter_jsonl
from rlemp.personas import Persona
from rlemp.simulators.base import UserSimulator

CATEGORY_WEIGHTS = {
    "validation": 8,
    "reflective_question": 8,
    "deep_empathy": 6,
    "practical_advice": 5,
    "perspective": 4,
    "guided_reflection": 4,
    "praise": 4,
    "absolution": 4,
    "critical_analysis": 4,
    "dismissive": 5,
    "toxic_positivity": 5,
    "off_topic": 4,
    "generic": 4,
    "self_centered": 3,
    "premature_advice": 4,
    "manipulative": 3,
}
logger = logging.getLogger(__name__)
_DETERMINER_NOUN = re.compile(r"\b(?:his|her|their|the|my|your)\s+([a-z]{4,})\b")


PLACEHOLDERS = ("{topic}",)  # filled by build_corpus; no other brace may reach the corpus
BANK_FIELDS = ("category", "text")


def load_reply_bank(path: str | Path) -> dict[str, list[str]]:
    """``{category: [reply, ...]}`` from a JSONL of ``{"category", "text"}`` lines.

    Every line is checked, or an InputError names its line and field: a category of :data:`CATEGORY_WEIGHTS`, a
    non-blank text whose only braces are a :data:`PLACEHOLDERS` slot, no other field. A repeated reply of a
    category is left out, counted and logged."""
    bank: dict[str, list[str]] = defaultdict(list)
    seen: dict[tuple[str, str], int] = {}
    repeated = 0
    for number, obj in iter_jsonl(path):
        if not isinstance(obj, dict):
            raise InputError(path, number, None, f"expected {{\"category\": str, \"text\": str}}, got "
                             f"{type(obj).__name__}")
        for field in BANK_FIELDS:
            if field not in obj:
                raise InputError(path, number, field, "missing required field")
            if not isinstance(obj[field], str):
                raise InputError(path, number, field, f"must be a string, got {type(obj[field]).__name__}")
        extra = [key for key in obj if key not in BANK_FIELDS]
        if extra:
            raise InputError(path, number, extra[0], "unknown field")
        category, text = obj["category"], obj["text"]
        if category not in CATEGORY_WEIGHTS:
            raise InputError(path, number, "category", f"unknown category {category!r}; one of "
                             f"{', '.join(CATEGORY_WEIGHTS)}")
        if not text.strip():
            raise InputError(path, number, "text", "empty reply")
        rest = text
        for placeholder in PLACEHOLDERS:
            rest = rest.replace(placeholder, "")
        brace = re.search(r"\{[^{}]{0,30}\}?|\}", rest)
        if brace:
            raise InputError(path, number, "text", f"unfilled placeholder or stray brace {brace.group()!r} (the only "
                             f"placeholder is {', '.join(PLACEHOLDERS)})")
        if (category, text) in seen:
            repeated += 1
            continue
        seen[category, text] = number
        bank[category].append(text)
    if repeated:
        logger.warning("%s: %d repeated replies left out", path, repeated)
    missing = sorted(set(CATEGORY_WEIGHTS) - set(bank))
    if missing:
        raise InputError(path, None, "category", f"no replies for {', '.join(missing)}")
    return dict(bank)


def topic_of(persona: Persona) -> str:
    """A short phrase for the persona's situation ("your manager"), from a noun after a determiner."""
    nouns = _DETERMINER_NOUN.findall(persona.scenario.lower()) or _DETERMINER_NOUN.findall(
        persona.first_message.lower()
    )
    return f"your {nouns[0]}" if nouns else "what happened"


def build_corpus(
    simulator: UserSimulator,
    personas: Sequence[Persona],
    bank: dict[str, list[str]],
    out: str | Path,
    seed: int = 0,
    conversations_per_persona: int = 2,
    max_turns: int = 2,
    replies_per_category: int | None = 4,
) -> Path:
    """Write the corpus JSONL: ``{"messages": [...], "persona_id", "categories", "emotions"}`` per line.

    ``replies_per_category`` keeps the first N replies of each category (None: all): a small reply vocabulary
    that a model of a few million parameters learns in minutes on a CPU; a larger model can take the whole bank.
    """
    rng = random.Random(seed)
    bank = {c: replies[:replies_per_category] for c, replies in bank.items()}
    categories = list(CATEGORY_WEIGHTS)
    weights = [CATEGORY_WEIGHTS[c] for c in categories]
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as f:
        for persona in personas:
            topic = topic_of(persona)
            for k in range(conversations_per_persona):
                transcript = simulator.start(persona, seed * 1000 + k, max_turns)
                chosen = []
                while not transcript.done:
                    category = rng.choices(categories, weights)[0]
                    reply = rng.choice(bank[category]).replace("{topic}", topic)
                    simulator.step(transcript, reply)
                    chosen.append(category)
                messages = transcript.messages(SYSTEM_PROMPT)
                record = {
                    "messages": messages,
                    "persona_id": persona.id,
                    "categories": chosen,
                    "emotions": transcript.emotions,
                }
                f.write(json.dumps(record, ensure_ascii=False) + "\n")
    return out
