"""The versions a run depends on (python, torch, transformers, trl, peft, rlemp), read from the installed
distributions' metadata without importing them, for ``rlemp --version`` and the records of the demo: a figure
is reproducible only with the versions that made it (see ``constraints.txt``)."""

from __future__ import annotations

import importlib.metadata
import platform

PACKAGES = ("torch", "transformers", "trl", "peft", "rlemp")


def package_versions() -> dict[str, str]:
    """``{"python": "3.11.7", "torch": "2.13.0+cpu", ...}``; ``"not installed"`` for a missing package."""
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def versions_line(versions: dict[str, str] | None = None) -> str:
    """One line: ``python 3.11.7, torch 2.13.0+cpu, transformers 5.24.0, trl 1.16.0, peft 0.21.2, rlemp 0.1.0``."""
    return ", ".join(f"{name} {version}" for name, version in (versions or package_versions()).items())
