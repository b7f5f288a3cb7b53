"""Evaluation: the policy talks with every persona's simulated user; SentientScore and friends, report and plot.

``evaluate`` plays the conversations in batches of ``batch_size``: each batch is one :func:`rollout_model` call,
so all its open conversations advance together, one ``generate`` per turn. Decisions the spec leaves open:

* seeds: conversation ``i`` (its position in the persona list) gets simulator seed ``seed * 100_003 + i``, and
  ``transformers.set_seed(seed * 100_003 + first index of the batch)`` runs before each batch, so a batch's
  sampling does not depend on how many tokens earlier batches drew; the same seed and ``batch_size`` give
  identical transcripts and metrics;
* a conversation the simulator failed on (``SimulatorError``) is left out of the transcripts and the metrics
  and counted in ``n_dropped``; ``n_personas`` counts the conversations that were scored;
* sampling defaults (used when the recipe gives none): temperature 0.7, top_p 1.0, top_k off, 64 new tokens
  per turn; temperature 0 is greedy.

The output folder holds ``metrics.json``, ``transcripts.jsonl`` (the ``rlemp simulate`` format, checked by
``rlemp verify``), ``report.md`` and ``trajectories.png``. ``compare`` sets two such folders side by side.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from rlemp.errors import InputError, RlempError
from rlemp.personas import HIDDEN_NEEDS, TEMPERAMENTS, Persona, read_json
from rlemp.rollout import GenerationSettings, ModelPolicy, rollout_model
from rlemp.simulators.base import FAILURE_BELOW, SUCCESS_EMOTION, UserSimulator
from rlemp.transcript import Transcript, TranscriptWriter, read_transcripts

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


# --- metrics -------------------------------------------------------------------------------------------------


def summarize(transcripts: Sequence[Transcript]) -> dict[str, float | int]:
    """SentientScore (mean final emotion), share reaching 100, share below 10, mean turns, count."""
    n = len(transcripts)
    if n == 0:
        return {"sentient_score": 0.0, "success_rate": 0.0, "failure_rate": 0.0, "mean_turns": 0.0, "n_personas": 0}
    return {
        "sentient_score": sum(t.final_emotion for t in transcripts) / n,
        "success_rate": sum(t.final_emotion >= SUCCESS_EMOTION for t in transcripts) / n,
        "failure_rate": sum(t.final_emotion < FAILURE_BELOW for t in transcripts) / n,
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
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=Console(stderr=True), transient=False,
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
            result, _ = rollout_model(policy, simulator, batch, seeds, max_turns, on_turn=on_turn)
            n_dropped += len(result.failures)
            writer.write_all(result.finished)
            scored.extend(result.finished)
    if not scored:
        raise RlempError(f"the simulator failed on all {len(personas)} conversations; nothing to score")
    metrics = {
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
        **(meta or {}),
    }
    (out / METRICS_FILE).write_text(json.dumps(metrics, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    write_report(out, scored, metrics)
    plot_trajectories(scored, out / PLOT_FILE)
    return metrics


def load_model(model_name_or_path: str, adapter: str | Path | None = None):
    """The base causal LM and its tokenizer (the adapter's own tokenizer when it saved one), with the LoRA
    adapter applied when given. float32 on CPU; on a GPU the checkpoint's dtype (``"auto"``)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if adapter and not (Path(adapter) / "adapter_config.json").is_file():
        raise InputError(adapter, None, None, "not a LoRA adapter folder (no adapter_config.json)")
    on_gpu = torch.cuda.is_available()
    own_tokenizer = adapter and (Path(adapter) / "tokenizer_config.json").is_file()
    tokenizer_source = adapter if own_tokenizer else model_name_or_path
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_source))
        model = AutoModelForCausalLM.from_pretrained(model_name_or_path, dtype="auto" if on_gpu else torch.float32)
    except (OSError, ValueError) as exc:
        where = "" if Path(model_name_or_path).exists() else "no such local folder, and from the hub: "
        raise RlempError(f"cannot load model {model_name_or_path!r}: {where}{str(exc).splitlines()[0]}") from None
    if adapter:
        from peft import PeftModel

        from rlemp.hub import check_adapter_fits

        check_adapter_fits(model, adapter)
        model = PeftModel.from_pretrained(model, str(adapter))
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    if on_gpu:
        model.to("cuda")
    return model.eval(), tokenizer


def evaluate_checkpoint(
    model_name_or_path: str,
    adapter: str | Path | None = None,
    personas_path: str | Path = "simulators/personas/eval.jsonl",
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
    from rlemp.personas import load_personas
    from rlemp.simulators import build_simulator

    personas = load_personas(personas_path)
    simulator = build_simulator(backend, simulator_config)
    model, tokenizer = load_model(model_name_or_path, adapter)
    settings = GenerationSettings(max_new_tokens=max_new_tokens, temperature=temperature, top_p=top_p, top_k=0)
    meta = {"model": str(model_name_or_path), "adapter": str(adapter) if adapter else None,
            "personas": str(personas_path)}
    return evaluate(model, tokenizer, personas, simulator, out_dir, seed=seed, max_turns=max_turns,
                    batch_size=batch_size, settings=settings, thinking=thinking, meta=meta, progress=progress)


# --- comparing two evaluations -------------------------------------------------------------------------------


def read_eval_dir(eval_dir: str | Path) -> tuple[dict[str, Any], list[Transcript]]:
    """``metrics.json`` and the transcripts of an ``rlemp eval`` folder."""
    path = Path(eval_dir)
    metrics_file = path / METRICS_FILE
    if not metrics_file.is_file():
        raise InputError(path, None, None, f"not an evaluation folder (no {METRICS_FILE})")
    metrics = read_json(metrics_file)
    if not isinstance(metrics, dict):
        raise InputError(metrics_file, None, None, "expected a JSON object")
    for key in SUMMARY_KEYS:
        if not isinstance(metrics.get(key), (int, float)):
            raise InputError(metrics_file, None, key, "missing or not a number")
    return metrics, read_transcripts(path / TRANSCRIPTS_FILE)


def _change(a: float | None, b: float | None) -> dict[str, float | None]:
    return {"a": a, "b": b, "change": None if a is None or b is None else b - a}


def compare(dir_a: str | Path, dir_b: str | Path, out_path: str | Path | None = None) -> dict[str, Any]:
    """Two evaluations side by side (A = before/base, B = after/adapter): overall metrics, SentientScore per
    hidden need, and each persona's final emotion, each with the change B - A (None where a side lacks it).

    ``warnings`` lists setup differences (simulator, seed, max_turns...) that make the numbers not comparable.
    Writes ``comparison.md`` and ``comparison.json`` into ``out_path`` (a folder; default: ``dir_b``).
    """
    from rlemp.report import write_comparison

    metrics_a, transcripts_a = read_eval_dir(dir_a)
    metrics_b, transcripts_b = read_eval_dir(dir_b)
    warnings = [
        f"{key} differs: {metrics_a.get(key)!r} (A) vs {metrics_b.get(key)!r} (B)"
        for key in ("simulator", "personas", "seed", "max_turns", "batch_size", "generation", "thinking")
        if metrics_a.get(key) != metrics_b.get(key)
    ]
    needs_a, needs_b = metrics_a.get("by_hidden_need", {}), metrics_b.get("by_hidden_need", {})
    needs = [n for n in HIDDEN_NEEDS if n in needs_a or n in needs_b]
    needs += sorted((set(needs_a) | set(needs_b)) - set(needs))
    final_a = {t.persona_id: t for t in transcripts_a}
    final_b = {t.persona_id: t for t in transcripts_b}
    persona_ids = list(final_a) + [pid for pid in final_b if pid not in final_a]
    comparison = {
        "a": str(dir_a),
        "b": str(dir_b),
        "model_a": metrics_a.get("model"), "adapter_a": metrics_a.get("adapter"),
        "model_b": metrics_b.get("model"), "adapter_b": metrics_b.get("adapter"),
        "warnings": warnings,
        "overall": {key: _change(metrics_a[key], metrics_b[key]) for key in SUMMARY_KEYS},
        "by_hidden_need": {
            need: _change(needs_a.get(need, {}).get("sentient_score"), needs_b.get(need, {}).get("sentient_score"))
            for need in needs
        },
        "by_persona": [
            {
                "persona_id": pid,
                "hidden_need": (final_a.get(pid) or final_b[pid]).persona.hidden_need,
                **_change(
                    final_a[pid].final_emotion if pid in final_a else None,
                    final_b[pid].final_emotion if pid in final_b else None,
                ),
            }
            for pid in persona_ids
        ],
    }
    out = Path(out_path) if out_path is not None else Path(dir_b)
    write_comparison(out, comparison)
    return comparison
