"""What the LLM backends (``hf``, ``openai``) share: the SAGE-style prompt, the output parser, retries and fallback.

The prompts are data (``data/prompts/``, ``string.Template``) and part of the config hash, so editing one
changes the hash of every new transcript. Attempt ``k`` of a turn decodes with ``derive_seed(seed, turn, k)``,
so a replay takes the same path; after the last invalid output the turn falls back to change 0, counted and
logged (``Turn.fallback``). Prompt design, parsing and constrained mode: ``docs/simulator.md``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
from abc import abstractmethod
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Literal, Sequence

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from rlemp.chat import split_thoughts
from rlemp.errors import RlempError, first_validation_error
from rlemp.files import read_text
from rlemp.paths import PROMPTS_DIR
from rlemp.personas import HIDDEN_NEEDS, Persona
from rlemp.simulators.base import MAX_DELTA, Reaction, SimulatorConfig, SimulatorError, UserSimulator
from rlemp.transcript import Transcript

logger = logging.getLogger(__name__)

PROMPT_FILES = ("user_simulator.md", "user_turn.md", "hidden_needs.json")
RATING_FILES = ("rating_system.md", "rating_turn.md", "rating_reply.md")
RATING_DIGITS = ("1", "2", "3", "4", "5")
FALLBACK_USER_TEXT = "Hmm, I see."
EXCERPT_CHARS = 80


class LLMConfig(SimulatorConfig):
    """Fields shared by the LLM backends."""

    temperature: float = Field(0.0, ge=0, le=2, description="0 = greedy decoding")
    max_retries: int = Field(2, ge=0, le=20, description="extra attempts after an invalid output")


class SimulatorOutput(BaseModel):
    """The JSON object the LLM must answer with."""

    model_config = ConfigDict(extra="ignore")

    analysis: str
    change: int = Field(ge=-MAX_DELTA, le=MAX_DELTA)
    reply: str = Field(min_length=1)
    goodbye: bool


class InvalidOutput(ValueError):
    """The LLM's answer is not a valid :class:`SimulatorOutput`."""


@dataclass(frozen=True)
class Prompts:
    """The prompt templates as read from ``PROMPTS_DIR``."""

    system: Template
    turn: Template
    hidden_needs: dict[str, str]
    texts: dict[str, str]


def read_templates(prompts_dir: Path, names) -> dict[str, str]:
    """The named files of a prompt folder as text; a missing or unreadable one is a one-line error."""
    return {name: read_text(prompts_dir / name, "prompt template") for name in names}


def load_prompts(prompts_dir: Path = PROMPTS_DIR) -> Prompts:
    """Read and check the templates; a missing file or need is a one-line :class:`RlempError`."""
    texts = read_templates(prompts_dir, PROMPT_FILES)
    try:
        needs = json.loads(texts["hidden_needs.json"])
    except json.JSONDecodeError as exc:
        raise RlempError(f"{prompts_dir / 'hidden_needs.json'}: not valid JSON ({exc.msg})") from None
    missing = [need for need in HIDDEN_NEEDS if need not in needs]
    if missing:
        raise RlempError(f"{prompts_dir / 'hidden_needs.json'}: no description for {', '.join(missing)}")
    return Prompts(Template(texts["user_simulator.md"]), Template(texts["user_turn.md"]), needs, texts)


def derive_seed(seed: int, turn: int, attempt: int) -> int:
    """A 31-bit decoding seed for one attempt at one turn of one conversation."""
    digest = hashlib.sha256(f"{seed}:{turn}:{attempt}".encode()).hexdigest()
    return int(digest[:8], 16) & 0x7FFFFFFF


def _level(value: float) -> str:
    return "low" if value < 0.35 else "high" if value > 0.65 else "moderate"


def render_system(prompts: Prompts, persona: Persona) -> str:
    traits = persona.personality.model_dump()
    return prompts.system.substitute(
        name=persona.name,
        age=persona.age,
        occupation=persona.occupation or "no occupation given",
        background=persona.background,
        scenario=persona.scenario,
        talking_style=persona.talking_style,
        personality=", ".join(f"{k} {v:.2f} ({_level(v)})" for k, v in traits.items()),
        dislikes="; ".join(persona.dislikes) or "nothing in particular",
        hidden_need=prompts.hidden_needs[persona.hidden_need],
        language=persona.language,
    )


def conversation_text(transcript: Transcript) -> str:
    """The conversation so far from the user's side ("You:" / "Listener:")."""
    lines = [f"You: {transcript.opening}"]
    for turn in transcript.turns:
        lines += [f"Listener: {turn.agent}", f"You: {turn.user}"]
    return "\n".join(lines)


def render_turn(prompts: Prompts, transcript: Transcript, agent_reply: str) -> str:
    return prompts.turn.substitute(
        conversation=conversation_text(transcript),
        reply=agent_reply,
        emotion=transcript.final_emotion,
        turn=len(transcript.turns) + 1,
        max_turns=transcript.max_turns,
    )


@dataclass(frozen=True)
class RatingPrompts:
    """Constrained mode's templates: a short persona card, the rating question and the request for the next line."""

    system: Template
    turn: Template
    reply: Template
    texts: dict[str, str]


def load_rating_prompts(prompts_dir: Path = PROMPTS_DIR) -> RatingPrompts:
    texts = read_templates(prompts_dir, RATING_FILES)
    return RatingPrompts(*(Template(texts[name]) for name in RATING_FILES), texts)


def rating_messages(prompts: RatingPrompts, needs: dict[str, str], transcript: Transcript, agent_reply: str,
                    ask: Literal["rating", "reply"]) -> list[dict[str, str]]:
    """The chat request for the rating digit (``ask="rating"``) or for the user's next line (``"reply"``)."""
    persona = transcript.persona
    system = prompts.system.substitute(
        name=persona.name, age=persona.age, occupation=persona.occupation or "no occupation given",
        scenario=persona.scenario, background=persona.background, talking_style=persona.talking_style,
        dislikes="; ".join(persona.dislikes) or "nothing in particular", hidden_need=needs[persona.hidden_need],
    )
    template = prompts.turn if ask == "rating" else prompts.reply
    user = template.substitute(conversation=conversation_text(transcript), reply=agent_reply)
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def rating_change(probabilities: Sequence[float], readout: Literal["expectation", "argmax"]) -> float:
    """The emotion change read from the probabilities of the ratings 1..5 (3 = no change): the expected rating,
    or the most likely one, mapped linearly onto [-MAX_DELTA, MAX_DELTA]."""
    total = sum(probabilities)
    if readout == "argmax":
        rating = 1 + max(range(len(probabilities)), key=lambda i: probabilities[i])
    else:
        rating = sum((i + 1) * p for i, p in enumerate(probabilities)) / total
    middle = (len(probabilities) + 1) / 2
    return (rating - middle) / (middle - 1) * MAX_DELTA


def parse_output(text: str) -> SimulatorOutput:
    """The first JSON object in ``text`` (thoughts dropped) that validates; else :class:`InvalidOutput`."""
    _, answer = split_thoughts(text)
    decoder = json.JSONDecoder()
    first_problem = None
    for brace in re.finditer(r"\{", answer):
        try:
            value, _ = decoder.raw_decode(answer, brace.start())
        except json.JSONDecodeError:
            continue
        if not isinstance(value, dict):
            continue
        try:
            return SimulatorOutput.model_validate(value)
        except ValidationError as exc:
            if first_problem is None:
                field, message = first_validation_error(exc)
                first_problem = f"field '{field}': {message}"
    raise InvalidOutput(first_problem or "no JSON object in the output")


class LLMSimulator(UserSimulator):
    """Base of the LLM backends: they only implement :meth:`complete_many` (prompts in, raw texts out)."""

    version = "1"
    config_class = LLMConfig

    def __init__(self, config: SimulatorConfig | dict | None = None):
        super().__init__(config)
        self.prompts = load_prompts()
        self._stats_lock = threading.Lock()

    def prompt_texts(self) -> dict[str, str]:
        return dict(self.prompts.texts)

    def count(self, key: str, n: int = 1) -> None:
        """Add to ``self.stats`` (thread-safe: the openai backend counts from worker threads)."""
        with self._stats_lock:
            self.stats[key] += n

    def messages(self, transcript: Transcript, agent_reply: str) -> list[dict[str, str]]:
        """The chat request that asks the LLM for the user's reaction to ``agent_reply``."""
        return [
            {"role": "system", "content": render_system(self.prompts, transcript.persona)},
            {"role": "user", "content": render_turn(self.prompts, transcript, agent_reply)},
        ]

    @abstractmethod
    def complete_many(self, requests: Sequence[tuple[list[dict[str, str]], int]]) -> list[str | SimulatorError]:
        """The LLM's raw answer to each ``(messages, seed)``, or a :class:`SimulatorError` where unreachable."""

    def react(self, transcript: Transcript, agent_reply: str) -> Reaction:
        result = self.react_many([transcript], [agent_reply])[0]
        if isinstance(result, SimulatorError):
            raise result
        return result

    def react_many(
        self, transcripts: Sequence[Transcript], replies: Sequence[str]
    ) -> list[Reaction | SimulatorError]:
        """Ask for every conversation at once; re-ask the invalid ones with the next seed; fall back at the end."""
        prompts = [self.messages(t, r) for t, r in zip(transcripts, replies)]
        results: list[Reaction | SimulatorError | None] = [None] * len(prompts)
        problems: dict[int, str] = {}
        pending = list(range(len(prompts)))
        for attempt in range(self.config.max_retries + 1):
            if not pending:
                break
            if attempt:
                self.count("retries", len(pending))
            seeds = [derive_seed(transcripts[i].seed, len(transcripts[i].turns), attempt) for i in pending]
            requests = [(prompts[i], seed) for i, seed in zip(pending, seeds)]
            still_pending = []
            for i, output in zip(pending, self.complete_many(requests)):
                if isinstance(output, SimulatorError):
                    results[i] = output
                    continue
                try:
                    parsed = parse_output(output)
                except InvalidOutput as exc:
                    self.count("invalid")
                    problems[i] = f"{exc}; output began {output[:EXCERPT_CHARS]!r}"
                    still_pending.append(i)
                    continue
                results[i] = Reaction(
                    user=parsed.reply.strip(), change=parsed.change, rationale=parsed.analysis, goodbye=parsed.goodbye
                )
            pending = still_pending
        for i in pending:
            results[i] = self.fallback(transcripts[i], problems[i])
        return results

    def fallback(self, transcript: Transcript, problem: str) -> Reaction:
        """Change 0 and a neutral line when no attempt gave a valid output; counted and logged."""
        self.count("fallbacks")
        why = f"no valid output after {self.config.max_retries + 1} attempts, last: {problem}"
        logger.warning("%s simulator fallback (persona %s, turn %d): %s",
                       self.backend, transcript.persona_id, len(transcript.turns) + 1, why)
        return Reaction(user=FALLBACK_USER_TEXT, change=0, rationale=f"fallback: {why}", fallback=True)
