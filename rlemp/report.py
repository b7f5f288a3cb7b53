"""Human-readable outputs of evaluation and training: ``report.md``, the emotion-trajectory plot, metric curves
and the side-by-side comparison of two evaluations (markdown for files, rich tables for the terminal).

Plots use matplotlib's object API on an Agg canvas (no pyplot state, no display needed) and return the
``Figure`` so callers and tests can inspect it.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any, Sequence

from rlemp.simulators.base import band
from rlemp.transcript import Transcript

BAND_EDGES = (10, 40, 70, 100)  # SAGE band boundaries, drawn as light horizontal lines
N_SHOWN = 3  # worst and best conversations shown in full in report.md
# (metric key, label, format) of the summary tables
SUMMARY_ROWS = (
    ("sentient_score", "SentientScore (mean final emotion, 0-100)", "{:.1f}"),
    ("success_rate", "success rate (reached 100)", "{:.3f}"),
    ("failure_rate", "failure rate (ended below 10)", "{:.3f}"),
    ("mean_turns", "mean turns", "{:.2f}"),
    ("n_personas", "conversations scored", "{:g}"),
)
FORMATS = {key: fmt for key, _, fmt in SUMMARY_ROWS}


def _fmt(key: str, value: Any) -> str:
    if value is None:
        return "-"
    return FORMATS.get(key, "{}").format(value)


def _fmt_change(key: str, value: float | None) -> str:
    if value is None:
        return "-"
    return ("+" if value > 0 else "") + FORMATS.get(key, "{:.1f}").format(value)


_MD_SPECIAL = re.compile(r"([\\`*\[\]|#])")
# An underscore inside a word (``practical_advice``) cannot start or end emphasis (CommonMark), so it stays as is;
# only one at a word's edge could, and is escaped.
_MD_EDGE_UNDERSCORE = re.compile(r"(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")


def md_text(text: str) -> str:
    """Model or user text made safe inside markdown: one line, no HTML, markdown marks escaped (underscores
    only where they could mark emphasis, so identifiers such as ``practical_advice`` read as they are)."""
    text = " ".join(text.split()).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_EDGE_UNDERSCORE.sub(r"\\_", _MD_SPECIAL.sub(r"\\\1", text))
    return text or "_(empty)_"


def md_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


# --- report.md -----------------------------------------------------------------------------------------------


def group_table(groups: dict[str, dict[str, Any]], name: str) -> str:
    header = [name, "n", "SentientScore", "success", "failure", "mean turns"]
    rows = [
        [md_text(group), str(s["n_personas"]), _fmt("sentient_score", s["sentient_score"]),
         _fmt("success_rate", s["success_rate"]), _fmt("failure_rate", s["failure_rate"]),
         _fmt("mean_turns", s["mean_turns"])]
        for group, s in groups.items()
    ]
    return md_table(header, rows)


def conversation_markdown(rank: int, t: Transcript) -> str:
    """One conversation turn by turn, each user message with the emotion it left and the change."""
    p = t.persona
    lines = [
        f"#### {rank}. {md_text(t.persona_id)}: final emotion {t.final_emotion} ({band(t.final_emotion)}), "
        f"outcome `{t.outcome or 'unfinished'}` after {len(t.turns)} turns",
        "",
        f"{md_text(p.name)}, hidden need `{p.hidden_need}`, temperament `{p.temperament or 'none'}`: "
        f"{md_text(p.scenario)}",
        "",
        f"- **User** (emotion {t.initial_emotion}): {md_text(t.opening)}",
    ]
    for turn in t.turns:
        thoughts = f" _(thoughts: {md_text(turn.agent_thoughts)})_" if turn.agent_thoughts else ""
        lines.append(f"- **Agent**:{thoughts} {md_text(turn.agent)}")
        fallback = ", simulator fallback" if turn.fallback else ""
        lines.append(
            f"- **User** (emotion {turn.emotion}, {turn.delta:+d}{fallback}): {md_text(turn.user)}"
            f" <br>_why: {md_text(turn.rationale)}_"
        )
    return "\n".join(lines)


def worst_and_best(transcripts: Sequence[Transcript], k: int = N_SHOWN) -> tuple[list[Transcript], list[Transcript]]:
    """The ``k`` lowest final emotions, then the ``k`` highest among the rest (ties: persona id order)."""
    ordered = sorted(transcripts, key=lambda t: (t.final_emotion, t.persona_id))
    worst = ordered[:k]
    rest = ordered[k:]
    best = sorted(rest, key=lambda t: (-t.final_emotion, t.persona_id))[:k]
    return worst, best


def write_report(out_dir: str | Path, transcripts: Sequence[Transcript], metrics: dict[str, Any]) -> Path:
    """``OUT_DIR/report.md``: setup, metrics, per-need and per-temperament tables, the plot, and the worst and
    best conversations turn by turn."""
    out = Path(out_dir)
    sim = metrics.get("simulator", {})
    generation = metrics.get("generation") or {}
    setup = [
        ("model", metrics.get("model")), ("adapter", metrics.get("adapter") or "none"),
        ("personas", metrics.get("personas")),
        ("simulator", f"{sim.get('backend')} {sim.get('version')} ({sim.get('config_hash')})"),
        ("seed", metrics.get("seed")), ("max turns", metrics.get("max_turns")),
        ("sampling", ", ".join(f"{k} {v}" for k, v in generation.items()) or "-"),
        ("thinking", metrics.get("thinking", False)),
        ("dropped conversations (simulator errors)", metrics.get("n_dropped", 0)),
        ("turns the simulator could not judge (fallback)", metrics.get("n_fallback_turns", 0)),
        ("versions", ", ".join(f"{k} {v}" for k, v in (metrics.get("versions") or {}).items()) or "-"),
    ]
    worst, best = worst_and_best(transcripts)
    parts = [
        f"# Evaluation of {md_text(str(metrics.get('model')))}"
        + (f" + {md_text(str(metrics['adapter']))}" if metrics.get("adapter") else ""),
        "",
        md_table(["setting", "value"], [[name, md_text(str(value))] for name, value in setup]),
        "",
        "## Metrics",
        "",
        md_table(["metric", "value"], [[label, _fmt(key, metrics[key])] for key, label, _ in SUMMARY_ROWS]),
        "",
        "## By hidden need",
        "",
        group_table(metrics["by_hidden_need"], "hidden need"),
        "",
        "## By temperament",
        "",
        group_table(metrics["by_temperament"], "temperament"),
        "",
        "## Emotion over turns",
        "",
        "![emotion of every conversation over turns](trajectories.png)",
        "",
        f"## Worst {len(worst)} conversations",
        "",
        *[conversation_markdown(i, t) + "\n" for i, t in enumerate(worst, start=1)],
        f"## Best {len(best)} conversations",
        "",
        *[conversation_markdown(i, t) + "\n" for i, t in enumerate(best, start=1)],
    ]
    path = out / "report.md"
    path.write_text("\n".join(parts).rstrip() + "\n", encoding="utf-8")
    return path


# --- plots ---------------------------------------------------------------------------------------------------


def _figure(width: float = 8.0, height: float = 4.5):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def mean_trajectory(transcripts: Sequence[Transcript]) -> list[float]:
    """Mean emotion per turn over all conversations, a finished conversation's final emotion carried forward,
    so the last point equals the SentientScore."""
    length = max(len(t.emotions) for t in transcripts)
    padded = [t.emotions + [t.final_emotion] * (length - len(t.emotions)) for t in transcripts]
    return [sum(column) / len(column) for column in zip(*padded)]


def plot_trajectories(transcripts: Sequence[Transcript], path: str | Path):
    """A PNG of every conversation's emotion over turns (turn 0 = initial emotion; thin lines), their mean
    (thick; final values carried forward, see :func:`mean_trajectory`) and the band boundaries 10/40/70/100
    (light horizontal lines). The axes hold exactly ``len(transcripts) + 1 + len(BAND_EDGES)`` lines."""
    if not transcripts:
        raise ValueError("no conversations to plot")
    fig = _figure()
    ax = fig.add_subplot()
    for edge in BAND_EDGES:
        ax.axhline(edge, color="0.85", linewidth=0.8, linestyle="--", zorder=0, gid=f"band-{edge}")
    for t in transcripts:
        ax.plot(range(len(t.emotions)), t.emotions, color="tab:blue", alpha=0.3, linewidth=0.8, gid=t.persona_id)
    mean = mean_trajectory(transcripts)
    ax.plot(range(len(mean)), mean, color="black", linewidth=2.5, label="mean (final carried forward)", gid="mean")
    for low, high in zip((0, *BAND_EDGES), (*BAND_EDGES, 105)):
        ax.text(1.01, (low + high) / 2, band(low), transform=ax.get_yaxis_transform(), va="center",
                color="0.5", fontsize=8)
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlim(0, max(1, len(mean) - 1))
    ax.set_ylim(0, 105)
    ax.set_xlabel("turn")
    ax.set_ylabel("emotion (0-100)")
    ax.set_title(f"Emotion over turns: {len(transcripts)} conversations, SentientScore {mean[-1]:.1f}")
    ax.legend(loc="lower left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, format="png")
    return fig


def plot_curves(series: dict[str, Sequence[float]], path: str | Path, title: str):
    """A PNG of logged metrics per step (reward curves...): one panel per series, sharing the step axis, with
    whole-number step ticks. Missing values (None/NaN) leave gaps. A series that is 0 at every logged step (a
    reward that never fired, e.g. safety on a harmless run) gets no panel of its own: its name is listed under the
    title instead."""
    if not series:
        raise ValueError("no series to plot")
    from matplotlib.ticker import MaxNLocator

    def always_zero(values: Sequence[float]) -> bool:
        present = [float(v) for v in values if v is not None and not math.isnan(float(v))]
        return all(v == 0 for v in present)

    zero = [name for name, values in series.items() if always_zero(values)]
    shown = {name: values for name, values in series.items() if name not in zero} or series
    fig = _figure(8.0, 1.2 + 1.8 * len(shown))
    fig.set_layout_engine("constrained")  # keeps the title and the panels' labels apart
    axes = fig.subplots(len(shown), 1, sharex=True, squeeze=False)[:, 0]
    for ax, (name, values) in zip(axes, shown.items()):
        ys = [math.nan if v is None else float(v) for v in values]
        ax.plot(range(1, len(ys) + 1), ys, marker="." if len(ys) < 50 else None, linewidth=1.2)
        ax.set_ylabel(name, fontsize=8)
        ax.grid(alpha=0.3)
    axes[-1].xaxis.set_major_locator(MaxNLocator(integer=True))
    axes[-1].set_xlabel("step")
    hidden = [name for name in zero if name not in shown]
    fig.suptitle(title + (f"\n(0 at every step, not drawn: {', '.join(hidden)})" if hidden else ""), fontsize=10)
    fig.savefig(path, format="png")
    return fig


# --- comparison ----------------------------------------------------------------------------------------------


def _setup_line(comparison: dict[str, Any], side: str) -> str:
    adapter = comparison.get(f"adapter_{side}")
    model = comparison.get(f"model_{side}")
    return f"{comparison[side]} ({model}{' + ' + str(adapter) if adapter else ''})"


def _fmt_emotion(value: float | int | None, change: bool = False) -> str:
    """A final emotion (an integer, or a mean over seeds with one decimal) or its change."""
    if value is None:
        return "-"
    text = str(int(value)) if float(value).is_integer() else f"{value:.1f}"
    return ("+" if change and value > 0 else "") + text


def comparison_rows(comparison: dict[str, Any]) -> dict[str, tuple[list[str], list[list[str]]]]:
    """The comparison's three tables (overall, by hidden need, by persona) as header and text rows."""
    labels = {key: label for key, label, _ in SUMMARY_ROWS}
    overall = [[labels.get(key, key), _fmt(key, v["a"]), _fmt(key, v["b"]), _fmt_change(key, v["change"])]
               for key, v in comparison["overall"].items()]
    needs = [[need, _fmt("sentient_score", v["a"]), _fmt("sentient_score", v["b"]),
              _fmt_change("sentient_score", v["change"])] for need, v in comparison["by_hidden_need"].items()]
    personas = [[p["persona_id"], p["hidden_need"], _fmt_emotion(p["a"]), _fmt_emotion(p["b"]),
                 _fmt_emotion(p["change"], change=True)] for p in comparison["by_persona"]]
    return {
        "Overall": (["metric", "A", "B", "change"], overall),
        "SentientScore by hidden need": (["hidden need", "A", "B", "change"], needs),
        "Final emotion by persona": (["persona", "hidden need", "A", "B", "change"], personas),
    }


def verdict_markdown(comparison: dict[str, Any]) -> list[str]:
    """The verdict and how it was computed."""
    v = comparison["verdict"]
    seeds = comparison.get("seeds") or []
    how = (f"Per persona, the change in final emotion B - A{' averaged over the seeds' if len(seeds) > 1 else ''}; "
           f"their mean with a {v['confidence']:.0%} percentile bootstrap interval over personas "
           f"({v['resamples']} resamples, seed {v['bootstrap_seed']}). An interval that includes 0 means the "
           "change is within the persona-to-persona noise of this evaluation; more personas or seeds narrow it.")
    return ["## Verdict", "", f"**{md_text(v['text'])}**", "", how]


def samples_markdown(comparison: dict[str, Any]) -> list[str]:
    """The first exchange of a few personas, before (A) and after (B)."""
    samples = comparison.get("samples") or []
    if not samples:
        return []
    parts = ["## Sample replies (first turn, same opening message)", ""]
    for sample in samples:
        parts += [f"### {md_text(sample['persona_id'])}: final emotion "
                  f"{_fmt_emotion(sample['change'], change=True)}", "",
                  f"- **User**: {md_text(sample['opening'])}"]
        for side in ("a", "b"):
            turn = sample[side]
            parts += [f"- **{side.upper()}**: {md_text(turn['agent'])}",
                      f"  - user ({turn['delta']:+d}, final {turn['final_emotion']}): {md_text(turn['user'])}"]
        parts.append("")
    return parts


def write_comparison(out_dir: str | Path, comparison: dict[str, Any]) -> tuple[Path, Path]:
    """``comparison.md`` and ``comparison.json`` in ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    seeds = comparison.get("seeds") or []
    parts = ["# Comparison of two evaluations", "",
             f"- A: {md_text(_setup_line(comparison, 'a'))}", f"- B: {md_text(_setup_line(comparison, 'b'))}",
             f"- evaluation seed{'s' if len(seeds) > 1 else ''}: {', '.join(map(str, seeds))}"]
    if comparison.get("versions"):
        parts.append(f"- versions (B): {md_text(', '.join(f'{k} {v}' for k, v in comparison['versions'].items()))}")
    parts.append("")
    if comparison["warnings"]:
        parts += ["**Warning**: the two evaluations were not run the same way:", ""]
        parts += [f"- {md_text(w)}" for w in comparison["warnings"]]
        parts.append("")
    parts += verdict_markdown(comparison) + [""] + samples_markdown(comparison)
    for title, (header, rows) in comparison_rows(comparison).items():
        parts += [f"## {title}", "", md_table(header, [[md_text(c) for c in row] for row in rows]), ""]
    md_path, json_path = out / "comparison.md", out / "comparison.json"
    md_path.write_text("\n".join(parts).rstrip() + "\n", encoding="utf-8")
    json_path.write_text(json.dumps(comparison, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return md_path, json_path


def comparison_tables(comparison: dict[str, Any]) -> list:
    """The comparison as rich tables for the terminal, changes coloured green when better, red when worse
    (higher is better except for the failure rate; mean turns and counts are not coloured)."""
    from rich.table import Table

    labels = {key: label for key, label, _ in SUMMARY_ROWS}
    neutral = {labels["mean_turns"], labels["n_personas"]}
    tables = []
    for title, (header, rows) in comparison_rows(comparison).items():
        table = Table(*header, title=title)
        for row in rows:
            change = row[-1]
            sign = 1 if change.startswith("+") else -1 if change.startswith("-") and change != "-" else 0
            if row[0] == labels["failure_rate"]:
                sign = -sign
            style = "" if row[0] in neutral else {1: "green", -1: "red", 0: ""}[sign]
            table.add_row(*row[:-1], f"[{style}]{change}[/]" if style else change)
        tables.append(table)
    return tables
