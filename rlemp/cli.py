"""The ``rlemp`` command line: thin wrappers over the modules. User errors print one line and exit 2."""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from rlemp.errors import InputError, RlempError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False)
personas_app = typer.Typer(no_args_is_help=True, help="Validate and import persona banks.")
app.add_typer(personas_app, name="personas")
console = Console()
err_console = Console(stderr=True)


def handles_errors(fn):
    """Turn user errors into one line on stderr and exit code 2, never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except RlempError as exc:
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None

    return wrapper


def load_script(path: Path) -> list[str]:
    """A scripted agent: a JSON list of replies, used in order (the last one repeats)."""
    try:
        replies = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(path, None, None, "file not found") from None
    except json.JSONDecodeError as exc:
        raise InputError(path, exc.lineno, None, f"not valid JSON ({exc.msg})") from None
    if not isinstance(replies, list) or not replies or not all(isinstance(r, str) for r in replies):
        raise InputError(path, None, None, "expected a non-empty JSON list of reply strings")
    return replies


@personas_app.command("validate")
@handles_errors
def personas_validate(file: Path = typer.Argument(..., help="persona JSONL file")):
    """Check a persona file; prints a summary or the first error (file, line, field)."""
    from collections import Counter

    from rlemp.personas import load_personas

    personas = load_personas(file)
    needs = Counter(p.hidden_need for p in personas)
    console.print(f"{file}: {len(personas)} personas OK; hidden needs: {dict(sorted(needs.items()))}")


@personas_app.command("import-sage")
@handles_errors
def personas_import_sage(
    file: Path = typer.Argument(..., help="SAGE/RLVER profile JSONL"),
    out: Path = typer.Option(..., "--out", help="persona JSONL to write"),
    initial_emotion: int = typer.Option(40, help="starting emotion (SAGE evaluation uses 40)"),
):
    """Convert SAGE/RLVER profiles (id, player, scene, main_cha, cha_group, task, first_talk) to personas."""
    from rlemp.personas import import_sage, save_personas

    personas = import_sage(file, initial_emotion=initial_emotion)
    save_personas(personas, out)
    console.print(f"wrote {len(personas)} personas to {out}")


@app.command()
@handles_errors
def simulate(
    personas: Path = typer.Option(..., help="persona JSONL file"),
    script: Path = typer.Option(..., help="JSON list of agent replies, used in order"),
    backend: str = typer.Option("rule", help="simulator backend: rule, hf or openai"),
    simulator_config: Optional[Path] = typer.Option(None, help="JSON or YAML file with the backend's config"),
    max_turns: int = typer.Option(8, min=1),
    seed: int = typer.Option(0),
    out: Optional[Path] = typer.Option(None, help="write transcripts as JSONL here instead of a table"),
):
    """Run a scripted agent against every persona's simulated user."""
    from rlemp.personas import load_personas
    from rlemp.rollout import run_scripted
    from rlemp.simulators import build_simulator
    from rlemp.transcript import TranscriptWriter

    sim = build_simulator(backend, load_config_file(simulator_config))
    bank = load_personas(personas)
    replies = load_script(script)
    transcripts = run_scripted(sim, bank, replies, seed=seed, max_turns=max_turns)
    if out:
        with TranscriptWriter(out, mode="w") as writer:
            writer.write_all(transcripts)
        mean = sum(t.final_emotion for t in transcripts) / len(transcripts)
        console.print(f"wrote {len(transcripts)} transcripts to {out}; mean final emotion {mean:.1f}")
        return
    from rich.table import Table

    table = Table("persona", "need", "turns", "emotions", "final", "outcome")
    for t in transcripts:
        table.add_row(t.persona_id, t.persona.hidden_need, str(len(t.turns)),
                      " ".join(map(str, t.emotions)), str(t.final_emotion), t.outcome or "")
    console.print(table)


@app.command()
@handles_errors
def verify(transcripts: Path = typer.Argument(..., help="transcript JSONL file")):
    """Replay every transcript; exit 0 only if every emotion score matches, else name the first mismatch."""
    from rlemp.transcript import read_transcripts, verify_transcripts

    records = read_transcripts(transcripts)
    mismatch = verify_transcripts(records)
    if mismatch is not None:
        err_console.print(f"[bold red]mismatch:[/] {mismatch}", highlight=False, soft_wrap=True)
        raise typer.Exit(1)
    turns = sum(len(t.turns) for t in records)
    console.print(f"verified {len(records)} transcripts, {turns} turns: every emotion score matches")


def load_config_file(path: Optional[Path]) -> dict:
    """A backend config from a JSON or YAML file (None -> defaults)."""
    if path is None:
        return {}
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(path, None, None, "file not found") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(path, mark.line + 1 if mark else None, None, f"not valid YAML/JSON ({exc})") from None
    if not isinstance(data, dict):
        raise InputError(path, None, None, "expected a mapping of config fields")
    return data


# --- commands of later modules are registered above this line ---


def main() -> None:
    app()


if __name__ == "__main__":
    sys.exit(main())
