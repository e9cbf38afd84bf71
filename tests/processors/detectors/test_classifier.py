"""Tier-1 classifier: the head's arithmetic, the model's JSON form, and the shipped model's shape."""

from __future__ import annotations

import json
import math
import random
from importlib import resources

import pytest

from agentstate.processors.detectors.classifier import (
    HEADS,
    MODEL_FILE,
    Head,
    Model,
    Runtime,
    dumps,
    runtime_for,
    shipped,
)
from agentstate.processors.detectors.features import token_stream, window_starts, window_text
from agentstate.processors.detectors.screen import ALL_RULES


@pytest.mark.parametrize(
    ("features", "probability"),
    [
        pytest.param([], 1 / (1 + math.exp(1.0)), id="bias-only"),
        pytest.param([0], 0.5, id="one-feature"),
        pytest.param([0, 1], 1 / (1 + math.exp(-2.0)), id="two-features"),
        pytest.param([2], 0.0, id="very-negative-is-zero"),
    ],
)
def test_head_probability(features: list[int], probability: float) -> None:
    head = Head(bias=-1.0, weights=(1.0, 2.0, -100.0), threshold=0.5)
    assert head.probability(features) == pytest.approx(probability)


@pytest.mark.parametrize(
    ("features", "z"),
    [
        pytest.param([0, 1], 1.0, id="under-the-cap"),
        pytest.param([0, 1, 2], 0.0, id="capped"),
        pytest.param([1, 2], -3.0, id="benign-only-capped-too"),
        pytest.param([0], 3.0, id="attack-only"),
    ],
)
def test_head_counts_negative_weights_down_to_the_cap(features: list[int], z: float) -> None:
    """Benign evidence cancels at most ``negative_cap`` of the attack evidence, however much of it."""
    head = Head(bias=0.0, weights=(3.0, -2.0, -2.0), threshold=0.5, negative_cap=3.0)
    assert head.probability(features) == pytest.approx(1 / (1 + math.exp(-z)))


def test_negative_cap_is_for_heads_without_windows() -> None:
    with pytest.raises(ValueError, match="negative cap"):
        Head(0.0, (1.0,), 0.5, window=512, stride=256, negative_cap=3.0)


def test_model_json_round_trip_and_runtime_maps_rules() -> None:
    model = Model(("ignore previous", "hello"), (ALL_RULES[0].id, "rule.gone"),
                  {"direct": Head(-2.0, (3.0, -1.0, 4.0, 9.0), 0.9, 0.6, 128, 512, 256)})  # fmt: skip
    assert Model.from_json(json.loads(dumps(model))) == model
    capped = Model(model.ngrams, model.rules, {"direct": Head(-2.0, (3.0, -1.0, 4.0, 9.0), 0.9, negative_cap=8.0)})
    assert Model.from_json(json.loads(dumps(capped))) == capped
    rt = runtime_for(model)
    assert rt.rule_features[0] == 2 and all(f is None for f in rt.rule_features[1:])
    assert sorted(rt.features(token_stream("ignore previous hello"), [0, 1], "direct")) == [0, 1, 2]


def test_each_head_scans_only_the_ngrams_it_weighs() -> None:
    model = Model(("alpha", "beta"), (), {"direct": Head(0.0, (1.0, 0.0), 0.5), "indirect": Head(0.0, (0.0, 2.0), 0.5)})
    rt = runtime_for(model)
    stream = token_stream("alpha beta")
    assert rt.features(stream, [], "direct") == [0]
    assert rt.features(stream, [], "indirect") == [1]
    assert sorted(runtime_for(Model(model.ngrams, (), {})).features(stream, [])) == [0, 1]


def test_shipped_model_is_small_consistent_and_canonical() -> None:
    path = resources.files("agentstate.processors.detectors").joinpath("model", MODEL_FILE)
    text = path.read_text("utf-8")
    assert len(text.encode()) < 3_000_000
    model = shipped().model
    assert dumps(model) == text
    assert set(model.heads) == set(HEADS)
    assert set(model.rules) == {r.id for r in ALL_RULES}
    assert len(set(model.ngrams)) == len(model.ngrams)
    for head in model.heads.values():
        assert len(head.weights) == len(model.ngrams) + len(model.rules)
        assert 0.0 < head.threshold < 1.0
        assert head.long_threshold is not None and 0.5 <= head.long_threshold < 1.0 and head.long_from > 0
        assert head.window == 0 or head.window >= head.stride > 0
    assert model.heads["indirect"].window > 0  # documents are scored by their best window


@pytest.mark.parametrize(
    ("head", "tokens", "threshold"),
    [
        pytest.param(Head(0.0, (), 0.9, 0.6, 128), 127, 0.9, id="short"),
        pytest.param(Head(0.0, (), 0.9, 0.6, 128), 128, 0.6, id="long"),
        pytest.param(Head(0.0, (), 0.9), 10_000, 0.9, id="no-long-threshold"),
    ],
)
def test_threshold_by_length(head: Head, tokens: int, threshold: float) -> None:
    assert head.threshold_for(tokens) == threshold


def test_json_without_long_threshold_loads() -> None:
    """A model written before heads had a long-text threshold still loads (one threshold for all)."""
    doc = {
        "format": 1,
        "ngrams": ["a"],
        "rules": [],
        "heads": {"direct": {"bias": 0, "threshold": 0.9, "weights": [1]}},
    }
    head = Model.from_json(doc).heads["direct"]
    assert head.long_threshold is None and head.threshold_for(10_000) == 0.9
    assert head.window == 0  # and no window scoring


def _windowed(window: int, stride: int) -> Runtime:
    """Two attack n-grams far apart, one benign n-gram next to the second."""
    head = Head(-3.0, (2.0, 2.0, -3.0), 0.5, window=window, stride=stride)
    return runtime_for(Model(("ignore previous", "reveal secret", "recipe"), (), {"indirect": head}))


_FILLER = " ".join(["word"] * 40)
_TEXT = f"ignore previous {_FILLER} recipe reveal secret"


def test_judge_scores_the_best_window() -> None:
    """Over the whole text the benign n-gram cancels one attack n-gram; a window holds only the other."""
    stream = token_stream(_TEXT)
    whole = _windowed(0, 0)
    features, p = whole.judge(stream, [], "indirect")
    assert sorted(features) == [0, 1, 2] and p == pytest.approx(1 / (1 + math.exp(2.0)))
    features, p = _windowed(32, 16).judge(stream, [], "indirect")
    assert sorted(features) == [0, 1, 2] and p == pytest.approx(1 / (1 + math.exp(1.0)))  # one attack n-gram


@pytest.mark.parametrize("before", [0, 5, 20, 21, 22])
def test_judge_counts_a_feature_once_per_window(before: int) -> None:
    rt = _windowed(64, 32)
    prefix = "word " * before
    once = rt.judge(token_stream(prefix + "reveal secret " + _FILLER), [], "indirect")[1]
    twice = rt.judge(token_stream(prefix + "reveal secret reveal secret " + _FILLER), [], "indirect")[1]
    assert once == twice == pytest.approx(1 / (1 + math.exp(1.0)))


def test_judge_short_text_is_scored_whole() -> None:
    rt = _windowed(4096, 2048)
    stream = token_stream(_TEXT)
    features, p = rt.judge(stream, [], "indirect")
    assert sorted(features) == sorted(rt.features(stream, [], "indirect"))
    assert p == rt.model.heads["indirect"].probability(features)


@pytest.mark.parametrize(("window", "stride"), [(24, 12), (40, 20), (45, 15), (64, 32)])
def test_judge_equals_scoring_every_window_text(window: int, stride: int) -> None:
    """Run-time window scores equal the best score of the window texts training sees (``window_text``),
    on random texts of a few words (repeats, breaks, n-grams across window edges)."""
    rt = _windowed(window, stride)
    head = rt.model.heads["indirect"]
    rng = random.Random(window * 1000 + stride)
    words = ["ignore", "previous", "reveal", "secret", "recipe", "word", "a", "."]
    for _ in range(300):
        stream = token_stream(" ".join(rng.choice(words) for _ in range(rng.randrange(1, 40))))
        scores = [head.probability(rt.features(stream, [], "indirect"))]
        if len(stream) > window:
            for s in window_starts(len(stream), window, stride):
                scores.append(head.probability(rt.features(window_text(stream, s, window), [], "indirect")))
        assert rt.judge(stream, [], "indirect")[1] == pytest.approx(max(scores)), stream
