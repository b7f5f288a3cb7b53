"""Where the project's data lives. rlemp is installed editable from a checkout (as open-r1 is), so the data
folders (``simulators/``, ``recipes/``) sit next to the package."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_ROOT / "simulators"


def resolve_data_path(path: str | Path) -> Path:
    """A relative path as given if it exists from the working directory, else from the checkout's root."""
    path = Path(path)
    if path.is_absolute() or path.exists() or not (REPO_ROOT / path).exists():
        return path
    return REPO_ROOT / path
