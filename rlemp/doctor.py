"""``rlemp doctor``: what this machine offers for training, whether a recipe's model and simulator are reachable,
whether an accelerate config is valid, and what to fix.

Every finding is a :class:`Check` (``ok``, ``warn`` or ``fail``, one line, plus a fix when there is one).
Decisions:

* Package versions are read from the installed distributions' metadata (nothing heavy is imported, so a broken
  ``deepspeed`` or ``vllm`` install cannot crash the doctor) and compared with rlemp's own requirements.
* Reachability is checked cheaply: a local model folder must hold ``config.json``; a Hub id is looked up with
  ``huggingface_hub`` (only in the local cache when ``HF_HUB_OFFLINE`` is set); the ``openai`` simulator gets one
  ``GET {base_url}/models`` with its key (free, unlike a completion; a 404 still proves the server answers).
* Secrets are never printed: only whether a Hub token or an API key is set.
* ``rlemp doctor`` exits 1 when any check fails, 0 otherwise (warnings included), so scripts can gate on it.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import os
import platform
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Optional

from rlemp.errors import InputError, RlempError, printable
from rlemp.files import read_mapping

Status = Literal["ok", "warn", "fail"]

PACKAGES = ("torch", "transformers", "trl", "peft", "accelerate", "deepspeed", "bitsandbytes", "vllm", "datasets",
            "huggingface_hub")
OPTIONAL_PACKAGES = {"vllm": "needed for use_vllm: true; pip install 'rlemp[vllm]'"}


@dataclass(frozen=True)
class Check:
    """One finding: where it belongs, what was checked, the outcome in one line, and how to fix it."""

    section: str
    name: str
    status: Status
    detail: str
    fix: str = ""


# --- environment -----------------------------------------------------------------------------------------------


def requirements() -> dict[str, Any]:
    """rlemp's own requirements by normalised name (``packaging`` requirement objects, extras left out)."""
    from packaging.requirements import Requirement

    found = {}
    for line in importlib.metadata.requires("rlemp") or []:
        req = Requirement(line)
        if req.marker is None:
            found[req.name.lower().replace("_", "-")] = req
    return found


def package_checks() -> list[Check]:
    """The installed version of each training package against rlemp's requirement for it."""
    required = requirements()
    checks = []
    for name in PACKAGES:
        req = required.get(name.replace("_", "-"))
        try:
            version = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            if name in OPTIONAL_PACKAGES:
                checks.append(Check("packages", name, "ok", f"not installed (optional: {OPTIONAL_PACKAGES[name]})"))
            else:
                checks.append(Check("packages", name, "fail", "not installed", f"pip install '{req or name}'"))
            continue
        if req is not None and not req.specifier.contains(version, prereleases=True):
            checks.append(Check("packages", name, "fail", f"{version} does not satisfy {req}", f"pip install '{req}'"))
        else:
            checks.append(Check("packages", name, "ok", version))
    return checks


def hardware_checks() -> list[Check]:
    """Python, CPU, memory and GPUs (through torch)."""
    checks = [Check("system", "python", "ok", f"{platform.python_version()} on {platform.platform(terse=True)}")]
    memory = ""
    if hasattr(os, "sysconf") and "SC_PHYS_PAGES" in os.sysconf_names:
        memory = f", {os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB memory"
    checks.append(Check("system", "cpu", "ok", f"{os.cpu_count()} cores ({platform.machine()}){memory}"))
    try:
        import torch
    except ImportError:
        return checks + [Check("system", "gpu", "fail", "torch is not installed", "pip install torch")]
    if not torch.cuda.is_available():
        return checks + [Check("system", "gpu", "warn", "no CUDA GPU: training runs on the CPU (use_cpu: true)",
                               "fine for recipes/tiny; the larger recipes need GPUs")]
    for i in range(torch.cuda.device_count()):
        props = torch.cuda.get_device_properties(i)
        checks.append(Check("system", f"gpu {i}", "ok", f"{props.name}, {props.total_memory / 2**30:.0f} GiB"))
    bf16 = "bf16 supported" if torch.cuda.is_bf16_supported() else "no bf16: set bf16: false, fp16: true"
    checks.append(Check("system", "cuda", "ok", f"CUDA {torch.version.cuda}; {bf16}"))
    return checks


def token_checks() -> list[Check]:
    """Whether a Hub token is available (never its value)."""
    from huggingface_hub import get_token

    if get_token():
        return [Check("hub", "token", "ok", "a Hugging Face token is set")]
    return [Check("hub", "token", "warn", "no Hugging Face token",
                  "for push_to_hub or gated models: hf auth login, or set HF_TOKEN")]


# --- a recipe's model and simulator ----------------------------------------------------------------------------


def model_check(name_or_path: str, what: str = "model", timeout: float = 5.0) -> Check:
    """A local folder must hold config.json; a registry short name must be pulled; a Hub id must be in the local
    cache (offline) or on the Hub."""
    from rlemp.models import REGISTRY, is_pulled, models_dir

    path = Path(name_or_path)
    entry = REGISTRY.get(name_or_path.lower())
    if entry is not None and not path.exists():
        folder = models_dir() / entry.name
        if is_pulled(folder, entry):
            return Check("recipe", what, "ok", f"{name_or_path} (pulled in {folder})")
        return Check("recipe", what, "fail", f"{name_or_path}: not pulled yet", f"rlemp models pull {entry.name}")
    if path.exists():
        if (path / "config.json").is_file():
            return Check("recipe", what, "ok", f"{name_or_path} (local folder)")
        return Check("recipe", what, "fail", f"{name_or_path}: no config.json in this folder",
                     "point model_name_or_path at a saved model folder or a Hub id")
    if name_or_path.startswith((".", "/", "~")) or name_or_path.count("/") > 1:
        return Check("recipe", what, "fail", f"{name_or_path}: no such folder",
                     "build it (rlemp tiny-model --out ...) or fix the path")
    from huggingface_hub import constants, try_to_load_from_cache

    if constants.HF_HUB_OFFLINE:
        if isinstance(try_to_load_from_cache(name_or_path, "config.json"), str):
            return Check("recipe", what, "ok", f"{name_or_path} (local Hub cache; HF_HUB_OFFLINE is set)")
        return Check("recipe", what, "fail", f"{name_or_path}: not in the local Hub cache and HF_HUB_OFFLINE is set",
                     "download it once with network access, or unset HF_HUB_OFFLINE")
    from huggingface_hub import HfApi
    from huggingface_hub.errors import GatedRepoError, HFValidationError, RepositoryNotFoundError

    try:
        HfApi().model_info(name_or_path, timeout=timeout)
    except HFValidationError:
        return Check("recipe", what, "fail", f"{name_or_path}: neither a local folder nor a valid Hub id",
                     "fix model_name_or_path")
    except GatedRepoError:
        return Check("recipe", what, "fail", f"{name_or_path}: gated on the Hub",
                     "accept its license on huggingface.co, then hf auth login")
    except RepositoryNotFoundError:
        return Check("recipe", what, "fail", f"{name_or_path}: no such model on the Hub (or private)",
                     "check the id, or hf auth login for a private model")
    except Exception as exc:  # noqa: BLE001 - the client under huggingface_hub (httpx, httpx2...) varies by version;
        # whatever failed, the finding is the same: the Hub cannot be reached from here
        return Check("recipe", what, "fail", f"{name_or_path}: cannot reach the Hub ({type(exc).__name__})",
                     "check the network, or use a local folder / HF_HUB_OFFLINE=1 with a cached model")
    return Check("recipe", what, "ok", f"{name_or_path} (on the Hub)")


def simulator_check(backend: str, config: dict[str, Any], timeout: float = 5.0) -> Check:
    """Whether the recipe's simulator can be built and, for ``hf``/``openai``, its model or endpoint reached."""
    from pydantic import ValidationError

    from rlemp.errors import first_validation_error
    from rlemp.simulators import build_simulator, simulator_class

    fix = "fix simulator_backend / simulator_config"
    try:
        # the config alone: building an hf simulator would load its whole model
        parsed = simulator_class(backend).config_class.model_validate(config)
        simulator = build_simulator(backend, config) if backend == "openai" else None
    except RlempError as exc:
        return Check("recipe", "simulator", "fail", str(exc), fix)
    except ValidationError as exc:
        field, message = first_validation_error(exc)
        return Check("recipe", "simulator", "fail", f"simulator '{backend}' config field '{field}': {message}", fix)
    if backend == "hf":
        found = model_check(parsed.model, "simulator", timeout)
        return dataclasses.replace(found, detail=f"hf model {found.detail}")
    if simulator is None:
        return Check("recipe", "simulator", "ok", f"{backend} (offline)")
    return openai_check(simulator, timeout)


def openai_check(simulator, timeout: float) -> Check:
    import httpx

    c = simulator.config
    headers = simulator._headers()  # the Authorization header from the key's environment variable, if set
    key_note = f"${c.api_key_env} is set" if headers else f"${c.api_key_env} is not set"
    if not headers and "api.openai.com" in c.base_url:
        return Check("recipe", "simulator", "fail", f"openai at {c.base_url}: {key_note}",
                     f"export {c.api_key_env}=... (the key is read from the environment only)")
    try:
        response = httpx.get(f"{c.base_url}/models", headers=headers, timeout=timeout)
    except httpx.HTTPError as exc:
        return Check("recipe", "simulator", "fail", f"openai at {c.base_url}: unreachable ({type(exc).__name__})",
                     "start the server or fix simulator_config.base_url")
    where = f"openai at {c.base_url} ({key_note})"
    if response.status_code in (401, 403):
        return Check("recipe", "simulator", "fail", f"{where}: the key was rejected (HTTP {response.status_code})",
                     f"set a valid key in ${c.api_key_env}")
    if response.status_code == 404:
        return Check("recipe", "simulator", "ok", f"{where}: reachable (no /models list)")
    if response.status_code != 200:
        return Check("recipe", "simulator", "warn", f"{where}: GET /models answered HTTP {response.status_code}")
    try:
        served = {m["id"] for m in response.json()["data"]}
    except (ValueError, KeyError, TypeError):
        return Check("recipe", "simulator", "ok", f"{where}: reachable")
    if c.model not in served:
        return Check("recipe", "simulator", "warn", f"{where}: model {c.model!r} is not among the {len(served)} served",
                     "fix simulator_config.model")
    return Check("recipe", "simulator", "ok", f"{where}: serves {c.model!r}")


def recipe_checks(recipe: str | Path, timeout: float = 5.0) -> list[Check]:
    """The recipe parses (with the checks of its rewards, curriculum and resume path that train makes); its
    model, personas and simulator are there; the packages it needs are installed."""
    from rlemp.configs import check_resume, parse_recipe
    from rlemp.personas import load_personas
    from rlemp.simulators import build_simulator

    try:
        args, training_args, model_args = parse_recipe(["--config", str(recipe)])
        check_resume(args, training_args, str(recipe))
    except RlempError as exc:
        return [Check("recipe", "parse", "fail", str(exc), "fix the recipe")]
    checks = [Check("recipe", "parse", "ok", f"{recipe}: {args.algorithm}, output_dir {training_args.output_dir}")]
    checks.append(model_check(model_args.model_name_or_path, "model", timeout))
    # the rule simulator is cheap to build and refuses personas it cannot play (an hf one would load its model)
    player = build_simulator("rule", args.simulator_config) if args.simulator_backend == "rule" else None
    for name in ("personas", "eval_personas"):
        path = getattr(args, name)
        if not path:
            continue
        try:
            checks.append(Check("recipe", name, "ok", f"{path}: {len(load_personas(path, player))} personas"))
        except RlempError as exc:
            checks.append(Check("recipe", name, "fail", str(exc), f"fix {name} in the recipe"))
    checks.append(simulator_check(args.simulator_backend, args.simulator_config or {}, timeout))
    needs = {"bitsandbytes": model_args.load_in_4bit or model_args.load_in_8bit,
             "vllm": getattr(training_args, "use_vllm", False)}
    for package, needed in needs.items():
        if needed and not _installed(package):
            checks.append(Check("recipe", package, "fail", f"the recipe needs {package}, which is not installed",
                                f"pip install {package}"))
    return checks


def _installed(package: str) -> bool:
    try:
        importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


# --- accelerate configs ----------------------------------------------------------------------------------------

LEGACY_ACCELERATE_KEYS = {"fp16", "dynamo_backend"}  # still read by accelerate, converted on load
# ClusterConfig's field annotations -> the YAML type each must have
SIMPLE_FIELD_TYPES = {int: int, bool: bool, str: str, Optional[int]: int, Optional[bool]: bool, Optional[str]: str,
                      Optional[dict]: dict, list[str]: list}
DEEPSPEED_OFFLOAD = ("none", "cpu", "nvme")


def accelerate_config_errors(path: str | Path) -> list[str]:
    """The problems of an ``accelerate launch --config_file`` YAML, one line each (empty: valid). Checks known
    keys, ``compute_environment``/``distributed_type``/``mixed_precision`` values, the types of the simple
    fields, process counts, DeepSpeed's ``zero_stage`` and offload devices, then lets accelerate build it."""
    from accelerate.commands.config.config_args import ClusterConfig
    from accelerate.utils import ComputeEnvironment, DistributedType, PrecisionType

    path = Path(path)
    try:
        data = read_mapping(path, "accelerate config")
    except InputError as exc:
        return [str(exc)]
    fields = {f.name: f for f in dataclasses.fields(ClusterConfig)}
    errors = []
    for key in data:
        if key not in fields and key not in LEGACY_ACCELERATE_KEYS:
            errors.append(f"{path}: unknown field '{printable(str(key))}'{_did_you_mean(str(key), fields)}")
    choices = {"compute_environment": [e.value for e in ComputeEnvironment],
               "distributed_type": [e.value for e in DistributedType],
               "mixed_precision": [e.value for e in PrecisionType]}
    if "distributed_type" not in data:
        errors.append(f"{path}: field 'distributed_type' is required (one of {', '.join(choices['distributed_type'])})")
    if data.get("compute_environment", "LOCAL_MACHINE") != "LOCAL_MACHINE":
        return errors  # SageMaker configs have their own fields; accelerate checks them
    for key, allowed in choices.items():
        if key in data and data[key] not in allowed:
            hint = " (YAML reads an unquoted NO as false: write 'NO')" if isinstance(data[key], bool) else ""
            errors.append(f"{path}: field '{key}': expected one of {', '.join(allowed)}, got {data[key]!r}{hint}")
    for key, value in data.items():
        expected = SIMPLE_FIELD_TYPES.get(fields[key].type) if key in fields else None
        if expected is not None and value is not None and not _is_type(value, expected):
            errors.append(f"{path}: field '{key}': expected {expected.__name__}, got {value!r}")
    errors += _count_errors(path, data)
    errors += _deepspeed_errors(path, data)
    if not errors:
        try:
            ClusterConfig(**ClusterConfig.process_config(dict(data)))
        except (ValueError, TypeError) as exc:
            errors.append(f"{path}: {str(exc).splitlines()[0]}")
    return errors


def _is_type(value: Any, expected: type) -> bool:
    if expected is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, expected)


def _did_you_mean(key: str, known) -> str:
    import difflib

    close = difflib.get_close_matches(key, list(known), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _count_errors(path: Path, data: dict[str, Any]) -> list[str]:
    errors = []
    for key, least in (("num_processes", 1), ("num_machines", 1), ("machine_rank", 0), ("main_process_port", 1)):
        value = data.get(key)
        if _is_type(value, int) and value < least:
            errors.append(f"{path}: field '{key}': must be >= {least}, got {value}")
    machines, rank = data.get("num_machines", 1), data.get("machine_rank", 0)
    if _is_type(machines, int) and _is_type(rank, int) and machines >= 1 and rank >= machines:
        errors.append(f"{path}: field 'machine_rank': must be below num_machines ({machines}), got {rank}")
    return errors


def _deepspeed_errors(path: Path, data: dict[str, Any]) -> list[str]:
    ds = data.get("deepspeed_config")
    if data.get("distributed_type") == "DEEPSPEED" and not _installed("deepspeed"):
        return [f"{path}: distributed_type DEEPSPEED needs deepspeed, which is not installed"]
    if not isinstance(ds, dict):
        return []
    errors = []
    if "zero_stage" in ds and ds["zero_stage"] not in (0, 1, 2, 3):
        errors.append(f"{path}: field 'deepspeed_config.zero_stage': expected 0, 1, 2 or 3, got {ds['zero_stage']!r}")
    for key in ("offload_optimizer_device", "offload_param_device"):
        if key in ds and ds[key] not in DEEPSPEED_OFFLOAD:
            errors.append(f"{path}: field 'deepspeed_config.{key}': expected one of {', '.join(DEEPSPEED_OFFLOAD)}, "
                          f"got {ds[key]!r}")
    config_file = ds.get("deepspeed_config_file")
    if config_file is not None and not isinstance(config_file, str):
        errors.append(f"{path}: field 'deepspeed_config.deepspeed_config_file': expected a path, got {config_file!r}")
    elif config_file and not (path.parent / config_file).is_file() and not Path(config_file).is_file():
        errors.append(f"{path}: field 'deepspeed_config.deepspeed_config_file': {printable(config_file)} does not "
                      "exist")
    return errors


def accelerate_checks(path: str | Path) -> list[Check]:
    errors = accelerate_config_errors(path)
    if not errors:
        return [Check("accelerate", "config", "ok", f"{path} is valid")]
    return [Check("accelerate", "config", "fail", error, "fix the accelerate config") for error in errors]


# --- everything ------------------------------------------------------------------------------------------------


def run_doctor(recipe: Optional[str | Path] = None, accelerate_config: Optional[str | Path] = None,
               timeout: float = 5.0) -> list[Check]:
    """Every check: packages, system, Hub token, then the recipe and accelerate config when given."""
    checks = package_checks() + hardware_checks() + token_checks()
    if recipe is not None:
        checks += recipe_checks(recipe, timeout)
    if accelerate_config is not None:
        checks += accelerate_checks(accelerate_config)
    return checks
