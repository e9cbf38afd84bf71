"""Both tiers on the shared sets, each text judged where it would arrive (regression floors).

Floors sit just under the figures measured when the model was built. The dev set and the training
rows are in the model's training data, so these guard against regressions; the leave-one-source-out
figures (``python -m agentstate.processors.detectors.train --loso``) are the ones that predict what
users see.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from agentstate.processors.detectors.injection import score_text
from agentstate.processors.detectors.recipe import DATA_CATEGORIES
from tests.conftest import shared_file


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        yield from csv.DictReader(fh)


def _rates(pairs: list[tuple[bool, bool]]) -> tuple[float, float, float]:
    tp = sum(f and y for y, f in pairs)
    fp = sum(f and not y for y, f in pairs)
    pos = sum(y for y, _ in pairs)
    neg = len(pairs) - pos
    return (tp / (tp + fp) if tp + fp else 1.0), (tp / pos if pos else 1.0), (fp / neg if neg else 0.0)


def test_dev_set_as_user_input() -> None:
    rows = list(_rows(shared_file("security", "prompt_injection_dev.csv")))
    pairs = [(r["label"] == "1", score_text(r["text"]).flagged) for r in rows]
    precision, recall, fpr = _rates(pairs)
    assert precision >= 0.98 and fpr <= 0.005 and recall >= FLOOR["dev_recall"]
    xstest = [score_text(r["text"]).flagged for r in rows if r["category"].startswith("xstest")]
    assert len(xstest) >= 200 and sum(xstest) / len(xstest) <= 0.005


def test_in_the_wild_jailbreaks() -> None:
    rows = list(_rows(shared_file("security", "train", "jailbreak_in_the_wild_train.csv")))
    flagged = [score_text(r["text"]).flagged for r in rows]
    assert sum(flagged) / len(flagged) >= FLOOR["wild_recall"]


def test_training_rows_each_judged_where_they_arrive() -> None:
    tallies: dict[str, list[tuple[bool, bool]]] = {"user": [], "data": [], "leak": []}
    for r in _rows(shared_file("security", "train", "injection_train.csv")):
        is_data = r["kind"] == "indirect" or r["category"] in DATA_CATEGORIES
        pair = (r["label"] == "1", score_text(r["text"], indirect=is_data).flagged)
        tallies["data" if is_data else "user"].append(pair)
        if "prompt_leaking" in r["category"]:
            tallies["leak"].append(pair)
    user, data, leak = (_rates(tallies[k]) for k in ("user", "data", "leak"))
    assert user[0] >= 0.98 and user[2] <= 0.005 and user[1] >= FLOOR["user_recall"]
    assert data[2] <= 0.01 and data[1] >= FLOOR["data_recall"]
    assert leak[1] >= FLOOR["leak_recall"]


FLOOR = {"dev_recall": 0.93, "wild_recall": 0.84, "user_recall": 0.47, "data_recall": 0.65, "leak_recall": 0.99}
"""Measured figures minus a small margin (filled in from the run that built the shipped model: dev
recall 0.936 (precision 0.989: one long benign role-play prompt over the long-text threshold),
in-the-wild 0.852 (0.800 before the direct head's negative cap, 0.818 with a cap of 7 on every
n-gram), training user input 0.478, documents 0.660 at a false positive rate of 0.77 % (the engine
scores a long document by its best window, ``classifier.Runtime.judge``; 0.681 at 0.58 % before the
document head was refitted on 213 n-grams instead of 1,045: it fits its training sources less closely,
while out of source it flags as many, 0.562 against 0.560; 0.659 at 0.87 % since its thresholds are
0.97 and, from 320 tokens, 0.715 instead of 0.975 and, from 256 tokens, 0.78: out of source 0.569);
prompt leaking 1.0)."""
