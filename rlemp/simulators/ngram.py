"""Do a reply's words follow each other as in English? A word-trigram model of Reddit comments.

The model is interpolated Kneser-Ney (discount 0.75) over lower-cased words, trained on the GoEmotions comments
(``rlemp build-fluency-model``; the shipped counts are ``data/fluency/goemotions_trigram.json.gz``, n-grams
seen at least twice). A reply's **salad score** is how little its context predicts each word beyond the word's
own frequency: per token ``x = log P_KN(w | two words before) - log P(w)``, clipped at +1 so that a few stock
phrases cannot pay for the rest, and ``salad = -sum(x) / (tokens + 10)`` (the +10 keeps short replies near 0).
Higher is worse. Rare content words and typos cost little, since the unigram term cancels them; what costs is
words in orders English does not use ("Feel you hard sounds that is really."). Measured on real ESConv
supporter turns and broken tiny-model replies: ``docs/simulator.md``.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from rlemp.errors import InputError, RlempError
from rlemp.files import read_text
from rlemp.paths import FLUENCY_MODEL

DISCOUNT = 0.75
CONTEXT_GAIN_CAP = 1.0  # per-token clip of log P(w | context) - log P(w)
LENGTH_PRIOR = 10  # tokens added to the denominator

_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
_PLACEHOLDER = re.compile(r"\[[A-Z]+\]|\{[a-z_]+\}")  # "[NAME]" in corpora, "{topic}" in templates
_START, _END, _UNKNOWN = "<s>", "</s>", "<unk>"


def sentences(text: str) -> list[list[str]]:
    """Lower-cased words of each sentence; placeholders read as "someone"."""
    text = _PLACEHOLDER.sub("someone", text).lower().replace("\u2019", "'")
    return [words for words in (_WORD.findall(s) for s in _SENTENCE.findall(text)) if words]


class TrigramModel:
    """Kneser-Ney trigram counts and the salad score. Build with :meth:`train`, store with :meth:`save`."""

    def __init__(self, counts: dict):
        self.vocab = frozenset(counts["vocab"])
        self.unigram = counts["unigram"]  # word -> count
        self.tokens, self.types = sum(self.unigram.values()), len(self.unigram) + 1
        self.continuation = counts["continuation"]  # word -> distinct left neighbours
        self.bigram_types = counts["bigram_types"]
        self.bigram_history = counts["bigram_history"]  # "v" -> [count, distinct next words]
        self.bigram = counts["bigram"]  # "v w" -> count
        self.trigram_history = counts["trigram_history"]  # "u v" -> [count, distinct next words]
        self.trigram = counts["trigram"]  # "u v w" -> count

    @classmethod
    def train(cls, texts: Iterable[str], min_count: int = 2) -> TrigramModel:
        """Words seen fewer than ``min_count`` times become ``<unk>``; n-grams seen fewer are pruned (the
        lower-order statistics that Kneser-Ney needs are taken before pruning)."""
        corpus = [words for text in texts for words in sentences(text)]
        frequency = Counter(w for words in corpus for w in words)
        vocab = {w for w, c in frequency.items() if c >= min_count}
        unigram, bigram, trigram = Counter(), Counter(), Counter()
        for words in corpus:
            seq = [_START, _START, *(w if w in vocab else _UNKNOWN for w in words), _END]
            for i in range(2, len(seq)):
                unigram[seq[i]] += 1
                bigram[(seq[i - 1], seq[i])] += 1
                trigram[(seq[i - 2], seq[i - 1], seq[i])] += 1
        bigram_history, trigram_history = Counter(), Counter()
        bigram_next, trigram_next = Counter(), Counter()
        for (v, _), c in bigram.items():
            bigram_history[v] += c
            bigram_next[v] += 1
        for (u, v, _), c in trigram.items():
            trigram_history[(u, v)] += c
            trigram_next[(u, v)] += 1
        kept_histories = {h for h, c in trigram_history.items() if c >= min_count}
        return cls({
            "vocab": sorted(vocab),
            "unigram": dict(unigram),
            "continuation": dict(Counter(w for (_, w) in bigram)),
            "bigram_types": len(bigram),
            "bigram_history": {v: [c, bigram_next[v]] for v, c in bigram_history.items()},
            "bigram": {f"{v} {w}": c for (v, w), c in bigram.items() if c >= min_count},
            "trigram_history": {f"{u} {v}": [trigram_history[(u, v)], trigram_next[(u, v)]] for u, v in kept_histories},
            "trigram": {f"{u} {v} {w}": c for (u, v, w), c in trigram.items() if c >= min_count},
        })

    def save(self, path: Path) -> None:
        """Gzipped JSON, byte-for-byte reproducible."""
        counts = {
            "vocab": sorted(self.vocab), "unigram": self.unigram, "continuation": self.continuation,
            "bigram_types": self.bigram_types, "bigram_history": self.bigram_history, "bigram": self.bigram,
            "trigram_history": self.trigram_history, "trigram": self.trigram,
        }
        text = json.dumps(counts, separators=(",", ":"), sort_keys=True).encode("utf-8")
        with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as f:
            f.write(text)  # no name or time in the header: the same counts give the same bytes

    @classmethod
    def load(cls, path: Path) -> TrigramModel:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            return cls(json.load(f))

    def _p_unigram(self, w: str) -> float:
        return (self.unigram.get(w, 0) + 0.5) / (self.tokens + 0.5 * self.types)

    def _p_continuation(self, w: str) -> float:
        return (self.continuation.get(w, 0) + 0.5) / (self.bigram_types + 0.5 * self.types)

    def _p_bigram(self, v: str, w: str) -> float:
        count, following = self.bigram_history.get(v, (0, 0))
        if not count:
            return self._p_continuation(w)
        seen = max(self.bigram.get(f"{v} {w}", 0) - DISCOUNT, 0.0)
        return seen / count + DISCOUNT * following / count * self._p_continuation(w)

    def _p_trigram(self, u: str, v: str, w: str) -> float:
        lower = self._p_bigram(v, w)
        count, following = self.trigram_history.get(f"{u} {v}", (0, 0))
        if not count:
            return lower
        seen = max(self.trigram.get(f"{u} {v} {w}", 0) - DISCOUNT, 0.0)
        return seen / count + DISCOUNT * following / count * lower

    def context_gains(self, words: list[str]) -> list[float]:
        """Per token of one sentence (and its end): log P(w | two words before) - log P(w), unclipped."""
        seq = [_START, _START, *(w if w in self.vocab else _UNKNOWN for w in words), _END]
        return [
            math.log(self._p_trigram(seq[i - 2], seq[i - 1], seq[i])) - math.log(self._p_unigram(seq[i]))
            for i in range(2, len(seq))
        ]

    def salad(self, text: str) -> float:
        """The salad score of ``text`` (0 for no words): about -0.3 for plain English, above 0.45 for salad."""
        gains = [min(g, CONTEXT_GAIN_CAP) for words in sentences(text) for g in self.context_gains(words)]
        return -sum(gains) / (len(gains) + LENGTH_PRIOR) if gains else 0.0


# The shipped counts are part of the rule simulator's version: a different file would change its readings under
# the same version number, so one is refused (rebuilding from GoEmotions gives these exact bytes).
SHIPPED_SHA256 = "f850514006e26a0f1b6c0e2c69c7b695339eea159d5ac00e767b03c40272c62b"


@lru_cache(maxsize=1)
def shipped_model() -> TrigramModel:
    """The shipped GoEmotions model, checked and loaded once per process (about 0.5 s)."""
    digest = hashlib.sha256(FLUENCY_MODEL.read_bytes()).hexdigest()
    if digest != SHIPPED_SHA256:
        raise RlempError(
            f"{FLUENCY_MODEL}: sha256 {digest[:12]}..., expected {SHIPPED_SHA256[:12]}... (the rule simulator's "
            "version pins these counts; restore the file with `git checkout` or `rlemp build-fluency-model`)"
        )
    return TrigramModel.load(FLUENCY_MODEL)


def read_goemotions(folder: Path) -> list[str]:
    """The comment texts of GoEmotions' ``train.tsv``, ``dev.tsv`` and ``test.tsv`` (text, labels, id per line)."""
    texts = []
    for split in ("train", "dev", "test"):
        path = Path(folder) / f"{split}.tsv"
        texts.extend(line.split("\t", 1)[0] for line in read_text(path, "GoEmotions TSV").splitlines() if line.strip())
    if not any(sentences(text) for text in texts):
        raise InputError(Path(folder), None, None, "the GoEmotions files hold no English words")
    return texts
