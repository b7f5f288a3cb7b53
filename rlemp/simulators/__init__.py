"""Simulated affective users: one interface (:class:`UserSimulator`), several backends.

``rule`` is the offline deterministic default; ``hf`` (a local transformers model) and ``openai`` (any
OpenAI-compatible endpoint) play the user SAGE-style with one shared prompt set and parser; ``remote`` is a
client of ``rlemp serve`` running any of them elsewhere.
"""

from __future__ import annotations

from typing import Any

from rlemp.errors import RlempError
from rlemp.simulators.base import Reaction, SimulatorConfig, SimulatorError, UserSimulator, apply_reaction, band

BACKENDS = ("rule", "hf", "openai", "remote")


def simulator_class(backend: str) -> type[UserSimulator]:
    if backend == "rule":
        from rlemp.simulators.rule import RuleSimulator

        return RuleSimulator
    if backend == "hf":
        from rlemp.simulators.hf import HFSimulator

        return HFSimulator
    if backend == "openai":
        from rlemp.simulators.openai import OpenAISimulator

        return OpenAISimulator
    if backend == "remote":
        from rlemp.simulators.remote import RemoteSimulator

        return RemoteSimulator
    raise RlempError(f"unknown simulator backend {backend!r}; choose one of {', '.join(BACKENDS)}")


def build_simulator(backend: str, config: dict[str, Any] | None = None) -> UserSimulator:
    """Build a backend from its name and config dict (as recorded in a transcript header)."""
    from pydantic import ValidationError

    from rlemp.errors import first_validation_error

    cls = simulator_class(backend)
    try:
        return cls(config or {})
    except ValidationError as exc:
        field, message = first_validation_error(exc)
        raise RlempError(f"simulator '{backend}' config field '{field}': {message}") from None


__all__ = ["BACKENDS", "Reaction", "SimulatorConfig", "SimulatorError", "UserSimulator", "apply_reaction", "band", "build_simulator"]
