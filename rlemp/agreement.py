"""Agreement of any per-dialogue or per-turn score with real help-seekers' own ratings.

Spearman correlations with seeded bootstrap intervals; turns of one dialogue are resampled together as a
cluster, because they are not independent and resampling them one by one gives intervals that are too narrow.
``None`` where a correlation is undefined. Details: ``docs/simulator-checks.md``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Iterable, Mapping, Optional, Sequence

import numpy as np
from scipy.stats import spearmanr

from rlemp.errors import RlempError
from rlemp.esconv import STRATEGIES, EsconvDialogue

SURVEY_TARGETS = ("empathy", "relevance", "emotion_intensity_drop")
DEFAULT_RESAMPLES = 1000
MIN_PAIRS = 3


@dataclass(frozen=True)
class Correlation:
    """Spearman's rho over ``n`` pairs with its bootstrap interval; ``None`` where undefined."""

    rho: Optional[float]
    low: Optional[float]
    high: Optional[float]
    n: int
    p_value: Optional[float] = None

    def as_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        if self.rho is None:
            return f"n/a (n={self.n})"
        interval = f" [{self.low:+.2f}, {self.high:+.2f}]" if self.low is not None else ""
        return f"{self.rho:+.2f}{interval} (n={self.n})"


def _weighted_ranks(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Average ranks of ``values`` in each resample, item ``i`` taken ``weights[b, i]`` times, as if the
    resample were written out in full (``scipy.stats.rankdata`` of the expanded sample)."""
    order = np.argsort(values, kind="stable")
    sorted_values = values[order]
    starts = np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])  # first item of each tie group
    ends = np.r_[starts[1:], len(values)]
    group = np.empty(len(values), dtype=int)
    group[order] = np.repeat(np.arange(len(starts)), ends - starts)
    cumulative = np.concatenate([np.zeros((len(weights), 1)), np.cumsum(weights[:, order], axis=1)], axis=1)
    below, through = cumulative[:, starts], cumulative[:, ends]
    return (below + (through - below + 1) / 2)[:, group]


def _weighted_spearman(x: np.ndarray, y: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Spearman's rho of ``x`` and ``y`` in each resample given by item multiplicities; NaN where constant."""
    rx, ry = _weighted_ranks(x, weights), _weighted_ranks(y, weights)
    total = weights.sum(axis=1, keepdims=True)
    rx -= (weights * rx).sum(axis=1, keepdims=True) / total
    ry -= (weights * ry).sum(axis=1, keepdims=True) / total
    covariance = (weights * rx * ry).sum(axis=1)
    scale = np.sqrt((weights * rx * rx).sum(axis=1) * (weights * ry * ry).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(scale > 1e-12 * total[:, 0] ** 3, covariance / scale, np.nan)


def spearman_with_ci(
    x: Sequence[float],
    y: Sequence[float],
    clusters: Optional[Sequence[object]] = None,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    confidence: float = 0.95,
) -> Correlation:
    """Spearman's rho of paired ``x``, ``y`` with a percentile bootstrap interval (``resamples`` draws from
    ``numpy.random.default_rng(seed)``); with ``clusters`` (one label per pair) whole clusters are resampled."""
    xs, ys = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if xs.shape != ys.shape or xs.ndim != 1:
        raise ValueError("x and y must be 1-d sequences of the same length")
    n = len(xs)
    if n < MIN_PAIRS or np.ptp(xs) == 0 or np.ptp(ys) == 0:
        return Correlation(None, None, None, n)
    result = spearmanr(xs, ys)
    rho, p_value = float(result.statistic), float(result.pvalue)
    if clusters is None:
        unit = np.arange(n)
    else:
        if len(clusters) != n:
            raise ValueError("one cluster label per pair")
        unit = np.unique(np.asarray([str(c) for c in clusters]), return_inverse=True)[1]
    units = int(unit.max()) + 1
    rng = np.random.default_rng(seed)
    boot = np.empty(resamples)
    chunk = max(1, 2_000_000 // n)  # resamples per block, to bound memory
    for first in range(0, resamples, chunk):
        counts = rng.multinomial(units, np.full(units, 1 / units), size=min(chunk, resamples - first))
        boot[first : first + len(counts)] = _weighted_spearman(xs, ys, counts[:, unit].astype(float))
    finite = boot[np.isfinite(boot)]
    if len(finite) * 2 < resamples:
        return Correlation(rho, None, None, n, p_value)
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(finite, [tail, 100 - tail])
    return Correlation(rho, float(low), float(high), n, p_value)


def survey_target(dialogue: EsconvDialogue, target: str) -> Optional[float]:
    """One of :data:`SURVEY_TARGETS` for a dialogue, or None where the survey lacks it."""
    survey = dialogue.survey
    if target == "emotion_intensity_drop":
        return survey.emotion_intensity_drop
    if target in ("empathy", "relevance"):
        return getattr(survey, target)
    raise ValueError(f"unknown survey target {target!r}; choose one of {', '.join(SURVEY_TARGETS)}")


def survey_agreement(
    scores: Mapping[str, float],
    dialogues: Iterable[EsconvDialogue],
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    confidence: float = 0.95,
) -> dict[str, Correlation]:
    """Spearman correlation (with bootstrap interval) of ``scores`` ({dialogue id: score}, higher = better for the
    seeker) with each survey target of those dialogues: ``{"empathy", "relevance", "emotion_intensity_drop"}``.

    Dialogues without a score are left out; a score whose id is not among ``dialogues`` is an error.
    """
    by_id = {d.id: d for d in dialogues}
    unknown = sorted(set(scores) - set(by_id), key=str)
    if unknown:
        raise RlempError(f"{len(unknown)} scores name no ESConv dialogue (first: {unknown[0]!r})")
    result = {}
    for target in SURVEY_TARGETS:
        pairs = [(float(s), survey_target(by_id[i], target)) for i, s in scores.items()]
        pairs = [(s, t) for s, t in pairs if t is not None and np.isfinite(s)]
        result[target] = spearman_with_ci(
            [s for s, _ in pairs], [t for _, t in pairs], resamples=resamples, seed=seed, confidence=confidence
        )
    return result


@dataclass(frozen=True)
class LabelRecognition:
    """How often a strategy label was predicted from signals, given by the supporter, and both."""

    label: str
    predicted: int
    labelled: int
    both: int

    @property
    def precision(self) -> Optional[float]:
        return self.both / self.predicted if self.predicted else None

    @property
    def recall(self) -> Optional[float]:
        return self.both / self.labelled if self.labelled else None

    def as_dict(self) -> dict:
        return {**asdict(self), "precision": self.precision, "recall": self.recall}


def strategy_recognition(
    turns: Iterable[tuple[Iterable[str], Iterable[str]]], signal_labels: Mapping[str, str]
) -> dict[str, LabelRecognition]:
    """Per ESConv label, from ``(signals, human labels)`` per turn; ``signal_labels`` maps signal names to labels
    (unmapped signals predict nothing). A turn counts once per label however many utterances carry it."""
    predicted = dict.fromkeys(STRATEGIES, 0)
    labelled = dict.fromkeys(STRATEGIES, 0)
    both = dict.fromkeys(STRATEGIES, 0)
    for signals, labels in turns:
        guess = {signal_labels[s] for s in signals if s in signal_labels}
        truth = set(labels) & set(STRATEGIES)
        for label in guess:
            predicted[label] += 1
        for label in truth:
            labelled[label] += 1
        for label in guess & truth:
            both[label] += 1
    return {label: LabelRecognition(label, predicted[label], labelled[label], both[label]) for label in STRATEGIES}
