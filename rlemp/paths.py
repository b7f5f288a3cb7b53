"""Where the project's shipped files live: each is named here once, as an absolute path.

rlemp is installed editable from a checkout (as open-r1 is), so the data folder ``data/`` and ``recipes/`` sit
next to the package rather than inside a wheel. Recipes are YAML and spell their persona paths relative to the
checkout's root; :func:`resolve_data_path` finds those from any working directory.
"""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_ROOT / "data"
RECIPES_DIR = REPO_ROOT / "recipes"

TRAIN_PERSONAS = DATA_DIR / "personas" / "train.jsonl"
EVAL_PERSONAS = DATA_DIR / "personas" / "eval.jsonl"
REPLY_BANK = DATA_DIR / "corpus" / "reply_bank.jsonl"
SUPPORTER_CORPUS = DATA_DIR / "corpus" / "supporter_replies.jsonl"
FOLLOWUPS_DIR = DATA_DIR / "followups"  # positive.txt, negative.txt
PROMPTS_DIR = DATA_DIR / "prompts"
ATTACKS_DIR = DATA_DIR / "attacks"  # <class>/<name>.json
FLUENCY_MODEL = DATA_DIR / "fluency" / "goemotions_trigram.json.gz"  # `rlemp build-fluency-model`

TINY_GRPO_RECIPE = RECIPES_DIR / "tiny" / "grpo.yaml"
SMOLLM2_GRPO_RECIPE = RECIPES_DIR / "SmolLM2-135M-Instruct" / "grpo.yaml"


def in_checkout(path: Path) -> str:
    """A shipped path as written in recipes and help texts: relative to the checkout's root."""
    return path.relative_to(REPO_ROOT).as_posix()


def _exists(path: Path) -> bool:
    """``path.exists()``, False for a path the system cannot even look up (a name too long for it)."""
    try:
        return path.exists()
    except OSError:
        return False


def resolve_data_path(path: str | Path) -> Path:
    """A relative path as given if it exists from the working directory, else from the checkout's root."""
    path = Path(path)
    if path.is_absolute() or _exists(path) or not _exists(REPO_ROOT / path):
        return path
    return REPO_ROOT / path
