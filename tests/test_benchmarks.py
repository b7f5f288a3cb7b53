"""Smoke test of the benchmarks: ``benchmarks/run_all.py --smoke`` runs every benchmark at the reduced size and
writes a results table with a finite positive ratio in every row. Timings are printed, never asserted."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BENCHMARKS = ("rollout", "simulator", "flr", "step", "memory", "serve", "learning")


def result_rows(markdown: str) -> list[list[str]]:
    """The cells of the results table's rows (header and separator left out)."""
    section = markdown.split("## Results", 1)[1].split("\n## ", 1)[0]
    rows = [line.strip("|").split("|") for line in section.splitlines() if line.startswith("| ")]
    return [[cell.strip() for cell in row] for row in rows[1:]]


@pytest.mark.slow
def test_run_all_smoke_writes_every_benchmark(tmp_path):
    out = tmp_path / "RESULTS.md"
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "run_all.py"), "--smoke", "--out", str(out), "--device", "cpu"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=1800,  # a guard against a hang only: every benchmark at its smoke size, on a busy machine
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    text = out.read_text(encoding="utf-8")
    rows = result_rows(text)
    assert {row[0] for row in rows} == set(BENCHMARKS)
    for bench, metric, baseline, ratio, *_ in rows:
        value = float(ratio)
        assert math.isfinite(value) and value > 0, (bench, metric, ratio)
        assert baseline, (bench, metric)
    # every comparison the README's table reports is there
    metrics = [(row[0], row[1], row[2]) for row in rows]
    for label in ("1 conversation", "8 conversations", "32 conversations"):
        measure = f"batched multi-turn rollouts, {label}"
        assert ("rollout", measure, "one conversation at a time") in metrics
        assert any(m[:2] == ("rollout", measure) and m[2].startswith("TRL") for m in metrics)
    assert any(m[0] == "simulator" and m[1].startswith("rule") for m in metrics)
    assert any(m[0] == "simulator" and "concurrency 16" in m[1] for m in metrics)
    step_parts = {m[1] for m in metrics if m[0] == "step"}
    assert {"generation", "simulator", "rewards", "forward", "backward", "optimizer", "other"} <= step_parts
    assert any(m[0] == "memory" and m[1].startswith("QLoRA") for m in metrics)
    assert any(m[0] == "memory" and m[1].startswith("full fine-tuning") for m in metrics)
    for clients in ("1 concurrent client", "16 concurrent clients", "128 concurrent clients"):
        assert any(m[0] == "serve" and m[1].endswith(clients) for m in metrics)
    assert "## Machine" in text and "torch" in text and "--smoke" in text


def test_table_rows_are_parsed_from_results_markdown():
    """The parser the smoke test relies on reads the runner's own table format."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        from run_all import table
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    rows = [{"bench": "rollout", "metric": "batched", "baseline": "loop", "ratio": 6.5, "target": ">= 5",
             "value": 650.0, "baseline_value": 100.0, "unit": "tokens/s"},
            {"bench": "step", "metric": "other", "baseline": "whole step", "ratio": 0.2, "target": "<= 0.10",
             "seconds": 0.1}]
    parsed = result_rows(f"## Results\n\n{table(rows)}\n\n## Notes\n")
    assert [r[:4] for r in parsed] == [["rollout", "batched", "loop", "6.5"], ["step", "other", "whole step", "0.2"]]
    assert parsed[0][4] == ">= 5: met" and parsed[1][4] == "<= 0.10: MISSED"
