"""Publishing trained LoRA adapters to the Hugging Face Hub with a generated model card, and merging them.

``publish_adapter`` is the one code path behind ``rlemp push`` and ``push_to_hub: true``: it uploads an allowlist
of the adapter folder's files plus a model card. A local base model is refused unless named on the Hub or
allowed; a dry run contacts nothing; a file holding the user's token is never uploaded. The rules in full:
``docs/evaluation.md``.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Sequence

from rlemp.errors import InputError, RlempError
from rlemp.evaluation import EvalMetrics, read_metrics, setup_differences
from rlemp.files import read_json, read_mapping
from rlemp.loading import check_adapter, load_model

log = logging.getLogger(__name__)

ADAPTER_FILES = ("adapter_config.json", "adapter_model.safetensors")
TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
    "chat_template.jinja",
    "chat_template.json",
    "vocab.json",
    "merges.txt",
    "tokenizer.model",
)
RECIPE_FILE = "rlemp_recipe.yaml"
TRAINING_FILE = "rlemp_training.json"
PLOT_FILE = "trajectories.png"
CARD_FILE = "README.md"
CARD_TEMPLATE = Path(__file__).parent / "templates" / "model_card.md"
DEFAULT_LICENSE = "apache-2.0"
NO_TOKEN_MESSAGE = "no Hugging Face token: run `hf auth login` or set HF_TOKEN"

# (key in metrics.json, label in the card, number format)
EVAL_METRICS = (
    ("sentient_score", "SentientScore (0-100)", "{:.1f}"),
    ("success_rate", "success rate", "{:.3f}"),
    ("failure_rate", "failure rate", "{:.3f}"),
    ("mean_turns", "mean turns", "{:.2f}"),
)
TRAINING_SUMMARY_KEYS = ("algorithm", "rewards", "judge", "curriculum", "steps", "hardware")
CARD_METADATA_KEYS = ("base_model", "license", "datasets")


@dataclass(frozen=True)
class Evaluation:
    """An ``rlemp eval`` output folder and its metrics."""

    path: Path
    metrics: EvalMetrics

    @property
    def plot(self) -> Optional[Path]:
        plot = self.path / PLOT_FILE
        return plot if plot.is_file() else None


@dataclass(frozen=True)
class AdapterFolder:
    """A saved LoRA adapter: its config, the optional rlemp training summary and the files to upload."""

    path: Path
    config: dict[str, Any]
    training: dict[str, Any]
    files: list[str]  # the allowlisted files present, adapter files first


@dataclass(frozen=True)
class PublishResult:
    """What ``publish_adapter`` uploaded (or, in a dry run, wrote)."""

    repo_id: str
    files: list[str]
    folder: Optional[Path] = None  # the dry-run folder; None after a real push
    commit_url: Optional[str] = None  # None in a dry run


def check_repo_id(repo_id: str) -> str:
    """The repo id if it is a valid ``OWNER/NAME`` model id, else a one-line RlempError."""
    from huggingface_hub.errors import HFValidationError
    from huggingface_hub.utils import validate_repo_id

    try:
        validate_repo_id(repo_id)
    except HFValidationError as exc:
        raise RlempError(f"bad repo id {repo_id!r}: {first_line(exc)}") from None
    if repo_id.count("/") != 1:
        raise RlempError(f"bad repo id {repo_id!r}: expected OWNER/NAME, e.g. my-user/qwen2.5-0.5b-rlemp-grpo")
    return repo_id


def hub_token() -> str:
    """The token of ``hf auth login`` or ``HF_TOKEN``; a one-line RlempError when there is none."""
    from huggingface_hub import get_token

    token = get_token()
    if not token:
        raise RlempError(NO_TOKEN_MESSAGE)
    return token


def is_hub_id(name: str) -> bool:
    """Whether a model reference looks like a Hub id rather than a local path (an existing folder such as
    ``outputs/tiny-model`` is local even though its name would be a valid Hub id)."""
    from huggingface_hub.errors import HFValidationError
    from huggingface_hub.utils import validate_repo_id

    if name.startswith((".", "~")) or Path(name).is_absolute() or Path(name).exists():
        return False
    try:
        validate_repo_id(name)
    except HFValidationError:
        return False
    return True


def read_json_object(path: Path) -> dict[str, Any]:
    """A JSON file that must hold one object; InputError otherwise."""
    data = read_json(path)
    if not isinstance(data, dict):
        raise InputError(path, None, None, "expected a JSON object")
    return data


def read_adapter(adapter_dir: str | Path) -> AdapterFolder:
    """Check an adapter folder with :func:`rlemp.loading.check_adapter`, which opens the weights: a dry run must
    not package a broken adapter."""
    path = Path(adapter_dir)
    config = check_adapter(path)
    training = read_json_object(path / TRAINING_FILE) if (path / TRAINING_FILE).is_file() else {}
    if (path / RECIPE_FILE).is_file():  # published beside the adapter and linked from the card: it must parse
        read_mapping(path / RECIPE_FILE, "recipe")
    optional = (*TOKENIZER_FILES, RECIPE_FILE, TRAINING_FILE)
    files = [*ADAPTER_FILES, *(name for name in optional if (path / name).is_file())]
    return AdapterFolder(path=path, config=config, training=training, files=files)


def read_evaluation(eval_dir: str | Path) -> Evaluation:
    """An ``rlemp eval`` folder; InputError naming the field when its metrics.json is incomplete."""
    return Evaluation(path=Path(eval_dir), metrics=read_metrics(eval_dir))


def check_comparable(before: Evaluation, after: Evaluation) -> None:
    """Refuse a before/after table across evaluations whose scores are on different scales (the required fields
    of :data:`rlemp.evaluation.SETUP_FIELDS`); log the other differences."""
    differences = setup_differences(before.metrics, after.metrics)
    for d in differences:
        if d.required:
            raise RlempError(
                f"the two evaluations differ in {d.field} ({d.a!r} in {before.path}, {d.b!r} in {after.path}); "
                "a before/after table needs the same personas and simulator"
            )
    for d in differences:
        log.warning("the before and after evaluations differ: %s", d)


def resolve_base_model(adapter: AdapterFolder, base_model: Optional[str]) -> str:
    """The base model to name on the Hub (see the module docstring for the order)."""
    if base_model:
        return base_model
    recorded = [ref for ref in (adapter.config.get("base_model_name_or_path"), adapter.training.get("base_model"))
                if isinstance(ref, str) and ref]
    if not recorded:
        raise InputError(adapter.path / "adapter_config.json", None, "base_model_name_or_path",
                         "no base model recorded; pass --base-model with the base model's Hub id")
    return next((ref for ref in recorded if is_hub_id(ref)), recorded[0])


def format_value(value: Any) -> str:
    """A training-summary value as one table cell."""
    if isinstance(value, dict):
        text = ", ".join(f"{key} {val}" for key, val in value.items())
    elif isinstance(value, (list, tuple)):
        text = ", ".join(map(str, value))
    else:
        text = str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def training_rows(training: dict[str, Any]) -> list[tuple[str, str]]:
    """The recipe summary table: the known keys first, then any other setting the trainer recorded."""
    labels = {"rewards": "rewards (weight)", "judge": "judge (weight)"}
    keys = [k for k in TRAINING_SUMMARY_KEYS if k in training]
    keys += [k for k in training if k not in TRAINING_SUMMARY_KEYS and k not in CARD_METADATA_KEYS]
    return [(labels.get(key, key), format_value(training[key])) for key in keys]


def evaluation_table(evals: Sequence[Evaluation]) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the evaluation table: one column per evaluation, plus the change for two."""
    after = evals[-1].metrics
    if len(evals) == 1:
        header = ["metric", "this adapter"]
        rows = [[label, fmt.format(getattr(after, key))] for key, label, fmt in EVAL_METRICS]
        return header, rows
    before = evals[0].metrics
    header = ["metric", f"before (`{before.model}`)", "after (this adapter)", "change"]
    rows = []
    for key, label, fmt in EVAL_METRICS:
        old, new = getattr(before, key), getattr(after, key)
        rows.append([label, fmt.format(old), fmt.format(new), fmt.replace("{:", "{:+").format(new - old)])
    return header, rows


def eval_results(evaluation: Evaluation, model_name: str):
    """The model-index entries (one per metric) of an evaluation, for the card's metadata."""
    from huggingface_hub import EvalResult

    metrics = evaluation.metrics
    dataset_args = {
        "n_personas": metrics.n_personas,
        "simulator": metrics.simulator.backend,
        "simulator_version": metrics.simulator.version,
        "simulator_config_hash": metrics.simulator.config_hash,
        "seed": metrics.seed,
        "max_turns": metrics.max_turns,
    }
    return [
        EvalResult(
            task_type="text-generation",
            task_name="Emotional support with simulated users",
            dataset_type="rlemp-personas",
            dataset_name=Path(metrics.personas).name,
            dataset_args=dataset_args,
            metric_type=key,
            metric_name=label,
            metric_value=getattr(metrics, key),
        )
        for key, label, _ in EVAL_METRICS
    ]


def build_model_card(
    adapter: AdapterFolder,
    repo_id: str,
    base_model: str,
    evals: Sequence[Evaluation] = (),
    revision: Optional[str] = None,
    license: Optional[str] = None,
):
    """The ``huggingface_hub.ModelCard`` of an adapter: metadata with a model-index, recipe, evaluation, usage."""
    from huggingface_hub import ModelCard, ModelCardData

    training = adapter.training
    algorithm = training.get("algorithm")
    model_name = repo_id.split("/")[-1]
    datasets = training.get("datasets") or []
    datasets = [d for d in ([datasets] if isinstance(datasets, str) else datasets) if is_hub_id(str(d))]
    tags = ["rlemp", "trl", "peft", "lora", *([str(algorithm).lower()] if algorithm else [])]
    card_data = ModelCardData(
        base_model=base_model if is_hub_id(base_model) else None,
        library_name="peft",
        pipeline_tag="text-generation",
        license=license or training.get("license") or DEFAULT_LICENSE,
        tags=tags,
        datasets=datasets or None,
        model_name=model_name if evals else None,  # the model-index needs it; alone it is noise
        eval_results=eval_results(evals[-1], model_name) if evals else None,
    )
    header, rows = evaluation_table(evals) if evals else ([], [])
    return ModelCard.from_template(
        card_data,
        template_path=str(CARD_TEMPLATE),
        model_name=model_name,
        repo_id=repo_id,
        revision_arg=f', revision="{revision}"' if revision else "",
        base_model_label=base_model,
        base_model_note="" if is_hub_id(base_model) else "  # a local folder: the base model is not on the Hub",
        base_model_link=(f"[{base_model}](https://huggingface.co/{base_model})" if is_hub_id(base_model)
                         else f"`{base_model}`"),
        algorithm=algorithm,
        training_rows=training_rows(training),
        has_recipe=RECIPE_FILE in adapter.files,
        eval_header=header,
        eval_rows=rows,
        after=evals[-1].metrics if evals else None,
        personas_name=Path(evals[-1].metrics.personas).name if evals else None,
        plot_file=PLOT_FILE if evals and evals[-1].plot else None,
    )


def plan_upload(
    adapter: AdapterFolder,
    repo_id: str,
    evals: Sequence[Evaluation] = (),
    revision: Optional[str] = None,
    base_model: Optional[str] = None,
    license: Optional[str] = None,
    allow_local_base: bool = False,
) -> dict[str, Path | bytes]:
    """Every file of the upload: name -> file to copy, or generated bytes. Logs what the upload lacks. A base
    model that is a local path is refused (nobody else could load the adapter from the card) unless
    ``allow_local_base`` says it is meant."""
    base = resolve_base_model(adapter, base_model)
    if not is_hub_id(base):
        if not allow_local_base:
            raise RlempError(
                f"the base model {base!r} is a local path, not a Hugging Face Hub id, so the model card could not "
                "say which model to load this adapter on: pass --base-model OWNER/NAME (the Hub model the local "
                "copy came from), or --allow-local-base to publish with a card that names the local path")
        log.warning("base model %r is a local path, not a Hub id: the card's metadata leaves it out and its "
                    "snippet loads the local path", base)
    plan: dict[str, Path | bytes] = {name: adapter.path / name for name in adapter.files}
    if adapter.config.get("base_model_name_or_path") != base:
        config = {**adapter.config, "base_model_name_or_path": base}
        plan["adapter_config.json"] = (json.dumps(config, indent=2, sort_keys=True) + "\n").encode()
    if not any(name in plan for name in TOKENIZER_FILES):
        log.warning("%s has no tokenizer files: the upload has no tokenizer or chat template", adapter.path)
    if evals and evals[-1].plot:
        plan[PLOT_FILE] = evals[-1].plot
    card = build_model_card(adapter, repo_id, base, evals, revision=revision, license=license)
    plan[CARD_FILE] = str(card).encode()
    return plan


def refuse_token(plan: dict[str, Path | bytes], token: str) -> None:
    """A RlempError if any file of the upload contains the token, so it can never be published."""
    needle = token.encode()
    for name, source in plan.items():
        data = source if isinstance(source, bytes) else source.read_bytes()
        if needle in data:
            where = name if isinstance(source, bytes) else str(source)
            raise RlempError(f"refusing to upload: {where} contains your Hugging Face token; remove it first")


def write_plan(plan: dict[str, Path | bytes], folder: Path) -> list[str]:
    """Write the upload into a folder; the names written, sorted."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, source in plan.items():
        if isinstance(source, bytes):
            (folder / name).write_bytes(source)
        else:
            shutil.copyfile(source, folder / name)
    return sorted(plan)


def publish_adapter(
    adapter_dir: str | Path,
    repo_id: str,
    evals: Sequence[str | Path] = (),
    private: bool = False,
    revision: Optional[str] = None,
    dry_run_dir: Optional[str | Path] = None,
    api=None,
    base_model: Optional[str] = None,
    license: Optional[str] = None,
    allow_local_base: bool = False,
) -> PublishResult:
    """Upload an adapter with its tokenizer, recipe and a generated model card to ``repo_id``.

    ``evals`` are one or two ``rlemp eval`` folders (before, after). With ``dry_run_dir`` the upload is
    written there and nothing is contacted. ``api`` is an ``huggingface_hub.HfApi`` (default: a new one).
    A base model that is a local path is refused unless ``allow_local_base`` (see :func:`plan_upload`).
    """
    check_repo_id(repo_id)
    if len(evals) > 2:
        raise RlempError(f"give at most two evaluations (before and after), got {len(evals)}")
    folder = Path(dry_run_dir) if dry_run_dir is not None else None
    if folder is not None and folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise RlempError(f"{folder}: the dry-run folder must be new or empty")
    token = None if folder is not None else hub_token()
    adapter = read_adapter(adapter_dir)
    evaluations = [read_evaluation(path) for path in evals]
    if len(evaluations) == 2:
        check_comparable(*evaluations)
    plan = plan_upload(adapter, repo_id, evaluations, revision=revision, base_model=base_model, license=license,
                       allow_local_base=allow_local_base)

    if folder is not None:
        files = write_plan(plan, folder)
        log.info("dry run: wrote %d files for %s to %s", len(files), repo_id, folder)
        return PublishResult(repo_id=repo_id, files=files, folder=folder)

    refuse_token(plan, token)
    if api is None:
        from huggingface_hub import HfApi

        api = HfApi()
    with tempfile.TemporaryDirectory(prefix="rlemp-push-") as staging:
        files = write_plan(plan, Path(staging))
        try:
            api.create_repo(repo_id, token=token, private=private, exist_ok=True, repo_type="model")
            if revision:
                api.create_branch(repo_id, branch=revision, token=token, exist_ok=True, repo_type="model")
            commit = api.upload_folder(
                repo_id=repo_id,
                folder_path=staging,
                revision=revision,
                token=token,
                repo_type="model",
                commit_message=f"Upload rlemp adapter ({adapter.training.get('algorithm', 'LoRA')})",
            )
        except OSError as exc:  # HfHubHTTPError and OfflineModeIsEnabled are OSErrors
            raise RlempError(f"Hugging Face Hub push to {repo_id} failed: {first_line(exc)}") from None
    log.info("pushed %d files to %s", len(files), repo_id)
    return PublishResult(repo_id=repo_id, files=files, commit_url=str(commit.commit_url))


def merge_adapter(adapter_dir: str | Path, out_dir: str | Path, base_model: Optional[str] = None) -> Path:
    """Merge a LoRA adapter into its base model (peft ``merge_and_unload``) and save model + tokenizer.

    The base is ``base_model`` if given, else the adapter's ``base_model_name_or_path``. The tokenizer
    comes from the adapter folder when it has one (it carries the chat template), else from the base.
    The recipe and training summary are copied along so the merged model keeps its provenance.
    """
    adapter = read_adapter(adapter_dir)
    base = base_model or adapter.config.get("base_model_name_or_path")
    if not base:
        raise InputError(adapter.path / "adapter_config.json", None, "base_model_name_or_path",
                         "no base model recorded; pass --base-model")
    out = Path(out_dir)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise RlempError(f"{out}: the output folder must be new or empty")

    has_tokenizer = any(name in adapter.files for name in TOKENIZER_FILES)
    model, tokenizer = load_model(base, adapter=adapter.path, tokenizer_from=adapter.path if has_tokenizer else None,
                                  what="base model", chat_template=False)
    merged = model.merge_and_unload()
    merged.save_pretrained(out)
    tokenizer.save_pretrained(out)
    for name in (RECIPE_FILE, TRAINING_FILE):
        if name in adapter.files:
            shutil.copyfile(adapter.path / name, out / name)
    log.info("merged %s into %s and saved it to %s", adapter.path, base, out)
    return out


def first_line(exc: BaseException) -> str:
    """An exception's message cut to its first non-empty line, for one-line errors."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__
