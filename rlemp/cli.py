"""The ``rlemp`` command line: thin wrappers over the modules. User errors print one line and exit 2."""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape

from rlemp.errors import InputError, RlempError
from rlemp.personas import read_json

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
            err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None

    return wrapper


def load_script(path: Path) -> list[str]:
    """A scripted agent: a JSON list of replies, used in order (the last one repeats)."""
    replies = read_json(path)
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
        err_console.print(f"[bold red]mismatch:[/] {escape(str(mismatch))}", highlight=False, soft_wrap=True)
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


@app.command("tiny-model")
@handles_errors
def tiny_model(
    out: Path = typer.Option(..., "--out", help="folder to write the model and tokenizer to"),
    size: str = typer.Option("tiny", help="tiny (tests) or small (demo)"),
    seed: int = typer.Option(0, help="seed of the random weights"),
):
    """Build a random Qwen2-style model with a ChatML tokenizer trained on the project's text (offline)."""
    from rlemp.tiny import MODEL_SIZES, build_tiny_model

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
):
    """Upload a LoRA adapter, its tokenizer, recipe and a generated model card to the Hugging Face Hub."""
    from rlemp.hub import publish_adapter

    result = publish_adapter(adapter, repo_id, evals=evals, private=private, revision=revision,
                             dry_run_dir=dry_run, base_model=base_model, license=license)
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

    path = merge_adapter(adapter, out, base_model=base_model)
    console.print(f"wrote the merged model to {path}", highlight=False, soft_wrap=True)


@app.command()
@handles_errors
def curriculum(
    personas: Optional[Path] = typer.Option(None, help="persona JSONL; difficulty measured on the rule simulator"),
    dialogues: Optional[Path] = typer.Option(None, help="MELD-style CSV, ESConv JSON or rlemp transcript JSONL"),
    fmt: Optional[str] = typer.Option(None, "--format", help="meld, esconv or rlemp (default: from the suffix)"),
    out: Path = typer.Option(..., "--out", help="JSONL of {id, difficulty}, easiest first; a .png histogram beside"),
    seed: int = typer.Option(0, help="--personas: seed of the measuring conversations"),
    max_turns: int = typer.Option(8, min=1, help="--personas: turns per measuring conversation"),
    cache: Optional[Path] = typer.Option(None, help="--personas: JSON cache of measured difficulties"),
):
    """Rank personas or recorded dialogues by emotional-shift difficulty, easiest first (PRC-Emo)."""
    from rlemp.curriculum import difficulty_items, write_difficulties

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
    backend: str = typer.Option("rule", help="simulator backend: rule, hf or openai"),
    simulator_config: Optional[Path] = typer.Option(None, help="JSON or YAML file with the backend's config"),
    max_turns: int = typer.Option(8, min=1),
    seed: int = typer.Option(0),
    out: Path = typer.Option(..., help="JSON report: {reward: {mean, per_persona}}"),
):
    """Run a scripted agent against every persona and score the conversations with the named rewards."""
    from rlemp.personas import load_personas
    from rlemp.rewards import rewards_from_names, score_transcripts
    from rlemp.rollout import run_scripted
    from rlemp.simulators import build_simulator

    funcs = rewards_from_names(reward, model)
    sim = build_simulator(backend, load_config_file(simulator_config))
    transcripts = run_scripted(sim, load_personas(personas), load_script(script), seed=seed, max_turns=max_turns)
    report = score_transcripts(funcs, transcripts)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    means = ", ".join(f"{name} {r['mean']:.3f}" if r["mean"] is not None else f"{name} n/a" for name, r in report.items())
    console.print(f"scored {len(transcripts)} conversations: {means}; wrote {out}")


def run_train_cli(argv: list[str]) -> int:
    """Train from recipe arguments; user errors print one line and return 2 (no traceback). A run stopped by
    SIGTERM/SIGINT saves a checkpoint and returns 128 + the signal number (see rlemp.trainers.reliability)."""
    from rlemp.trainers import main as train_main
    from rlemp.trainers.reliability import TrainingInterrupted

    resume = None
    if "--resume" in argv:
        i = argv.index("--resume")
        if i + 1 >= len(argv) or argv[i + 1].startswith("--"):
            resume = "latest"
            argv = argv[:i] + argv[i + 1:]
        else:
            resume = argv[i + 1]
            argv = argv[:i] + argv[i + 2:]
    try:
        adapter = train_main(argv, resume=resume)
    except TrainingInterrupted as exc:
        err_console.print(f"[yellow]interrupted:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        return exc.exit_code
    except RlempError as exc:
        err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        return 2
    except KeyboardInterrupt:  # a second Ctrl-C, or one before training began
        err_console.print("[yellow]interrupted:[/] stopped at once, without saving a checkpoint", highlight=False)
        return 130
    from accelerate import PartialState

    if PartialState().is_main_process:
        console.print(f"adapter saved to {adapter}")
    return 0


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def train(ctx: typer.Context):
    """Train from a recipe: rlemp train --config RECIPE.yaml [--any_recipe_field value ...] [--resume [CKPT|latest]]."""
    raise typer.Exit(run_train_cli(list(ctx.args)))


@app.command("eval")
@handles_errors
def eval_command(
    model: Optional[str] = typer.Option(None, help="base model folder or hub id"),
    adapter: Optional[Path] = typer.Option(None, help="LoRA adapter folder to apply to the base"),
    personas: Optional[Path] = typer.Option(None, help="persona JSONL file"),
    backend: str = typer.Option("rule", help="simulator backend: rule, hf or openai"),
    simulator_config: Optional[Path] = typer.Option(None, help="JSON or YAML file with the backend's config"),
    max_turns: int = typer.Option(8, min=1),
    seed: int = typer.Option(0),
    out: Optional[Path] = typer.Option(None, help="output folder (with --compare: for comparison.md/.json)"),
    batch_size: int = typer.Option(32, min=1, help="conversations advanced together per generate call"),
    temperature: float = typer.Option(0.7, min=0.0, help="sampling temperature (0 = greedy)"),
    top_p: float = typer.Option(1.0, min=0.0, max=1.0),
    max_new_tokens: int = typer.Option(64, min=1, help="tokens per agent turn"),
    thinking: bool = typer.Option(False, "--thinking", help="thinking template: <think>...</think> then the reply"),
    compare: Optional[tuple[Path, Path]] = typer.Option(None, "--compare", help="DIR_A DIR_B: only compare two evals"),
):
    """Evaluate a model (plus adapter) against simulated users, or compare two evaluations (--compare A B)."""
    from rlemp import evaluation
    from rlemp.report import comparison_tables

    if compare:
        result = evaluation.compare(*compare, out_path=out)
        for warning in result["warnings"]:
            err_console.print(f"[yellow]warning:[/] {warning}", highlight=False, soft_wrap=True)
        for table in comparison_tables(result):
            console.print(table)
        console.print(f"wrote {(out or compare[1]) / 'comparison.md'} and comparison.json")
        return
    for name, value in (("--model", model), ("--personas", personas), ("--out", out)):
        if value is None:
            raise RlempError(f"{name} is required (or give --compare DIR_A DIR_B)")
    metrics = evaluation.evaluate_checkpoint(
        model, adapter, personas, backend=backend, simulator_config=load_config_file(simulator_config),
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
    personas: Path = typer.Option(Path("simulators/personas/train.jsonl"), help="personas to talk with"),
    replies: Path = typer.Option(Path("simulators/corpus/reply_bank.jsonl"), help="reply bank by category"),
    out: Path = typer.Option(Path("simulators/corpus/supporter_replies.jsonl")),
    conversations_per_persona: int = typer.Option(2, min=1),
    max_turns: int = typer.Option(2, min=1),
    replies_per_category: int = typer.Option(4, min=1, help="first N replies of each category"),
    seed: int = typer.Option(0),
):
    """Build the SFT supporter-reply corpus: bank replies of every quality, with the rule user's reactions."""
    from rlemp.corpus import build_corpus, load_reply_bank
    from rlemp.paths import resolve_data_path
    from rlemp.personas import load_personas
    from rlemp.simulators import build_simulator

    path = build_corpus(
        build_simulator("rule"),
        load_personas(resolve_data_path(personas)),
        load_reply_bank(resolve_data_path(replies)),
        out,
        seed=seed,
        conversations_per_persona=conversations_per_persona,
        max_turns=max_turns,
        replies_per_category=replies_per_category,
    )
    console.print(f"wrote {path}")


@app.command()
@handles_errors
def sft(
    model: Path = typer.Option(..., help="model folder to fine-tune (e.g. from `rlemp tiny-model`)"),
    out: Path = typer.Option(..., help="folder for the fine-tuned model"),
    corpus: Path = typer.Option(Path("simulators/corpus/supporter_replies.jsonl"), help="conversation JSONL"),
    target: str = typer.Option("replies", help="replies (policy warm start) or reactions (FLR scorer)"),
    epochs: float = typer.Option(3.0, min=0.01),
    learning_rate: float = typer.Option(2e-3, min=0.0),
    batch_size: int = typer.Option(16, min=1),
    max_length: int = typer.Option(512, min=8),
    seed: int = typer.Option(0),
):
    """SFT warm start with TRL: the policy on the supporters' replies, or an FLR scorer on the users' reactions."""
    from rlemp.paths import resolve_data_path
    from rlemp.sft import sft_warm_start

    path = sft_warm_start(model, resolve_data_path(corpus), out, target=target, epochs=epochs,
                          learning_rate=learning_rate, batch_size=batch_size, max_length=max_length, seed=seed)
    console.print(f"wrote {path}")


@app.command()
@handles_errors
def demo(
    out: Path = typer.Option(Path("demo_out"), help="output folder"),
    size: str = typer.Option("full", help="full (the README demo, ~5 min on 2 cores) or smoke (about a minute)"),
    seed: int = typer.Option(0),
    recipe: Path = typer.Option(Path("recipes/tiny/grpo.yaml"), help="tiny recipe of the training stage"),
):
    """The whole pipeline on CPU: tiny model, SFT warm start, eval, LoRA training (GRPO by default), eval, compare."""
    from rlemp.demo import SIZES, run_demo
    from rlemp.paths import resolve_data_path

    if size not in SIZES:
        raise RlempError(f"--size: expected one of {', '.join(SIZES)}, got {size!r}")
    run_demo(out, size=size, seed=seed, recipe=resolve_data_path(recipe))


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
    seed: int = typer.Option(0),
    backend: str = typer.Option("rule", help="simulator backend: rule, hf or openai"),
    simulator_config: Optional[Path] = typer.Option(None, help="JSON or YAML file with the backend's config"),
    flr_model: Optional[Path] = typer.Option(None, help="flr scorer model folder (default: the base model)"),
    temperature: float = typer.Option(1.0, help="sampling temperature of the policy"),
    max_new_tokens: int = typer.Option(64, min=1, help="new tokens per reply"),
):
    """Sample candidate replies from the policy at dialogue states, judge them, keep best vs worst pairs."""
    from rlemp.preferences import mine_to_file, mining_config

    config = mining_config(judge=judge, candidates=candidates, margin=margin, lookahead_turns=lookahead_turns,
                           states_per_persona=states_per_persona, temperature=temperature)
    result = mine_to_file(model, personas, out, config, adapter=adapter, backend=backend,
                          simulator_config=load_config_file(simulator_config), flr_model=flr_model,
                          max_turns=max_turns, max_new_tokens=max_new_tokens, seed=seed)
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


# --- commands of later modules are registered above this line ---


def main() -> None:
    app()


if __name__ == "__main__":
    sys.exit(main())
