"""Checking a simulated user against real help-seekers: replay ESConv's real supporter turns through any
simulator backend and measure how its reactions agree with the seekers' own ratings.

Each dialogue becomes a persona; after each supporter turn the simulated user's line is replaced by the real
seeker's next words, so every turn is judged against what it answered. A conversation the simulator ends is
not cut short (its first ending is recorded). Scores are set against VADER and reply-length baselines with
:mod:`rlemp.agreement`. Given an FLR scorer, each real supporter turn also gets its follow-up likelihood reward
after the real conversation so far, so FLR's agreement sits in the same tables. The full procedure:
``docs/simulator-checks.md``.
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable, Literal, Optional, Sequence, Union

from rlemp.agreement import (
    SURVEY_TARGETS,
    Correlation,
    LabelRecognition,
    spearman_with_ci,
    strategy_recognition,
    survey_agreement,
)
from rlemp.errors import RlempError
from rlemp.esconv import STRATEGIES, EsconvDialogue, SupporterTurn
from rlemp.personas import HIDDEN_NEEDS, Persona, Personality
from rlemp.simulators.base import MAX_DELTA, SimulatorError, UserSimulator, apply_reaction
from rlemp.transcript import Transcript

logger = logging.getLogger(__name__)

SAGE_INITIAL_EMOTION = 40
# ESConv problem type (lowercased) -> the hidden need its seekers most plausibly bring.
PROBLEM_NEEDS: dict[str, str] = {
    "ongoing depression": "deep_empathy",
    "job crisis": "practical_advice",
    "breakup with partner": "listen_to_venting",
    "problems with friends": "understand_others",
    "academic pressure": "practical_advice",
    "sleep problems": "practical_advice",
    "conflict with parents": "understand_others",
    "issues with parents": "understand_others",
    "issues with children": "understand_others",
    "appearance anxiety": "sincere_praise",
    "alcohol abuse": "practical_advice",
    "procrastination": "practical_advice",
    "school bullying": "absolution",
}
UNLISTED_PROBLEM_NEED = "deep_empathy"
BY_PROBLEM = "by-problem"
# Simulator signal name -> the ESConv strategy label it recognises.
SIGNAL_STRATEGIES: dict[str, str] = {
    "open_question": "Question",
    "reflection_prompt": "Question",
    "reflection": "Restatement or Paraphrasing",
    "validation": "Reflection of feelings",
    "deep_empathy": "Reflection of feelings",
    "self_centered": "Self-disclosure",
    "praise": "Affirmation and Reassurance",
    "absolution": "Affirmation and Reassurance",
    "reassurance": "Affirmation and Reassurance",
    "toxic_positivity": "Affirmation and Reassurance",
    "advice": "Providing Suggestions",
    "advice_too_soon": "Providing Suggestions",
    "blunt_fix": "Providing Suggestions",
    "analysis": "Information",
    "information": "Information",
    "perspective": "Information",
    "no_help": "Others",
    "too_short": "Others",
}
DIALOGUE_SCORES = ("final_emotion", "total_change", "mean_change", "vader", "reply_words")
TURN_SCORES = ("change", "vader", "reply_words")
InitialEmotion = Union[int, Literal["intensity"]]


def check_hidden_need(hidden_need: str) -> None:
    if hidden_need != BY_PROBLEM and hidden_need not in HIDDEN_NEEDS:
        choices = ", ".join(HIDDEN_NEEDS)
        raise RlempError(f"unknown hidden need {hidden_need!r}; choose {BY_PROBLEM} or one of {choices}")


def dialogue_persona(dialogue: EsconvDialogue, hidden_need: str = BY_PROBLEM,
                     initial_emotion: InitialEmotion = SAGE_INITIAL_EMOTION) -> Persona:
    """The simulated seeker of an ESConv dialogue (see the module docstring for every choice)."""
    check_hidden_need(hidden_need)
    if hidden_need == BY_PROBLEM:
        hidden_need = PROBLEM_NEEDS.get(dialogue.problem_type.lower(), UNLISTED_PROBLEM_NEED)
    if initial_emotion == "intensity":
        intensity = dialogue.survey.initial_emotion_intensity
        start = SAGE_INITIAL_EMOTION if intensity is None else round(70 - 10 * intensity)
    else:
        start = int(initial_emotion)
    problem = dialogue.problem_type or "an unnamed problem"
    situation = dialogue.situation or f"I am dealing with {problem}."
    background = f"{dialogue.experience_type or 'An experience'} of {problem}"
    if dialogue.emotion_type:
        background += f"; feels {dialogue.emotion_type}"
    return Persona(
        id=f"esconv-{dialogue.id}",
        name="Seeker",
        age=30,
        occupation="",
        scenario=situation,
        background=background + ".",
        personality=Personality(openness=0.5, conscientiousness=0.5, extraversion=0.5, agreeableness=0.5,
                                neuroticism=0.5),
        hidden_need=hidden_need,
        talking_style="plain and informal, as in an online text chat",
        initial_emotion=start,
        first_message=dialogue.opening or situation,
    )


@lru_cache(maxsize=1)
def _vader():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def vader_compound(text: str) -> float:
    return float(_vader().polarity_scores(text)["compound"])


def word_count(text: str) -> int:
    return len(text.split())


@dataclass
class TurnResult:
    dialogue: str
    turn: int  # 1-based
    change: int
    raw_change: float
    emotion: int
    feedback: Optional[float]
    reply: str
    strategies: list[str]
    signals: list[str]
    simulated_user: str
    fallback: bool
    vader: float
    reply_words: int
    flr: Optional[float] = None  # follow-up likelihood of the real reply after the real conversation so far

    def as_dict(self) -> dict:
        row = {**asdict(self), "raw_change": round(self.raw_change, 4)}
        if self.flr is None:
            row.pop("flr")
        return row


@dataclass
class DialogueResult:
    dialogue: EsconvDialogue
    hidden_need: str
    initial_emotion: int
    final_emotion: int
    turns: list[TurnResult] = field(default_factory=list)
    ended: Optional[dict] = None  # {"outcome", "turn"}: where the simulator first ended the conversation

    @property
    def scores(self) -> dict[str, float]:
        n = len(self.turns)
        total = sum(t.change for t in self.turns)
        scores = {
            "final_emotion": self.final_emotion,
            "total_change": total,
            "mean_change": total / n,
            "vader": sum(t.vader for t in self.turns) / n,
            "reply_words": sum(t.reply_words for t in self.turns) / n,
        }
        if all(t.flr is not None for t in self.turns):
            scores["flr"] = sum(t.flr for t in self.turns) / n
        return scores

    def as_dict(self) -> dict:
        survey = self.dialogue.survey
        return {
            "dialogue": self.dialogue.id, "problem_type": self.dialogue.problem_type,
            "emotion_type": self.dialogue.emotion_type, "hidden_need": self.hidden_need, "turns": len(self.turns),
            "initial_emotion": self.initial_emotion, **{k: round(v, 4) for k, v in self.scores.items()},
            "ended": self.ended,
            "initial_emotion_intensity": survey.initial_emotion_intensity,
            "final_emotion_intensity": survey.final_emotion_intensity,
            "emotion_intensity_drop": survey.emotion_intensity_drop,
            "empathy": survey.empathy, "relevance": survey.relevance,
        }


@dataclass
class Replay:
    results: list[DialogueResult]
    counts: Counter  # skipped_no_supporter_turn, simulator_failures, unlisted_problem_type, ...
    seconds: float

    @property
    def turns(self) -> list[TurnResult]:
        return [t for r in self.results for t in r.turns]


def replay_dialogues(
    simulator: UserSimulator,
    dialogues: Sequence[EsconvDialogue],
    hidden_need: str = BY_PROBLEM,
    initial_emotion: InitialEmotion = SAGE_INITIAL_EMOTION,
    seed: int = 0,
    on_turns: Optional[Callable[[int], None]] = None,
) -> Replay:
    """Replay every dialogue's supporter turns through ``simulator``; ``on_turns(k)`` after each batch of k."""
    started = time.perf_counter()
    counts: Counter = Counter()
    playing: list[tuple[DialogueResult, list[SupporterTurn], Transcript]] = []
    for d in dialogues:
        turns = d.supporter_turns()
        if not turns:
            counts["skipped_no_supporter_turn"] += 1
            continue
        persona = dialogue_persona(d, hidden_need, initial_emotion)
        if hidden_need == BY_PROBLEM and d.problem_type.lower() not in PROBLEM_NEEDS:
            counts["unlisted_problem_type"] += 1
        if initial_emotion == "intensity" and d.survey.initial_emotion_intensity is None:
            counts["no_initial_intensity"] += 1
        transcript = simulator.start(persona, seed, max_turns=len(turns))
        result = DialogueResult(d, persona.hidden_need, persona.initial_emotion, persona.initial_emotion)
        playing.append((result, turns, transcript))
    failed: set[int] = set()
    for r in range(max((len(turns) for _, turns, _ in playing), default=0)):
        active = [i for i, (_, turns, _) in enumerate(playing) if r < len(turns) and i not in failed]
        reactions = simulator.react_many([playing[i][2] for i in active], [playing[i][1][r].text for i in active])
        for i, reaction in zip(active, reactions):
            result, turns, transcript = playing[i]
            if isinstance(reaction, SimulatorError):
                failed.add(i)
                counts["simulator_failures"] += 1
                logger.warning("dialogue %s dropped: the simulator failed at turn %d: %s", result.dialogue.id, r + 1,
                               reaction)
                continue
            real = turns[r]
            turn = apply_reaction(transcript, reaction, real.text, None)
            if transcript.outcome in ("success", "failure", "goodbye") and result.ended is None:
                result.ended = {"outcome": transcript.outcome, "turn": r + 1}
            transcript.outcome = None  # keep replaying: every real supporter turn gets judged
            simulated_user = turn.user
            if real.seeker_after:
                turn.user = real.seeker_after
            if reaction.fallback:
                counts["fallback_turns"] += 1
            result.final_emotion = transcript.final_emotion
            change = int(max(-MAX_DELTA, min(MAX_DELTA, round(reaction.change))))
            result.turns.append(TurnResult(
                dialogue=result.dialogue.id, turn=r + 1, change=change, raw_change=float(reaction.change),
                emotion=turn.emotion, feedback=real.feedback, reply=real.text, strategies=list(real.strategies),
                signals=list(reaction.signals), simulated_user=simulated_user,
                fallback=reaction.fallback, vader=vader_compound(real.text), reply_words=word_count(real.text),
            ))
        if on_turns is not None:
            on_turns(len(active))
    if counts["skipped_no_supporter_turn"]:
        logger.warning("skipped %d dialogues without a supporter turn", counts["skipped_no_supporter_turn"])
    results = [playing[i][0] for i in range(len(playing)) if i not in failed]
    return Replay(results, counts, time.perf_counter() - started)


def real_contexts(dialogue: EsconvDialogue) -> list[list[dict[str, str]]]:
    """The real conversation before each supporter turn as chat messages (seeker as user, supporter as
    assistant), in the order of :meth:`EsconvDialogue.supporter_turns`."""
    messages = [{"role": "user", "content": dialogue.opening}] if dialogue.opening else []
    contexts = []
    for turn in dialogue.supporter_turns():
        contexts.append(list(messages))
        messages.append({"role": "assistant", "content": turn.text})
        if turn.seeker_after:
            messages.append({"role": "user", "content": turn.seeker_after})
    return contexts


def score_flr(replay: Replay, flr, batch_turns: int = 32, on_turns: Optional[Callable[[int], None]] = None) -> None:
    """Set each replayed turn's ``flr`` to ``flr.score`` (a :class:`~rlemp.rewards.flr.FollowUpLikelihood`) of the
    real reply after the real conversation before it. Turns are scored shortest context first, ``batch_turns`` at
    a time, so that a batch pads little; ``on_turns(k)`` after each batch."""
    items = []
    for result in replay.results:
        contexts = real_contexts(result.dialogue)
        items += [(turn, contexts[turn.turn - 1]) for turn in result.turns]
    items.sort(key=lambda item: sum(len(m["content"]) for m in item[1]) + len(item[0].reply))
    for start in range(0, len(items), batch_turns):
        batch = items[start:start + batch_turns]
        for (turn, _), value in zip(batch, flr.score([c for _, c in batch], [t.reply for t, _ in batch])):
            turn.flr = value
        if on_turns is not None:
            on_turns(len(batch))


@dataclass
class Agreement:
    dialogue_level: dict[str, dict[str, Correlation]]  # score -> survey target -> correlation
    turn_level: dict[str, Correlation]  # turn score -> correlation with feedback
    strategies: dict[str, LabelRecognition]
    signals_seen: bool
    by_strategy: dict[str, dict]  # ESConv label -> how the simulator judged the turns carrying it
    by_signal: dict[str, dict]  # signal name -> how often it fired and what those turns earned


def _judged(turns: Sequence[TurnResult], total: int) -> dict:
    """Count, share of all turns, mean change, share judged harmful and mean seeker feedback of ``turns``."""
    rated = [t.feedback for t in turns if t.feedback is not None]
    return {
        "turns": len(turns),
        "share": round(len(turns) / total, 4) if total else None,
        "mean_change": round(sum(t.change for t in turns) / len(turns), 3) if turns else None,
        "negative_share": round(sum(t.change < 0 for t in turns) / len(turns), 4) if turns else None,
        "mean_feedback": round(sum(rated) / len(rated), 3) if rated else None,
    }


def measure_agreement(replay: Replay, resamples: int = 1000, seed: int = 0) -> Agreement:
    """Every correlation and the strategy recognition of a replay (see the module docstring)."""
    turns = replay.turns
    with_flr = bool(turns) and all(t.flr is not None for t in turns)
    dialogue_level = {}
    for score in DIALOGUE_SCORES + (("flr",) if with_flr else ()):
        values = {r.dialogue.id: r.scores[score] for r in replay.results}
        dialogue_level[score] = survey_agreement(values, [r.dialogue for r in replay.results], resamples, seed)
    rated = [t for t in turns if t.feedback is not None]
    turn_level = {
        score: spearman_with_ci([getattr(t, score) for t in rated], [t.feedback for t in rated],
                                clusters=[t.dialogue for t in rated], resamples=resamples, seed=seed)
        for score in TURN_SCORES + (("flr",) if with_flr else ())
    }
    signals = sorted({s for t in turns for s in t.signals})
    by_signal = {s: _judged([t for t in turns if s in t.signals], len(turns)) for s in signals}
    return Agreement(
        dialogue_level=dialogue_level,
        turn_level=turn_level,
        strategies=strategy_recognition(((t.signals, t.strategies) for t in turns), SIGNAL_STRATEGIES),
        signals_seen=bool(signals),
        by_strategy={label: _judged([t for t in turns if label in t.strategies], len(turns)) for label in STRATEGIES},
        by_signal=dict(sorted(by_signal.items(), key=lambda item: -item[1]["turns"])),
    )


def _json_lines(path: Path, rows) -> None:
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def _fmt(value: Optional[float], digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


BASELINES = ("vader", "reply_words")


def beats_baselines(score: Correlation, baselines: Sequence[Correlation]) -> Optional[bool]:
    """Whether ``score`` correlates more than every baseline (None where any of them is undefined)."""
    if score.rho is None or any(b.rho is None for b in baselines):
        return None
    return all(score.rho > b.rho for b in baselines)


def verdicts(agreement: Agreement, dialogue_score: str = "final_emotion",
             turn_score: str = "change") -> dict[str, Optional[bool]]:
    """Does a score beat both baselines: the simulator's final emotion (or ``dialogue_score``) per survey
    target, its per-turn change (or ``turn_score``) vs feedback."""
    dialogue = agreement.dialogue_level
    result = {
        target: beats_baselines(dialogue[dialogue_score][target], [dialogue[b][target] for b in BASELINES])
        for target in SURVEY_TARGETS
    }
    result["feedback"] = beats_baselines(agreement.turn_level[turn_score],
                                         [agreement.turn_level[b] for b in BASELINES])
    return result


def summary_dict(replay: Replay, agreement: Agreement, header: dict) -> dict:
    turns = replay.turns
    return {
        **header,
        "dialogues": len(replay.results),
        "agent_turns": len(turns),
        "turns_with_feedback": sum(t.feedback is not None for t in turns),
        "counts": dict(sorted(replay.counts.items())),
        "ended": dict(Counter(r.ended["outcome"] for r in replay.results if r.ended)),
        "mean_final_emotion": sum(r.final_emotion for r in replay.results) / max(1, len(replay.results)),
        "seconds": round(replay.seconds, 2),
        "turns_per_second": round(len(turns) / replay.seconds, 1) if replay.seconds > 0 else None,
        "dialogue_level": {s: {t: c.as_dict() for t, c in by.items()} for s, by in agreement.dialogue_level.items()},
        "turn_level": {s: c.as_dict() for s, c in agreement.turn_level.items()},
        "beats_baselines": verdicts(agreement),
        "flr_beats_baselines": verdicts(agreement, "flr", "flr") if "flr" in agreement.dialogue_level else None,
        "strategies": {k: v.as_dict() for k, v in agreement.strategies.items()} if agreement.signals_seen else None,
        "signal_strategies": SIGNAL_STRATEGIES,
        "by_strategy": agreement.by_strategy,
        "by_signal": agreement.by_signal,
    }


SCORE_NAMES = {
    "final_emotion": "simulator: final emotion",
    "total_change": "simulator: total change",
    "mean_change": "simulator: mean change per turn",
    "change": "simulator: change",
    "vader": "baseline: VADER compound",
    "reply_words": "baseline: reply length (words)",
    "flr": "FLR of the real replies",
}


def report_markdown(summary: dict, agreement: Agreement) -> str:
    """The human-readable report of one validation run."""
    lines = [
        f"# Simulator agreement with real ESConv seekers: `{summary['backend']}` {summary['simulator_version']}",
        "",
        f"File `{summary['esconv']}`, {summary['dialogues']} dialogues, {summary['agent_turns']} agent turns "
        f"({summary['turns_with_feedback']} rated by the seeker); hidden need {summary['hidden_need']}, initial "
        f"emotion {summary['initial_emotion']}, seed {summary['seed']}, config {summary['config_hash']}. "
        f"Spearman's rho with {summary['resamples']}-resample bootstrap 95% intervals (percentile; turns "
        f"resampled by dialogue). Replay {summary['seconds']} s ({summary['turns_per_second']} turns/s).",
        "",
        "## Dialogue level: score vs the seeker's post-chat survey",
        "",
        "| score | " + " | ".join(SURVEY_TARGETS) + " |",
        "|---|" + "---:|" * len(SURVEY_TARGETS),
    ]
    for score, by_target in agreement.dialogue_level.items():
        lines.append(f"| {SCORE_NAMES[score]} | " + " | ".join(str(by_target[t]) for t in SURVEY_TARGETS) + " |")
    beats = summary["beats_baselines"]
    said = {True: "yes", False: "no", None: "n/a"}
    lines += ["", "Does the simulator beat both baselines (VADER and reply length)? Final emotion vs "
              + ", ".join(f"{t}: {said[beats[t]]}" for t in SURVEY_TARGETS)
              + f"; per-turn change vs feedback: {said[beats['feedback']]}."]
    flr_beats = summary["flr_beats_baselines"]
    if flr_beats is not None:
        lines += ["", f"Does FLR (scorer `{summary['flr_model']}`) beat both baselines? Mean FLR vs "
                  + ", ".join(f"{t}: {said[flr_beats[t]]}" for t in SURVEY_TARGETS)
                  + f"; per-turn FLR vs feedback: {said[flr_beats['feedback']]}."]
    lines += ["", "## Turn level: turn score vs the seeker's 1-5 rating of that turn", ""]
    if summary["turns_with_feedback"]:
        lines += ["| score | feedback |", "|---|---:|"]
        lines += [f"| {SCORE_NAMES[s]} | {c} |" for s, c in agreement.turn_level.items()]
    else:
        lines.append("No turn in this file carries the seeker's feedback (the split JSONL layout has none; the "
                     "original ESConv.json does), so there is no turn-level figure.")
    lines += ["", "## Strategy recognition: simulator signals vs the supporters' ESConv labels", ""]
    if agreement.signals_seen:
        lines += ["| label | turns labelled | turns predicted | precision | recall |", "|---|---:|---:|---:|---:|"]
        for label in STRATEGIES:
            r = agreement.strategies[label]
            lines.append(f"| {label} | {r.labelled} | {r.predicted} | {_fmt(r.precision)} | {_fmt(r.recall)} |")
        mapping = ", ".join(f"{s} -> {label}" for s, label in SIGNAL_STRATEGIES.items())
        lines += ["", f"Signal mapping: {mapping}."]
    else:
        lines.append(f"The `{summary['backend']}` backend reports no signals, so strategy recognition is not measured.")
    lines += [
        "",
        "## How the simulator judged each kind of real support",
        "",
        "Turns carrying each ESConv label (a turn may carry several): the simulator's mean per-turn change, the "
        "share it judged harmful (change < 0) and the seekers' mean rating where the file has ratings.",
        "",
        "| label | turns | mean change | judged harmful | seekers' mean rating |",
        "|---|---:|---:|---:|---:|",
    ]
    for label, row in agreement.by_strategy.items():
        lines.append(f"| {label} | {row['turns']} | {_fmt(row['mean_change'])} | {_fmt(row['negative_share'])} | "
                     f"{_fmt(row['mean_feedback'])} |")
    if agreement.by_signal:
        lines += ["", "| signal | turns | share of turns | mean change | seekers' mean rating |",
                  "|---|---:|---:|---:|---:|"]
        for name, row in agreement.by_signal.items():
            lines.append(f"| {name} | {row['turns']} | {_fmt(row['share'])} | {_fmt(row['mean_change'])} | "
                         f"{_fmt(row['mean_feedback'])} |")
    ended = summary["ended"]
    lines += [
        "",
        "## Replay",
        "",
        f"Mean final emotion {summary['mean_final_emotion']:.1f}; conversations the simulator would have ended "
        f"(the replay carried on): {', '.join(f'{k} {v}' for k, v in sorted(ended.items())) or 'none'}; "
        f"counts: {', '.join(f'{k} {v}' for k, v in summary['counts'].items()) or 'none'}.",
        "",
    ]
    return "\n".join(lines)


def write_validation(out: Path, replay: Replay, agreement: Agreement, header: dict) -> dict:
    """Write ``turns.jsonl``, ``dialogues.jsonl``, ``summary.json`` and ``report.md`` to ``out``; returns the
    summary."""
    out.mkdir(parents=True, exist_ok=True)
    _json_lines(out / "turns.jsonl", (t.as_dict() for t in replay.turns))
    _json_lines(out / "dialogues.jsonl", (r.as_dict() for r in replay.results))
    summary = summary_dict(replay, agreement, header)
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    (out / "report.md").write_text(report_markdown(summary, agreement), encoding="utf-8")
    return summary


def validate_simulator(
    esconv: Path,
    simulator: UserSimulator,
    out: Path,
    hidden_need: str = BY_PROBLEM,
    initial_emotion: InitialEmotion = SAGE_INITIAL_EMOTION,
    limit: Optional[int] = None,
    seed: int = 0,
    resamples: int = 1000,
    on_start: Optional[Callable[[int], None]] = None,
    on_turns: Optional[Callable[[int], None]] = None,
    flr_model: Optional[str] = None,
) -> dict:
    """Read ``esconv``, replay its first ``limit`` dialogues, measure agreement, write the results to ``out``.

    With ``flr_model`` (a folder or registry short name) the FLR reward with that scorer also scores every real
    turn (:func:`score_flr`). ``on_start(total_turns)`` and ``on_turns(k)`` drive a progress display
    (turns are counted twice with ``flr``: replayed, then scored). Returns the summary.
    """
    from rlemp.esconv import esconv_layout, read_esconv

    check_hidden_need(hidden_need)
    flr = None
    if flr_model is not None:
        from rlemp.rewards.flr import FollowUpLikelihood

        flr = FollowUpLikelihood.from_options({"model": flr_model})
    dialogues = read_esconv(esconv)[:limit]
    if on_start is not None:
        on_start(sum(len(d.supporter_turns()) for d in dialogues) * (2 if flr is not None else 1))
    replay = replay_dialogues(simulator, dialogues, hidden_need, initial_emotion, seed, on_turns)
    if not replay.results:
        raise RlempError(f"{esconv}: no dialogue could be replayed ({dict(replay.counts)})")
    if flr is not None:
        score_flr(replay, flr, on_turns=on_turns)
    agreement = measure_agreement(replay, resamples, seed)
    header = {
        "esconv": str(esconv), "layout": esconv_layout(esconv), "backend": simulator.backend,
        "simulator_version": simulator.version, "config_hash": simulator.config_hash, "hidden_need": hidden_need,
        "initial_emotion": initial_emotion, "seed": seed, "resamples": resamples, "limit": limit,
        "flr_model": flr_model,
    }
    return write_validation(out, replay, agreement, header)
