"""Leave-one-source-out threshold choice: a short-text and a long-text threshold per head."""

from __future__ import annotations

import math

import pytest

from agentstate.processors.detectors.loso import MIN_THRESHOLD, Logits, choose_thresholds


def test_long_texts_get_their_own_threshold() -> None:
    """Long attacks score lower than short ones here; one threshold for all would miss them."""
    probs = [0.95, 0.9, 0.2, 0.7, 0.65, 0.3]
    labels = [True, False, False, True, True, False]
    tokens = [10, 10, 10, 300, 300, 300]
    short, cut, long = choose_thresholds(probs, [False] * 6, labels, tokens, max_fpr=0.01)
    assert short > 0.9 and long <= 0.65 and 10 < cut <= 300
    flagged = [p >= (long if n >= cut else short) for p, n in zip(probs, tokens, strict=True)]
    assert flagged == labels


def test_no_threshold_under_the_floor() -> None:
    """Even where any threshold would do, a text is flagged only when an attack is the likelier reading."""
    short, _, long = choose_thresholds([0.1, 0.05], [False, False], [True, False], [10, 10], max_fpr=1.0)
    assert short >= MIN_THRESHOLD and long >= MIN_THRESHOLD


def test_tier0_hits_count_as_flagged() -> None:
    """A benign text the rules flag is a false positive at every threshold: with no false positive
    allowed no pair meets the targets, and the classifier is switched off (threshold 1)."""
    assert choose_thresholds([0.99, 0.6], [True, False], [False, True], [10, 10], max_fpr=0.0) == (1.0, 64, 1.0)


def test_logits_cap_the_negative_part_afterwards() -> None:
    """The cap is chosen after the folds: each row keeps its positive and negative parts apart."""
    logits = Logits([2.0, 5.0], [-1.0, -9.0])
    assert logits.probabilities(None) == pytest.approx([1 / (1 + math.exp(-1.0)), 1 / (1 + math.exp(4.0))])
    assert logits.probabilities(3.0) == pytest.approx([1 / (1 + math.exp(-1.0)), 1 / (1 + math.exp(-2.0))])
