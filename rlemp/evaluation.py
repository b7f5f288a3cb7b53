"""Evaluation: the policy talks with every persona's simulated user; SentientScore and friends, report and plot.

Owns the ``metrics.json`` record (:class:`EvalMetrics`) and the one rule for when two evaluations can be set side
by side (:data:`SETUP_FIELDS`). The same seed and ``batch_size`` give identical transcripts and metrics: each
batch reseeds from its first conversation's index. A conversation the simulator failed on is left out and
counted in ``n_dropped``. Output folder: ``metrics.json``, ``transcripts.jsonl``, ``report.md``,
``trajectories.png``. Seeds, defaults and comparison: ``docs/evaluation.md``.

Reading a folder back (:func:`read_eval_dir`, behind ``compare``) checks that its transcripts are the ones its
metrics were computed from: each transcript agrees with itself (:meth:`Transcript.inconsistency`) and with the
folder's ``max_turns``, and the metrics recomputed from the transcripts are the recorded ones; a repeated
identical transcript line is left out, counted and logged; anything else is a one-line error naming the file,
line and field. Two evaluations are compared only when they cover the same personas (one side may lack those
its simulator dropped, counted in ``n_dropped``), with the same turn limit, and, where they share an evaluation
seed, the same conversation seeds.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Optional, Sequence

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, ValidationError

from rlemp.errors import InputError, RlempError, first_validation_error
from rlemp.files import read_json
from rlemp.paths import EVAL_PERSONAS
from rlemp.personas import HIDDEN_NEEDS, TEMPERAMENTS, Persona
from rlemp.rollout import GenerationSettings, ModelPolicy, run_conversations
from rlemp.simulators.base import UserSimulator
from rlemp.transcript import Transcript, TranscriptWriter, read_numbered_transcripts

logger = logging.getLogger(__name__)

METRICS_FILE = "metrics.json"
TRANSCRIPTS_FILE = "transcripts.jsonl"
REPORT_FILE = "report.md"
PLOT_FILE = "trajectories.png"
COMPARISON_FILES = ("comparison.md", "comparison.json")

DEFAULT_TEMPERATURE = 0.7
DEFAULT_TOP_P = 1.0
DEFAULT_MAX_NEW_TOKENS = 64
SEED_STRIDE = 100_003  # conversation i of an evaluation with seed s gets seed s * SEED_STRIDE + i
NO_TEMPERAMENT = "none"
SUMMARY_KEYS = ("sentient_score", "success_rate", "failure_rate", "mean_turns", "n_personas")


def default_settings() -> GenerationSettings:
    return GenerationSettings(
        max_new_tokens=DEFAULT_MAX_NEW_TOKENS, temperature=DEFAULT_TEMPERATURE, top_p=DEFAULT_TOP_P, top_k=0
    )


def conversation_seed(seed: int, index: int) -> int:
    return seed * SEED_STRIDE + index


# --- the metrics.json record ---------------------------------------------------------------------------------


class Summary(BaseModel):
    """The headline numbers of a set of conversations (all of them, or one hidden need or temperament)."""

    model_config = ConfigDict(extra="allow")

    sentient_score: StrictFloat = Field(ge=0, le=100)
    success_rate: StrictFloat
    failure_rate: StrictFloat
    mean_turns: StrictFloat
    n_personas: StrictInt


class SimulatorInfo(BaseModel):
    """Which simulated users scored an evaluation."""

    model_config = ConfigDict(extra="allow")

    backend: str
    config_hash: str
    version: str


class EvalMetrics(Summary):
    """``metrics.json`` of an ``rlemp eval`` folder. Extra fields come from the caller's ``meta`` (e.g. a DPO
    ``round``). Readers accept files without the optional fields (older or hand-written ones)."""

    by_hidden_need: dict[str, Summary] = Field(default_factory=dict)
    by_temperament: dict[str, Summary] = Field(default_factory=dict)
    n_fallback_turns: Optional[StrictInt] = None
    n_dropped: Optional[StrictInt] = None
    model: str
    adapter: Optional[str] = None
    personas: str
    simulator: SimulatorInfo
    seed: StrictInt
    max_turns: StrictInt
    batch_size: Optional[StrictInt] = None
    generation: Optional[dict[str, Any]] = None
    thinking: Optional[StrictBool] = None
    versions: Optional[dict[str, Any]] = None


def read_metrics(eval_dir: str | Path) -> EvalMetrics:
    """The metrics of an ``rlemp eval`` folder; an InputError naming the file and field when it does not fit."""
    path = Path(eval_dir)
    metrics_file = path / METRICS_FILE
    if not metrics_file.is_file():
        raise InputError(path, None, None, f"not an evaluation folder (no {METRICS_FILE})")
    data = read_json(metrics_file)
    if not isinstance(data, dict):
        raise InputError(metrics_file, None, None, "expected a JSON object")
    try:
        return EvalMetrics.model_validate(data)
    except ValidationError as exc:
        field, message = first_validation_error(exc)
        raise InputError(metrics_file, None, field, message) from None


# --- when two evaluations can be compared --------------------------------------------------------------------

# The setup fields two evaluations are checked on, in report order. A ``required`` field that differs puts the
# scores on different scales (another simulator, persona set or turn limit): ``rlemp push`` refuses a before/after
# table. Any other difference is worth a warning (``compare``) but leaves the numbers meaningful.
SETUP_FIELDS: tuple[tuple[str, bool], ...] = (
    ("seed", False),
    ("simulator.backend", True),
    ("simulator.config_hash", True),
    ("simulator.version", True),
    ("personas", False),
    ("n_personas", True),
    ("max_turns", True),
    ("batch_size", False),
    ("generation", False),
    ("thinking", False),
    ("versions", False),
)


@dataclass(frozen=True)
class SetupDifference:
    """One setup field on which two evaluations differ."""

    field: str
    a: Any
    b: Any
    required: bool

    def __str__(self) -> str:
        return f"{self.field} differs: {self.a!r} (A) vs {self.b!r} (B)"


def setup_differences(a: EvalMetrics, b: EvalMetrics) -> list[SetupDifference]:
    """Where two evaluations were not run the same way (see :data:`SETUP_FIELDS`)."""

    def value(metrics: EvalMetrics, field: str) -> Any:
        for part in field.split("."):
            metrics = getattr(metrics, part, None)
        return metrics.model_dump() if isinstance(metrics, BaseModel) else metrics

    return [SetupDifference(field, value(a, field), value(b, field), required) for field, required in SETUP_FIELDS
            if value(a, field) != value(b, field)]


# --- metrics -------------------------------------------------------------------------------------------------


def summarize(transcripts: Sequence[Transcript]) -> dict[str, float | int]:
    """SentientScore (mean final emotion), share of successes and of failures, mean turns, count."""
    n = len(transcripts)
    if n == 0:
        return {"sentient_score": 0.0, "success_rate": 0.0, "failure_rate": 0.0, "mean_turns": 0.0, "n_personas": 0}
    return {
        "sentient_score": sum(t.final_emotion for t in transcripts) / n,
        "success_rate": sum(t.succeeded for t in transcripts) / n,
        "failure_rate": sum(t.failed for t in transcripts) / n,
        "mean_turns": sum(len(t.turns) for t in transcripts) / n,
        "n_personas": n,
    }


def summarize_by(transcripts: Sequence[Transcript], key: Callable[[Transcript], str], order: Sequence[str]):
    """:func:`summarize` per group, groups in ``order`` first, then any others sorted; empty groups left out."""
    groups: dict[str, list[Transcript]] = defaultdict(list)
    for t in transcripts:
        groups[key(t)].append(t)
    names = [g for g in order if g in groups] + sorted(set(groups) - set(order))
    return {name: summarize(groups[name]) for name in names}


def compute_metrics(transcripts: Sequence[Transcript]) -> dict[str, Any]:
    """Overall, per hidden need and per temperament (``"none"`` where a persona has none)."""
    return {
        **summarize(transcripts),
        "by_hidden_need": summarize_by(transcripts, lambda t: t.persona.hidden_need, HIDDEN_NEEDS),
        "by_temperament": summarize_by(
            transcripts, lambda t: t.persona.temperament or NO_TEMPERAMENT, (*TEMPERAMENTS, NO_TEMPERAMENT)
        ),
        "n_fallback_turns": sum(turn.fallback for t in transcripts for turn in t.turns),
    }


# --- running an evaluation -----------------------------------------------------------------------------------


@contextmanager
def conversation_progress(total: int, enabled: bool) -> Iterator[Callable[[str, int], Callable[[int, int], None]]]:
    """A rich progress bar over conversations (on stderr). Yields ``start_batch(label, size) -> on_turn``."""

    def silent(label: str, size: int) -> Callable[[int, int], None]:
        return lambda turn, n_open: None

    if not enabled:
        yield silent
        return
    from rich.console import Console
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                               TimeRemainingColumn)

    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        TextColumn("ETA"), TimeRemainingColumn(), console=Console(stderr=True), transient=False,
    ) as bar:
        task = bar.add_task("conversations", total=total)

        def start_batch(label: str, size: int) -> Callable[[int, int], None]:
            still_open = size
            bar.update(task, description=f"{label}, turn 0")

            def on_turn(turn: int, n_open: int) -> None:
                nonlocal still_open
                bar.update(task, advance=still_open - n_open, description=f"{label}, turn {turn}")
                still_open = n_open

            return on_turn

        yield start_batch


def evaluate(
    model,
    tokenizer,
    personas: Sequence[Persona],
    simulator: UserSimulator,
    out_dir: str | Path,
    *,
    seed: int = 0,
    max_turns: int = 8,
    batch_size: int = 32,
    settings: GenerationSettings | None = None,
    thinking: bool = False,
    meta: dict[str, Any] | None = None,
    progress: bool = False,
) -> dict[str, Any]:
    """Play every persona's conversation with the model, write the four output files and return the metrics.

    ``meta`` adds to (or overrides) the metrics' descriptive keys: ``model`` (default: the model's
    ``name_or_path``), ``adapter`` (default None), ``personas`` (default ``"(in memory)"``)...
    """
    from transformers import set_seed

    from rlemp.report import plot_trajectories, write_report
    from rlemp.versions import package_versions

    if not personas:
        raise RlempError("no personas to evaluate")
    if batch_size < 1:
        raise RlempError(f"batch_size must be at least 1, got {batch_size}")
    settings = settings or default_settings()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    policy = ModelPolicy(model, tokenizer, settings, thinking=thinking)
    scored: list[Transcript] = []
    n_dropped = 0
    n_batches = (len(personas) + batch_size - 1) // batch_size
    with TranscriptWriter(out / TRANSCRIPTS_FILE, mode="w") as writer, \
            conversation_progress(len(personas), progress) as start_batch:
        for number, start in enumerate(range(0, len(personas), batch_size), start=1):
            batch = personas[start:start + batch_size]
            seeds = [conversation_seed(seed, start + i) for i in range(len(batch))]
            set_seed(conversation_seed(seed, start))
            on_turn = start_batch(f"batch {number}/{n_batches}", len(batch))
            result = run_conversations(simulator, batch, policy, seeds, max_turns, on_turn)
            n_dropped += len(result.dropped)
            writer.write_all(result.finished)
            scored.extend(result.finished)
    if not scored:
        raise RlempError(f"the simulator failed on all {len(personas)} conversations; nothing to score")
    metrics = EvalMetrics.model_validate({
        **compute_metrics(scored),
        "n_dropped": n_dropped,
        "model": str(getattr(model, "name_or_path", "") or type(model).__name__),
        "adapter": None,
        "personas": "(in memory)",
        "simulator": {"backend": simulator.backend, "config_hash": simulator.config_hash, "version": simulator.version},
        "seed": seed,
        "max_turns": max_turns,
        "batch_size": batch_size,
        "generation": asdict(settings),
        "thinking": thinking,
        "versions": package_versions(),
        **(meta or {}),
    }).model_dump(mode="json")
    (out / METRICS_FILE).write_text(json.dumps(metrics, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    write_report(out, scored, metrics)
    plot_trajectories(scored, out / PLOT_FILE)
    return metrics


def evaluate_checkpoint(
    model_name_or_path: str,
    adapter: str | Path | None = None,
    personas_path: str | Path = EVAL_PERSONAS,
    backend: str = "rule",
    simulator_config: dict[str, Any] | None = None,
    out_dir: str | Path = "eval",
    seed: int = 0,
    max_turns: int = 8,
    batch_size: int = 32,
    temperature: float = DEFAULT_TEMPERATURE,
    max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS,
    thinking: bool = False,
    top_p: float = DEFAULT_TOP_P,
    progress: bool = False,
) -> dict[str, Any]:
    """Load a base model (plus LoRA adapter), the personas and the simulator, then :func:`evaluate`."""
    from rlemp.loading import load_for_inference
    from rlemp.personas import load_personas
    from rlemp.simulators import build_simulator

    simulator = build_simulator(backend, simulator_config)
    personas = load_personas(personas_path, simulator)
    model, tokenizer = load_for_inference(model_name_or_path, adapter)
    settings = GenerationSettings(max_new_tokens=max_new_tokens, temperature=temperature, top_p=top_p, top_k=0)
    meta = {"model": str(model_name_or_path), "adapter": str(adapter) if adapter else None,
            "personas": str(personas_path)}
    return evaluate(model, tokenizer, personas, simulator, out_dir, seed=seed, max_turns=max_turns,
                    batch_size=batch_size, settings=settings, thinking=thinking, meta=meta, progress=progress)


# --- comparing two evaluations -------------------------------------------------------------------------------

BOOTSTRAP_RESAMPLES = 9999
BOOTSTRAP_SEED = 0
CONFIDENCE = 0.95
N_SAMPLE_REPLIES = 3  # personas whose first exchange comparison.md shows before and after


METRIC_TOLERANCE = 1e-9  # recomputed means may differ from the recorded ones in the last bits, no more


def _close(recorded: Any, recomputed: Any) -> bool:
    if isinstance(recorded, bool) or not isinstance(recorded, (int, float)):
        return False
    return abs(recorded - recomputed) <= METRIC_TOLERANCE * max(1.0, abs(recomputed))


def _check_summary(recorded: Any, recomputed: dict[str, Any], metrics_file: Path, prefix: str = "") -> None:
    """An InputError at ``prefix`` + the first :data:`SUMMARY_KEYS` number of ``recorded`` that the conversations
    do not give."""
    for key in SUMMARY_KEYS:
        if not _close(getattr(recorded, key), recomputed[key]):
            raise InputError(metrics_file, None, f"{prefix}{key}", f"{getattr(recorded, key)!r}, but the "
                             f"conversations in {TRANSCRIPTS_FILE} give {recomputed[key]!r}")


def check_eval_transcripts(eval_dir: str | Path, metrics: EvalMetrics,
                           numbered: Sequence[tuple[int, Transcript]]) -> tuple[list[Transcript], list[str]]:
    """The transcripts of an evaluation folder, checked against themselves and against its metrics, and the
    warnings to show (see the module docstring). An identical repeated line is left out and counted; a second,
    different transcript of the same persona, or any disagreement, raises an InputError naming file, line and
    field."""
    path = Path(eval_dir)
    transcripts_file, metrics_file = path / TRANSCRIPTS_FILE, path / METRICS_FILE
    kept: list[Transcript] = []
    first: dict[str, tuple[int, Transcript]] = {}
    repeated: list[int] = []
    for line, t in numbered:
        if t.max_turns != metrics.max_turns:
            raise InputError(transcripts_file, line, "max_turns",
                             f"{t.max_turns}, but {METRICS_FILE} says {metrics.max_turns}")
        problem = t.inconsistency()
        if problem is not None:
            raise InputError(transcripts_file, line, *problem)
        if t.outcome is None:
            raise InputError(transcripts_file, line, "outcome", "missing: the conversation never ended (an "
                             "evaluation keeps finished conversations only)")
        if t.persona_id in first:
            first_line, earlier = first[t.persona_id]
            if t != earlier:
                raise InputError(transcripts_file, line, "persona_id", f"a second, different conversation with "
                                 f"persona {t.persona_id!r} (first on line {first_line})")
            repeated.append(line)
            continue
        first[t.persona_id] = (line, t)
        kept.append(t)
    warnings = []
    if repeated:
        shown = ", ".join(map(str, repeated[:10])) + (", ..." if len(repeated) > 10 else "")
        warnings.append(f"{transcripts_file}: {len(repeated)} repeated transcript line(s) left out (line {shown})")
    recomputed = compute_metrics(kept)
    if metrics.n_personas != len(kept):
        raise InputError(metrics_file, None, "n_personas", f"{metrics.n_personas}, but {TRANSCRIPTS_FILE} holds "
                         f"{len(kept)} conversation(s)" + (f" ({len(repeated)} repeated line(s) left out)"
                                                          if repeated else ""))
    _check_summary(metrics, recomputed, metrics_file)
    for group in ("by_hidden_need", "by_temperament"):
        recorded = getattr(metrics, group)
        if not recorded:  # optional: older or hand-written files leave the groups out
            continue
        if set(recorded) != set(recomputed[group]):
            raise InputError(metrics_file, None, group, f"groups {sorted(recorded)}, but the conversations in "
                             f"{TRANSCRIPTS_FILE} fall into {sorted(recomputed[group])}")
        for name, summary in recorded.items():
            _check_summary(summary, recomputed[group][name], metrics_file, f"{group}.{name}.")
    if metrics.n_fallback_turns is not None and metrics.n_fallback_turns != recomputed["n_fallback_turns"]:
        raise InputError(metrics_file, None, "n_fallback_turns", f"{metrics.n_fallback_turns}, but the turns in "
                         f"{TRANSCRIPTS_FILE} hold {recomputed['n_fallback_turns']}")
    return kept, warnings


def _read_checked(eval_dir: str | Path) -> tuple[EvalMetrics, list[Transcript], list[str]]:
    path = Path(eval_dir)
    metrics = read_metrics(path)
    transcripts, warnings = check_eval_transcripts(path, metrics, read_numbered_transcripts(path / TRANSCRIPTS_FILE))
    return metrics, transcripts, warnings


def read_eval_dir(eval_dir: str | Path) -> tuple[EvalMetrics, list[Transcript]]:
    """The metrics and the transcripts of an ``rlemp eval`` folder, checked against each other
    (:func:`check_eval_transcripts`; a repeated line is logged and left out)."""
    metrics, transcripts, warnings = _read_checked(eval_dir)
    for warning in warnings:
        logger.warning("%s", warning)
    return metrics, transcripts


def _eval_runs(path: str | Path) -> tuple[list[tuple[Path, EvalMetrics, list[Transcript]]], list[str]]:
    path = Path(path)
    if (path / METRICS_FILE).is_file() or not path.is_dir():
        folders = [path]
    else:
        folders = sorted(p for p in path.iterdir() if (p / METRICS_FILE).is_file())
        if not folders:
            raise InputError(path, None, None,
                             f"not an evaluation folder (no {METRICS_FILE}, and no subfolder with one)")
    runs, warnings = [], []
    for folder in folders:
        metrics, transcripts, folder_warnings = _read_checked(folder)
        runs.append((folder, metrics, transcripts))
        warnings += folder_warnings
    return runs, warnings


def eval_runs(path: str | Path) -> list[tuple[Path, EvalMetrics, list[Transcript]]]:
    """The evaluations of one side of a comparison: ``path`` itself when it is an ``rlemp eval`` folder, else
    every subfolder that is one (several seeds of the same model, e.g. ``runs/base/seed0``, ``runs/base/seed1``),
    in name order. Each is read with :func:`read_eval_dir`'s checks."""
    return _eval_runs(path)[0]


def check_pair(run_a: tuple[Path, EvalMetrics, list[Transcript]],
               run_b: tuple[Path, EvalMetrics, list[Transcript]]) -> list[str]:
    """Raise an error naming the folder and what differs unless two paired runs cover the same personas (the same
    persona records) with the same turn limit and, when they share an evaluation seed, the same conversation
    seeds. Personas missing on a side whose ``n_dropped`` accounts for them are left out with a warning."""
    (dir_a, metrics_a, transcripts_a), (dir_b, metrics_b, transcripts_b) = run_a, run_b
    if metrics_a.max_turns != metrics_b.max_turns:
        raise RlempError(f"{dir_b}: max_turns {metrics_b.max_turns}, but {dir_a} has {metrics_a.max_turns}; "
                         "final emotions after different turn limits are not comparable")
    by_a = {t.persona_id: t for t in transcripts_a}
    by_b = {t.persona_id: t for t in transcripts_b}
    warnings = []
    for folder, metrics, missing, other in ((dir_b, metrics_b, [p for p in by_a if p not in by_b], dir_a),
                                            (dir_a, metrics_a, [p for p in by_b if p not in by_a], dir_b)):
        if not missing:
            continue
        names = ", ".join(repr(p) for p in missing[:5]) + (", ..." if len(missing) > 5 else "")
        if len(missing) > (metrics.n_dropped or 0):
            raise RlempError(f"{folder}: no conversation with {len(missing)} persona(s) that {other} evaluated "
                             f"({names}), and only {metrics.n_dropped or 0} dropped; compare evaluations of the "
                             "same personas")
        warnings.append(f"{folder}: {len(missing)} persona(s) dropped by its simulator ({names}); left out")
    for pid, a in by_a.items():
        b = by_b.get(pid)
        if b is None:
            continue
        if a.persona != b.persona:
            raise RlempError(f"{dir_b}: persona {pid!r} is not the persona of the same id in {dir_a}")
        if metrics_a.seed == metrics_b.seed and a.seed != b.seed:
            raise RlempError(f"{dir_b}: the conversation with persona {pid!r} has seed {b.seed}, but {dir_a} "
                             f"has {a.seed} under the same evaluation seed {metrics_a.seed}")
    return warnings


def pair_runs(runs_a: list, runs_b: list) -> tuple[list[tuple], list[str]]:
    """Pairs (run A, run B) of the same seed, and warnings for seeds that only one side ran. One run on each
    side is one pair whatever its seeds (``compare`` warns when they differ)."""
    if len(runs_a) == 1 and len(runs_b) == 1:
        return [(runs_a[0], runs_b[0])], []
    by_seed_a = {run[1].seed: run for run in runs_a}
    by_seed_b = {run[1].seed: run for run in runs_b}
    for runs, by_seed in ((runs_a, by_seed_a), (runs_b, by_seed_b)):
        if len(by_seed) != len(runs):
            raise RlempError(f"{runs[0][0].parent}: two evaluation folders with the same seed; give one per seed")
    shared = [seed for seed in by_seed_a if seed in by_seed_b]
    if not shared:
        raise RlempError(f"no seed evaluated on both sides: A has seeds {sorted(by_seed_a)}, B {sorted(by_seed_b)}")
    warnings = [f"seed {seed} was evaluated on side {side} only; left out"
                for side, mine, other in (("A", by_seed_a, by_seed_b), ("B", by_seed_b, by_seed_a))
                for seed in mine if seed not in other]
    return [(by_seed_a[seed], by_seed_b[seed]) for seed in shared], warnings


def persona_differences(pairs: Sequence[tuple[Sequence[Transcript], Sequence[Transcript]]]) -> dict[str, float]:
    """Each persona's final emotion B - A, averaged over the pairs (seeds) that scored it on both sides; personas
    scored on one side only are left out. Persona order: first appearance on side A."""
    differences: dict[str, list[float]] = defaultdict(list)
    for transcripts_a, transcripts_b in pairs:
        final_b = {t.persona_id: t.final_emotion for t in transcripts_b}
        for t in transcripts_a:
            if t.persona_id in final_b:
                differences[t.persona_id].append(final_b[t.persona_id] - t.final_emotion)
    return {pid: sum(ds) / len(ds) for pid, ds in differences.items()}


def paired_verdict(differences: Sequence[float], seed: int = BOOTSTRAP_SEED,
                   resamples: int = BOOTSTRAP_RESAMPLES, confidence: float = CONFIDENCE) -> dict[str, Any]:
    """Whether B beats A beyond the persona-to-persona noise: the mean of the per-persona paired differences
    with a percentile bootstrap interval over personas (``scipy.stats.bootstrap``, seeded so a rerun prints the
    same interval). ``excludes_zero`` says the interval lies wholly above or below 0. With fewer than two
    personas there is no interval (``low``/``high`` None)."""
    import numpy as np
    from scipy.stats import bootstrap

    values = np.asarray(differences, dtype=float)
    result: dict[str, Any] = {"n_personas": int(values.size), "mean": float(values.mean()) if values.size else None,
                              "low": None, "high": None, "confidence": confidence, "resamples": resamples,
                              "bootstrap_seed": seed, "excludes_zero": False}
    if values.size < 2:
        return result
    if np.all(values == values[0]):  # every resample has the same mean
        low = high = float(values[0])
    else:
        interval = bootstrap((values,), np.mean, n_resamples=resamples, confidence_level=confidence,
                             method="percentile", rng=np.random.default_rng(seed)).confidence_interval
        low, high = float(interval.low), float(interval.high)
    result.update(low=low, high=high, excludes_zero=bool(low > 0 or high < 0))
    return result


def verdict_sentence(verdict: dict[str, Any], seeds: Sequence[Any]) -> str:
    """One line a reader can act on, e.g. "B is better than A: final emotion +7.8 per persona on average
    (95% bootstrap interval +3.1 to +12.4, 32 personas, seed 0); the interval excludes 0"."""
    n, mean = verdict["n_personas"], verdict["mean"]
    seed_text = f"seed {seeds[0]}" if len(seeds) == 1 else f"seeds {', '.join(map(str, seeds))} averaged"
    if mean is None:
        return "no verdict: no persona was scored on both sides"
    if verdict["low"] is None:
        return f"no verdict: final emotion {mean:+.1f} on a single persona ({seed_text}); too few to judge"
    if verdict["low"] == verdict["high"] == 0:
        return f"no difference between A and B: every one of the {n} personas ended with the same emotion ({seed_text})"
    head = ("B is better than A" if verdict["low"] > 0 else "B is worse than A" if verdict["high"] < 0
            else "no clear difference between A and B")
    tail = "the interval excludes 0" if verdict["excludes_zero"] else "the interval includes 0: within the noise"
    return (f"{head}: final emotion {mean:+.1f} per persona on average ({verdict['confidence']:.0%} bootstrap "
            f"interval {verdict['low']:+.1f} to {verdict['high']:+.1f}, {n} personas, {seed_text}); {tail}")


def sample_replies(transcripts_a: Sequence[Transcript], transcripts_b: Sequence[Transcript],
                   differences: dict[str, float], k: int = N_SAMPLE_REPLIES) -> list[dict[str, Any]]:
    """The first exchange of ``k`` personas on both sides, so a reader sees what changed: the largest gains
    first, then the largest loss (ties by persona order). Both sides open with the persona's same message."""
    by_a = {t.persona_id: t for t in transcripts_a}
    by_b = {t.persona_id: t for t in transcripts_b}
    ranked = sorted((pid for pid in differences if pid in by_a and pid in by_b and by_a[pid].turns
                     and by_b[pid].turns), key=lambda pid: -differences[pid])
    chosen = ranked[:max(k - 1, 0)] + [pid for pid in ranked[::-1][:1] if pid not in ranked[:max(k - 1, 0)]]

    def exchange(t: Transcript) -> dict[str, Any]:
        turn = t.turns[0]
        return {"agent": turn.agent, "user": turn.user, "delta": turn.delta, "final_emotion": t.final_emotion}

    return [{"persona_id": pid, "opening": by_a[pid].opening, "change": differences[pid],
             "a": exchange(by_a[pid]), "b": exchange(by_b[pid])} for pid in chosen[:k]]


def _change(a: float | None, b: float | None) -> dict[str, float | None]:
    return {"a": a, "b": b, "change": None if a is None or b is None else b - a}


def _mean_metric(runs: Sequence[EvalMetrics], get: Callable[[EvalMetrics], Any]) -> float | None:
    """The mean over seeds of one metric (None unless every run has it); a count stays an integer when it can."""
    values = [v for v in (get(m) for m in runs) if isinstance(v, (int, float))]
    if len(values) != len(runs):
        return None
    mean = sum(values) / len(values)
    return int(mean) if all(isinstance(v, int) for v in values) and mean == int(mean) else mean


def compare(dir_a: str | Path, dir_b: str | Path, out_path: str | Path | None = None) -> dict[str, Any]:
    """Two evaluations side by side (A = before/base, B = after/adapter): a verdict, overall metrics, SentientScore
    per hidden need, each persona's final emotion with the change B - A (None where a side lacks it), and the
    first exchange of a few personas on both sides.

    Each side is an ``rlemp eval`` folder, or a folder of several (one per seed): runs are paired by seed and
    every number is averaged over the paired seeds. The verdict (:func:`paired_verdict`) bootstraps the
    per-persona paired differences. Each folder is checked against its own metrics (:func:`read_eval_dir`) and
    each pair against the other side (:func:`check_pair`: same personas, turn limit and seeds), or an error names
    the folder and what differs. ``warnings`` lists the other setup differences (simulator, seed...), repeated
    lines left out and personas a simulator dropped. Writes ``comparison.md`` and ``comparison.json`` into
    ``out_path`` when given (a folder), nothing otherwise, so comparing never writes into either evaluation.
    """
    from rlemp.report import write_comparison

    (runs_a, warnings_a), (runs_b, warnings_b) = _eval_runs(dir_a), _eval_runs(dir_b)
    pairs, warnings = pair_runs(runs_a, runs_b)
    warnings = warnings_a + warnings_b + warnings
    for run_a, run_b in pairs:
        warnings += check_pair(run_a, run_b)
    metrics_a, metrics_b = [a[1] for a, _ in pairs], [b[1] for _, b in pairs]
    warnings += list(dict.fromkeys(
        str(difference) for ma, mb in zip(metrics_a, metrics_b) for difference in setup_differences(ma, mb)
    ))
    needs_seen = {n for m in metrics_a + metrics_b for n in m.by_hidden_need}
    needs = [n for n in HIDDEN_NEEDS if n in needs_seen] + sorted(needs_seen - set(HIDDEN_NEEDS))

    def need_score(runs, need):
        return _mean_metric(runs, lambda m: getattr(m.by_hidden_need.get(need), "sentient_score", None))

    transcript_pairs = [(a[2], b[2]) for a, b in pairs]
    differences = persona_differences(transcript_pairs)
    finals: list[dict[str, list[int]]] = [defaultdict(list), defaultdict(list)]
    info: dict[str, Transcript] = {}
    for side, runs in enumerate(zip(*transcript_pairs)):
        for transcripts in runs:
            for t in transcripts:
                finals[side][t.persona_id].append(t.final_emotion)
                info.setdefault(t.persona_id, t)
    persona_ids = list(finals[0]) + [pid for pid in finals[1] if pid not in finals[0]]

    def mean_final(side: int, pid: str) -> float | int | None:
        values = finals[side].get(pid)
        if not values:
            return None
        mean = sum(values) / len(values)
        return int(mean) if mean == int(mean) else mean

    seeds = [a[1].seed for a, _ in pairs]
    verdict = paired_verdict(list(differences.values()))
    comparison = {
        "a": str(dir_a),
        "b": str(dir_b),
        "model_a": metrics_a[0].model, "adapter_a": metrics_a[0].adapter,
        "model_b": metrics_b[0].model, "adapter_b": metrics_b[0].adapter,
        "seeds": seeds,
        "versions": metrics_b[0].versions,
        "warnings": warnings,
        "verdict": {**verdict, "text": verdict_sentence(verdict, seeds)},
        "overall": {key: _change(_mean_metric(metrics_a, lambda m: getattr(m, key)),
                                 _mean_metric(metrics_b, lambda m: getattr(m, key)))
                    for key in SUMMARY_KEYS},
        "by_hidden_need": {need: _change(need_score(metrics_a, need), need_score(metrics_b, need)) for need in needs},
        "by_persona": [
            {"persona_id": pid, "hidden_need": info[pid].persona.hidden_need,
             **_change(mean_final(0, pid), mean_final(1, pid))}
            for pid in persona_ids
        ],
        "samples": sample_replies(pairs[0][0][2], pairs[0][1][2], differences),
    }
    if out_path is not None:
        write_comparison(Path(out_path), comparison)
    return comparison

