"""Tier 1: the shipped linear classifier over n-gram and tier-0 rule features, in pure Python.

The model (``model/injection_model.json``, rebuilt by ``python -m
agentstate.processors.detectors.train``) lists its n-gram vocabulary and, per head, a bias, one
weight per feature and a decision threshold. Features ``0 .. len(ngrams)-1`` are the n-grams
(found by :class:`~agentstate.processors.detectors.features.FeatureScanner`), the next ones the
tier-0 rules in :data:`~agentstate.processors.detectors.screen.ALL_RULES` order. A score is
``sigmoid(bias + sum of the weights of the features present)``: a few dozen additions per text.
A head with a :attr:`Head.negative_cap` counts the negative weights (benign evidence) only down to
minus that cap: a long role-play jailbreak holds many ordinary words, each a little benign, that
would otherwise outvote its few attack phrases however strong they are.

Heads: ``direct`` judges user input (injection and jailbreaks), ``indirect`` judges data that
reaches the model (tool results, retrieved documents), where planted instructions are the attack.

Window scoring (:meth:`Runtime.judge`): a planted instruction is a sentence or two in a long
document, and the document's other words dilute it. A head with a :attr:`Head.window` also scores
every window of that many bytes of the token stream (one every :attr:`Head.stride` bytes) and keeps
the highest score; the n-grams of every window come from one Hyperscan scan that reports where each
occurs (:meth:`~agentstate.processors.detectors.features.FeatureScanner.matches`). A text no longer
than a window is scored once, as a whole. That scan costs a Python callback per occurrence, so the
document head weighs few n-grams (``recipe.MIN_WEIGHT``, refitted after pruning): 213 instead of
1,045, 45 occurrences per 2 KB document instead of 147, ``judge`` 25 µs instead of 77-80 µs.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Final

from agentstate.processors.detectors.features import FeatureScanner
from agentstate.processors.detectors.screen import ALL_RULES

MODEL_FILE: Final = "injection_model.json"
HEADS: Final = ("direct", "indirect")


@dataclass(frozen=True, slots=True)
class Head:
    """One decision: bias, weights per feature id, thresholds on the probability.

    A text of :attr:`long_from` tokens or more (:func:`~.features.length`) is judged against
    :attr:`long_threshold` instead of :attr:`threshold`: out of source, long attacks (role-play
    jailbreaks, stuffed documents) score lower than short ones while long benign texts rarely score
    high, so leave-one-source-out validation chooses a second threshold for them (``loso.py``).
    A text longer than :attr:`window` bytes of token stream is scored by its best window too
    (:meth:`Runtime.judge`; ``0``: the whole text only). The sum of the negative weights present
    counts down to ``-negative_cap`` at most (``None``: no cap; only for a head without windows).
    """

    bias: float
    weights: tuple[float, ...]
    threshold: float
    long_threshold: float | None = None
    long_from: int = 0
    window: int = 0
    stride: int = 0
    negative_cap: float | None = None

    def __post_init__(self) -> None:
        if self.negative_cap is not None and self.window:
            raise ValueError("a negative cap is for heads without window scoring")

    @property
    def lowest_threshold(self) -> float:
        """The lower of the two thresholds: a probability under it is not flagged at any length."""
        return self.threshold if self.long_threshold is None else min(self.threshold, self.long_threshold)

    def threshold_for(self, tokens: int) -> float:
        """The threshold for a text of ``tokens`` tokens."""
        if self.long_threshold is not None and tokens >= self.long_from:
            return self.long_threshold
        return self.threshold

    def probability(self, features: Iterable[int]) -> float:
        """``sigmoid(bias + sum of weights)`` over the features present (negatives capped)."""
        w = self.weights
        if self.negative_cap is None:
            return _sigmoid(self.bias + sum(w[f] for f in features))
        positive = negative = 0.0
        for f in features:
            if (wf := w[f]) > 0.0:
                positive += wf
            else:
                negative += wf
        return _sigmoid(self.bias + positive + max(negative, -self.negative_cap))


def _sigmoid(z: float) -> float:
    if z < -30.0:
        return 0.0
    return 1.0 / (1.0 + math.exp(-z))


@dataclass(frozen=True, slots=True)
class Model:
    """The n-gram vocabulary, the rule ids it was trained with, and its heads."""

    ngrams: tuple[str, ...]
    rules: tuple[str, ...]
    heads: Mapping[str, Head]

    @property
    def rule_offset(self) -> int:
        """Feature id of the first rule."""
        return len(self.ngrams)

    def to_json(self) -> dict[str, Any]:
        """The JSON document this model is stored as."""
        return {
            "format": 1,
            "ngrams": list(self.ngrams),
            "rules": list(self.rules),
            "heads": {
                name: {
                    "bias": h.bias,
                    "threshold": h.threshold,
                    "weights": list(h.weights),
                    "long_threshold": h.long_threshold,
                    "long_from": h.long_from,
                    "window": h.window,
                    "stride": h.stride,
                    **({} if h.negative_cap is None else {"negative_cap": h.negative_cap}),
                }
                for name, h in self.heads.items()
            },
        }

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> Model:
        """Inverse of :meth:`to_json`."""
        heads = {
            name: Head(
                float(h["bias"]),
                tuple(float(x) for x in h["weights"]),
                float(h["threshold"]),
                None if h.get("long_threshold") is None else float(h["long_threshold"]),
                int(h.get("long_from", 0)),
                int(h.get("window", 0)),
                int(h.get("stride", 0)),
                None if h.get("negative_cap") is None else float(h["negative_cap"]),
            )
            for name, h in doc["heads"].items()
        }
        return cls(tuple(doc["ngrams"]), tuple(doc["rules"]), heads)


def dumps(model: Model) -> str:
    """Canonical text of a model (what the rebuild test compares)."""
    return json.dumps(model.to_json(), separators=(",", ":"), sort_keys=True) + "\n"


@dataclass(frozen=True, slots=True)
class Runtime:
    """A loaded model with its compiled scanners and the map from rule position to feature id.

    Each head has its own scanner over the n-grams it weighs (a user message is never scanned
    for n-grams only the document head uses: fewer reports); ``None`` scans every n-gram.
    """

    model: Model
    scanners: Mapping[str | None, FeatureScanner]
    rule_features: tuple[int | None, ...]
    lowest: Mapping[str, float]
    """Each head's :attr:`Head.lowest_threshold`, worked out once (read for every text scored)."""

    def features(self, stream: bytes, rule_positions: Sequence[int], head: str | None = None) -> list[int]:
        """Feature ids present: the head's n-grams in the token stream plus the rules that matched."""
        found = self.scanners[head].scan(stream)
        for i in rule_positions:
            if (f := self.rule_features[i]) is not None:
                found.append(f)
        return found

    def judge(self, stream: bytes, rule_positions: Sequence[int], head: str) -> tuple[list[int], float]:
        """The features present (as :meth:`features`) and ``head``'s probability: of the whole text,
        or of its best window when the text is longer than the head's window (the higher of both)."""
        h = self.model.heads[head]
        if not h.window or len(stream) <= h.window:
            found = self.features(stream, rule_positions, head)
            return found, h.probability(found)
        rules = [f for i in rule_positions if (f := self.rule_features[i]) is not None]
        width, stride, widths, w = h.window, h.stride, self.scanners[head].widths, h.weights
        last = (len(stream) - width - 1) // stride + 1  # the first window to reach the end
        sums = [0.0] * (last + 1)
        counted: dict[int, int] = {}  # feature -> the last window its weight was added to (-1: none)
        get = counted.get
        whole = 0.0
        for f, end in self.scanners[head].matches(stream):
            # the windows k with k * stride <= start and end <= k * stride + width; the matches of
            # one feature come in order, so their windows only move right: each is counted once
            hi = (end - widths[f]) // stride
            if hi > last:
                hi = last
            lo = (end - width - 1) // stride + 1
            c = get(f)
            if c is None:
                c = counted[f] = -1
                whole += w[f]
            if lo <= c:
                lo = c + 1
            if lo < 0:
                lo = 0
            if lo <= hi:
                counted[f] = hi
                wf = w[f]
                sums[lo] += wf
                if hi == lo + 1:  # a window twice the stride holds a match twice at most
                    sums[hi] += wf
                elif hi > lo:
                    for k in range(lo + 1, hi + 1):
                        sums[k] += wf
        base = h.bias + sum(w[f] for f in rules)
        return [*counted, *rules], _sigmoid(base + max(max(sums), whole))


def runtime_for(model: Model) -> Runtime:
    """Compile ``model``'s vocabulary (per head) and map the current rules onto its rule features."""
    index = {rule_id: model.rule_offset + k for k, rule_id in enumerate(model.rules)}
    scanners: dict[str | None, FeatureScanner] = {}
    if model.heads:
        for name, head in model.heads.items():
            ids = [j for j in range(model.rule_offset) if head.weights[j] != 0.0]
            scanners[name] = FeatureScanner([model.ngrams[j] for j in ids], ids, positions=head.window > 0)
    else:
        scanners[None] = FeatureScanner(model.ngrams)
    lowest = {name: head.lowest_threshold for name, head in model.heads.items()}
    return Runtime(model, scanners, tuple(index.get(r.id) for r in ALL_RULES), lowest)


@cache
def shipped() -> Runtime:
    """The model shipped in the package (loaded and compiled once per process)."""
    text = resources.files("agentstate.processors.detectors").joinpath("model", MODEL_FILE).read_text("utf-8")
    return runtime_for(Model.from_json(json.loads(text)))
