"""Preference pairs mined from the policy's own replies (as in the FLR paper), for DPO.

Dialogue states from the policy's conversations -> ``candidates`` sampled replies per state -> judged (``flr``,
``lookahead`` or their ``mix``) -> best over worst when they differ by ``margin``. The same model, inputs and
seed give an identical pairs file; the steps and their choices are described in ``docs/training.md``.
"""

from __future__ import annotations

import json
import logging
import random
import time
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Literal, Optional, Sequence

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from rlemp.chat import split_thoughts
from rlemp.errors import InputError, RlempError, first_validation_error, validate_line
from rlemp.files import iter_jsonl
from rlemp.personas import Persona
from rlemp.rollout import Conversation, GenerationSettings, ModelPolicy, run_conversations
from rlemp.simulators.base import SimulatorError, UserSimulator
from rlemp.transcript import Transcript

logger = logging.getLogger(__name__)

JUDGES = ("flr", "lookahead", "mix")
DEFAULT_MIX_WEIGHTS = {"flr": 1.0, "lookahead": 0.1}


class MiningConfig(BaseModel):
    """How candidates are sampled and judged; recorded in every pair's ``judge`` field."""

    model_config = ConfigDict(extra="forbid")

    judge: Literal["flr", "lookahead", "mix"] = "lookahead"
    judge_weights: dict[str, float] | None = None  # mix only: {"flr": w, "lookahead": w}
    candidates: int = Field(4, ge=2, le=256)  # each one is sampled and judged: beyond a few hundred is a typo
    margin: float = Field(1.0, ge=0)
    lookahead_turns: int = Field(2, ge=0)
    states_per_persona: int = Field(0, ge=0)  # 0: every turn of every conversation
    temperature: float = Field(1.0, gt=0)  # sampling of the candidates

    @field_validator("judge_weights")
    @classmethod
    def _check_weights(cls, weights: dict[str, float] | None, info: ValidationInfo) -> dict[str, float] | None:
        if weights is None:
            return weights
        if info.data.get("judge") != "mix":
            raise PydanticCustomError("judge_weights", "applies to judge 'mix' only")
        unknown = sorted(set(weights) - {"flr", "lookahead"})
        if unknown:
            raise PydanticCustomError("judge_weights", f"unknown judge {unknown[0]!r} (use flr and lookahead)")
        if any(w < 0 for w in weights.values()) or not any(w > 0 for w in weights.values()):
            raise PydanticCustomError("judge_weights", "weights must be >= 0 with at least one > 0")
        return weights

    @property
    def weights(self) -> dict[str, float]:
        """The judges that score and their weights."""
        if self.judge == "mix":
            weights = self.judge_weights or DEFAULT_MIX_WEIGHTS
            return {name: float(w) for name, w in weights.items() if w > 0}
        return {self.judge: 1.0}


def mining_config(**fields: Any) -> MiningConfig:
    """A validated :class:`MiningConfig`; bad values raise a one-line :class:`RlempError`."""
    try:
        return MiningConfig(**fields)
    except ValidationError as exc:
        name, message = first_validation_error(exc)
        raise RlempError(f"preference mining: {name + ': ' if name else ''}{message}") from None


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["system", "user", "assistant"]
    content: str


class PreferencePair(BaseModel):
    """One row of a pairs file: TRL's conversational preference format, plus how the pair was mined (optional,
    so hand-made pairs need only the three messages; other columns are kept)."""

    model_config = ConfigDict(extra="allow")

    prompt: list[_Message] = Field(min_length=1)  # the system prompt the policy saw, then the conversation
    chosen: list[_Message] = Field(min_length=1)  # one assistant message with the raw reply, thoughts included
    rejected: list[_Message] = Field(min_length=1)
    chosen_score: Optional[float] = None
    rejected_score: Optional[float] = None
    margin: Optional[float] = None
    persona_id: Optional[str] = None
    turn: Optional[int] = None  # 1-based number of the reply in its conversation
    judge: Optional[dict[str, Any]] = None  # the mining's configuration

    @field_validator("chosen", "rejected")
    @classmethod
    def _replies(cls, messages: list[_Message]) -> list[_Message]:
        """A reply is said by the assistant (an empty one is a reply too: a small policy's silence is worth
        ranking); a pair of anything else teaches nothing about replies."""
        for message in messages:
            if message.role != "assistant":
                raise ValueError(f"expected assistant messages, got role {message.role!r}")
        return messages

    @field_validator("prompt")
    @classmethod
    def _ends_with_the_user(cls, messages: list[_Message]) -> list[_Message]:
        if messages[-1].role != "user":
            raise ValueError(f"the prompt must end with the user's message (the one replied to), got "
                             f"{messages[-1].role!r}")
        return messages

    @model_validator(mode="after")
    def _different(self) -> "PreferencePair":
        if [m.content for m in self.chosen] == [m.content for m in self.rejected]:
            raise ValueError("chosen and rejected are the same reply: the pair prefers nothing")
        return self

    def row(self) -> dict[str, Any]:
        """The pair as a JSON row (fields a hand-made pair left out stay out)."""
        return self.model_dump(exclude_unset=True)


@dataclass
class MiningResult:
    pairs: list[PreferencePair]
    states: int = 0
    candidates: int = 0
    skipped: dict[str, int] = field(default_factory=lambda: {"margin": 0, "identical": 0, "failed": 0})
    seconds: float = 0.0

    @property
    def pairs_per_minute(self) -> float:
        return 60.0 * len(self.pairs) / self.seconds if self.seconds > 0 else 0.0


@dataclass
class _State:
    transcript: Transcript  # the whole conversation the state was cut from
    turns: int  # agent turns before the reply to choose


def branch(transcript: Transcript, turns: int) -> Transcript:
    """An open copy of ``transcript`` cut after ``turns`` agent turns (earlier turns are shared, never mutated)."""
    return transcript.model_copy(update={
        "turns": list(transcript.turns[:turns]),
        "final_emotion": transcript.emotions[turns],
        "outcome": None,
        "meta": {},
    })


def dialogue_states(transcripts: Sequence[Transcript], per_persona: int, seed: int) -> list[_State]:
    """Every agent turn of each conversation, or ``per_persona`` of them drawn with ``random.Random(seed)``."""
    rng = random.Random(seed)
    states = []
    for t in transcripts:
        turns = list(range(len(t.turns)))
        if per_persona and len(turns) > per_persona:
            turns = sorted(rng.sample(turns, per_persona))
        states.extend(_State(t, n) for n in turns)
    return states


def _reference(model):
    """A PEFT model scores with its adapter disabled (the reference); any other model as it is."""
    from peft import PeftModel

    return model.disable_adapter() if isinstance(model, PeftModel) else nullcontext()


class _Judge:
    """Scores a batch of candidate branches (one reply each, not yet applied) with the configured judges."""

    def __init__(self, config: MiningConfig, policy: ModelPolicy, simulator: UserSimulator, scorer):
        self.config, self.policy, self.simulator, self.scorer = config, policy, simulator, scorer

    def __call__(self, branches: list[Conversation], replies: list[str]) -> list[float | None]:
        weights = self.config.weights
        totals: list[float | None] = [0.0] * len(branches)
        if "flr" in weights:  # before the look-ahead, which appends turns to the branches
            with _reference(self.scorer.model):
                flr = self.scorer.score([b.transcript.messages() for b in branches],
                                        [split_thoughts(r)[1] for r in replies])
            totals = [weights["flr"] * s for s in flr]
        if "lookahead" in weights:
            changes = self.lookahead(branches, replies)
            totals = [None if c is None or t is None else t + weights["lookahead"] * c for t, c in zip(totals, changes)]
        return totals

    def lookahead(self, branches: list[Conversation], replies: list[str]) -> list[float | None]:
        """Emotion change from each branch's state to the end of its look-ahead; None where the simulator failed."""
        transcripts = [b.transcript for b in branches]
        start = [t.final_emotion for t in transcripts]
        failed: set[int] = set()
        open_ids = list(range(len(branches)))
        step_replies = replies
        for lookahead_turn in range(self.config.lookahead_turns + 1):
            if lookahead_turn:
                step_replies = [r.text for r in self.policy.reply([branches[i] for i in open_ids])]
            split = [split_thoughts(r) for r in step_replies]
            results = self.simulator.step_many(
                [transcripts[i] for i in open_ids], [reply for _, reply in split], [th for th, _ in split]
            )
            failed.update(i for i, r in zip(open_ids, results) if isinstance(r, SimulatorError))
            open_ids = [i for i in open_ids if i not in failed and not transcripts[i].done]
            if not open_ids:
                break
        return [None if i in failed else float(t.final_emotion - s) for i, (t, s) in enumerate(zip(transcripts, start))]


def _pair(state: _State, candidates: list[tuple[str, float]], config: MiningConfig, system: str,
          judge: dict[str, Any], skipped: dict[str, int]) -> PreferencePair | None:
    if len(candidates) < 2:
        skipped["failed"] += 1
        return None
    best = max(range(len(candidates)), key=lambda i: candidates[i][1])
    worst = min(range(len(candidates)), key=lambda i: candidates[i][1])
    (chosen, chosen_score), (rejected, rejected_score) = candidates[best], candidates[worst]
    margin = chosen_score - rejected_score
    if margin <= 0 or margin < config.margin:
        skipped["margin"] += 1
        return None
    if chosen == rejected:
        skipped["identical"] += 1
        return None
    return PreferencePair(
        prompt=branch(state.transcript, state.turns).messages(system),
        chosen=[{"role": "assistant", "content": chosen}],
        rejected=[{"role": "assistant", "content": rejected}],
        chosen_score=chosen_score,
        rejected_score=rejected_score,
        margin=margin,
        persona_id=state.transcript.persona_id,
        turn=state.turns + 1,
        judge=judge,
    )


def mine_preferences(
    model,
    tokenizer,
    personas: Sequence[Persona],
    simulator: UserSimulator,
    config: MiningConfig,
    *,
    scorer=None,
    settings: GenerationSettings | None = None,
    thinking: bool = False,
    max_turns: int = 8,
    seed: int = 0,
    batch_size: int = 64,
    record: dict[str, Any] | None = None,
    progress: bool = False,
) -> MiningResult:
    """Mine preference pairs from the policy ``model`` (see the module docstring).

    ``scorer`` is a :class:`~rlemp.rewards.flr.FollowUpLikelihood`, required when the judge uses ``flr``;
    ``settings`` is the policy's sampling for the state rollouts and look-ahead turns (the candidates use
    ``config.temperature``); ``batch_size`` bounds the rows of one ``generate`` call; ``record`` adds to
    every pair's ``judge`` field (e.g. the scorer's name). ``progress`` shows a bar with an ETA for each of the
    two stages (playing the conversations, judging the candidates).
    """
    from rlemp.logs import progress_bar
    from transformers import set_seed

    from rlemp.evaluation import conversation_seed

    if not personas:
        raise RlempError("preference mining: no personas")
    if batch_size < 1 or max_turns < 1:
        raise RlempError("preference mining: batch_size and max_turns must be at least 1")
    if "flr" in config.weights and scorer is None:
        raise RlempError(f"preference mining: judge {config.judge!r} needs an flr scorer model")
    started = time.perf_counter()
    settings = settings or GenerationSettings()
    candidate_settings = replace(settings, temperature=config.temperature)
    policy = ModelPolicy(model, tokenizer, settings, thinking=thinking)
    judge_record = {
        **config.model_dump(),
        "weights": config.weights,
        "seed": seed,
        "max_turns": max_turns,
        "thinking": thinking,
        "simulator": {"backend": simulator.backend, "version": simulator.version, "config_hash": simulator.config_hash},
        **(record or {}),
    }

    transcripts: list[Transcript] = []
    with progress_bar("playing conversations", len(personas), progress) as advance:
        for start in range(0, len(personas), batch_size):
            batch = personas[start:start + batch_size]
            set_seed(conversation_seed(seed, start))
            seeds = [conversation_seed(seed, start + i) for i in range(len(batch))]
            transcripts.extend(run_conversations(simulator, batch, policy, seeds, max_turns).finished)
            advance(len(batch))
    states = dialogue_states(transcripts, config.states_per_persona, seed)
    out = MiningResult(pairs=[], states=len(states))
    with progress_bar("judging candidates at dialogue states", len(states), progress) as advance:
        _judge_states(states, config, policy, simulator, scorer, settings, candidate_settings, judge_record, seed,
                      batch_size, out, advance)
    out.seconds = time.perf_counter() - started
    return out


def _judge_states(states, config: MiningConfig, policy: ModelPolicy, simulator: UserSimulator, scorer,
                  settings: GenerationSettings, candidate_settings: GenerationSettings, judge_record: dict[str, Any],
                  seed: int, batch_size: int, out: MiningResult, advance: Callable[[int], None]) -> None:
    """Sample ``config.candidates`` replies at every state, judge them and add the pairs to ``out``."""
    from transformers import set_seed

    from rlemp.evaluation import conversation_seed

    judge = _Judge(config, policy, simulator, scorer)
    k = config.candidates
    per_batch = max(1, batch_size // k)
    for start in range(0, len(states), per_batch):
        batch_states = states[start:start + per_batch]
        branches = [policy.conversation_at(branch(s.transcript, s.turns)) for s in batch_states for _ in range(k)]
        set_seed(conversation_seed(seed, start))
        policy.settings = candidate_settings
        replies = [r.text for r in policy.reply(branches)]
        policy.settings = settings
        scores = judge(branches, replies)
        out.candidates += len(replies)
        for i, state in enumerate(batch_states):
            rows = range(i * k, (i + 1) * k)
            judged = [(replies[r], scores[r]) for r in rows if scores[r] is not None]
            pair = _pair(state, judged, config, policy.system_prompt, judge_record, out.skipped)
            if pair is not None:
                out.pairs.append(pair)
        logger.info("mined %d pairs from %d of %d states", len(out.pairs), start + len(batch_states), len(states))
        advance(len(batch_states))


# --- the pairs file ------------------------------------------------------------------------------------------


def write_pairs(pairs: Sequence[PreferencePair], path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for pair in pairs:
            f.write(json.dumps(pair.row(), ensure_ascii=False) + "\n")
    return path


def read_pairs(path: str | Path) -> list[PreferencePair]:
    """The pairs of a JSONL file, each checked; errors name the file, line and field."""
    rows = [validate_line(PreferencePair, obj, path, number) for number, obj in iter_jsonl(path)]
    if not rows:
        raise InputError(path, None, None, "no preference pairs in file (lower the margin or mine more states)")
    return rows


def pairs_dataset(*paths: str | Path):
    """Checked pairs files, concatenated in order, as one ``datasets.Dataset`` ready for ``trl.DPOTrainer``; its
    columns are every file's (a column a row lacks is None there)."""
    from datasets import Dataset

    import pyarrow as pa

    rows = [pair.row() for path in paths for pair in read_pairs(path)]
    columns = dict.fromkeys(key for row in rows for key in row)
    try:
        return Dataset.from_dict({key: [row.get(key) for row in rows] for key in columns})
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:  # an extra column of mixed types across lines
        files = ", ".join(str(p) for p in paths)
        detail = " ".join(str(exc).split())[:160]
        raise InputError(files, None, None, f"an extra column holds values of different types on different lines "
                                            f"({detail}); give each column one type") from None


def mine_to_file(
    model_name_or_path: str,
    personas_path: str | Path,
    out: str | Path,
    config: MiningConfig,
    *,
    adapter: str | Path | None = None,
    backend: str = "rule",
    simulator_config: dict[str, Any] | None = None,
    flr_model: str | Path | None = None,
    max_turns: int = 8,
    max_new_tokens: int = 64,
    seed: int = 0,
    batch_size: int = 64,
    thinking: bool = False,
    progress: bool = False,
) -> MiningResult:
    """``rlemp mine-preferences``: load the policy (plus adapter), personas, simulator and scorer, mine, write.

    The flr scorer is ``flr_model`` when given, else the policy itself with any adapter disabled (the base).
    The look-ahead and state rollouts sample at the candidates' temperature.
    """
    from rlemp.loading import load_for_inference
    from rlemp.personas import load_personas
    from rlemp.simulators import build_simulator

    simulator = build_simulator(backend, simulator_config)
    personas = load_personas(personas_path, simulator)
    model, tokenizer = load_for_inference(model_name_or_path, adapter)
    scorer = None
    if "flr" in config.weights:
        from rlemp.rewards.flr import FollowUpLikelihood, load_scorer

        scorer_model, scorer_tokenizer = load_scorer(flr_model) if flr_model else (model, tokenizer)
        scorer = FollowUpLikelihood(scorer_model, scorer_tokenizer)
    settings = GenerationSettings(max_new_tokens=max_new_tokens, temperature=config.temperature)
    record = {"policy": str(model_name_or_path), "adapter": str(adapter) if adapter else None,
              "flr_model": str(flr_model or model_name_or_path) if scorer is not None else None}
    result = mine_preferences(model, tokenizer, personas, simulator, config, scorer=scorer, settings=settings,
                              thinking=thinking, max_turns=max_turns, seed=seed, batch_size=batch_size, record=record,
                              progress=progress)
    write_pairs(result.pairs, out)
    return result
