"""Rebuild the shipped injection classifier from the shared training data (deterministic).

Usage::

    python -m agentstate.processors.detectors.train [--data DIR] [--out FILE] [--loso]

``DIR`` defaults to ``../shared/data/security`` next to the repository. The model is written to
``processors/detectors/model/injection_model.json``; ``--loso`` prints the leave-one-source-out
table instead (``loso.py``), which is how :data:`THRESHOLDS` and :data:`LONG` were chosen.

Recipe: word 1–3-grams of each text's token stream are the candidates; per head the
:data:`PER_HEAD` with the highest chi² on the training rows are kept (n-grams present in more than
:data:`MAX_DF` of all rows are dropped: they would cost a Hyperscan report on most texts); the
features are then extracted with the serving code (:func:`~.prepare.prepare` and
:class:`~.features.FeatureScanner`) and an L2 logistic regression is fitted per head.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from agentstate.processors.detectors.classifier import MODEL_FILE, Head, Model, dumps, runtime_for
from agentstate.processors.detectors.features import BREAK, phrases
from agentstate.processors.detectors.prepare import Prepared, prepare
from agentstate.processors.detectors.screen import ALL_RULES

ROOT: Final = Path(__file__).resolve().parents[2]
DEFAULT_DATA: Final = ROOT.parent / "shared" / "data" / "security"
DEFAULT_OUT: Final = Path(__file__).resolve().parent / "model" / MODEL_FILE

SEED: Final = 1204
PER_HEAD: Final = 1000
MAX_DF: Final = {"direct": 0.05, "indirect": 0.2}
"""Per head: n-grams in more of the rows than this are not features (common words cost a report on
most texts; on user input they also generalised worse across sources)."""
MIN_DF: Final = 3
MIN_SOURCES: Final = {"direct": 3, "indirect": 2}
"""Per head: sources an n-gram must occur in (documents come from fewer sources than prompts)."""
C: Final = 0.03
CLASS_WEIGHT: Final[str | None] = None
BALANCE: Final = 1.0
THRESHOLDS: Final = {"direct": 0.87, "indirect": 0.965}
"""Decision thresholds per head, chosen on the leave-one-source-out scores (``--loso``)."""
LONG: Final = {"direct": (128, 0.5), "indirect": (256, 0.725)}
"""Per head: texts of this many tokens or more (``features.length``) and their threshold, chosen
with :data:`THRESHOLDS` on the leave-one-source-out scores (``--loso``; never under 0.5)."""
DIGITS: Final = 4
MIN_WEIGHT: Final = 0.05
"""N-gram weights below this are dropped: each feature present costs a Hyperscan report (~0.3 µs)."""

DATA_CATEGORIES: Final = frozenset(
    {"benign:agent_env_document", "benign:clean_tool_output", "benign:code_or_docs_chunk", "benign:document_for_task"}
)
"""Benign rows that are documents or tool outputs: judged by the indirect head."""


@dataclass(frozen=True, slots=True)
class Row:
    """One labelled text.

    Attributes:
        text: The text.
        label: Attack (True) or benign.
        kind: ``direct``, ``indirect`` or ``benign``.
        category: Category column.
        source: Source repository (the leave-one-source-out group).
        data: Judged as a document / tool output (indirect head) rather than user input.
    """

    text: str
    label: bool
    kind: str
    category: str
    source: str
    data: bool


def load_rows(root: Path) -> list[Row]:
    """Training rows, in-the-wild jailbreaks and the dev set, in file order."""
    rows: list[Row] = []
    for name in ("train/injection_train.csv", "train/jailbreak_in_the_wild_train.csv", "prompt_injection_dev.csv"):
        with (root / name).open(newline="", encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                label = r["label"].strip() == "1"
                kind = r.get("kind") or ("direct" if label else "benign")
                category = r.get("category") or "-"
                data = kind == "indirect" or category in DATA_CATEGORIES
                rows.append(Row(r["text"] or "", label, kind, category, r.get("source_repo") or "-", data))
    return rows


def head_rows(rows: Sequence[Row], head: str) -> list[int]:
    """Rows each head is trained on: direct attacks vs benign; any attack vs benign for data."""
    if head == "direct":
        return [i for i, r in enumerate(rows) if r.kind != "indirect"]
    return list(range(len(rows)))


def candidates(prepared: Sequence[Prepared]) -> tuple[Any, list[str]]:
    """Binary document-term matrix of word 1–3-grams of the token streams, and its vocabulary."""
    from sklearn.feature_extraction.text import CountVectorizer

    words = r"\S+"
    cv = CountVectorizer(ngram_range=(1, 3), min_df=MIN_DF, binary=True, lowercase=False, token_pattern=words,
                         dtype="float64")  # fmt: skip
    x = cv.fit_transform([phrases(p.stream) for p in prepared])
    vocab = [""] * len(cv.vocabulary_)
    for gram, j in cv.vocabulary_.items():
        vocab[j] = gram
    keep = [j for j, gram in enumerate(vocab) if BREAK not in gram.split(" ")]
    return x.tocsc()[:, keep], [vocab[j] for j in keep]


def select(x: Any, rows: Sequence[Row], rows_by_head: dict[str, list[int]], vocab: Sequence[str],
           train: Sequence[int]) -> list[str]:  # fmt: skip
    """The n-grams to keep, chosen on the ``train`` rows only (sorted, so the model is canonical).

    An n-gram must occur in the attacks of at least :data:`MIN_SOURCES` sources (or, for benign
    evidence, in the benign rows of that many): words peculiar to one source's template teach the
    model that source, not the attack, and leave-one-source-out shows it.
    """
    import numpy as np
    from sklearn.feature_selection import chi2

    train_set = set(train)
    df = np.asarray(x[list(train)].sum(axis=0)).ravel() / max(1, len(train))
    spread = {}
    for label in (True, False):
        count = np.zeros(x.shape[1])
        for source in sorted({rows[i].source for i in train}):
            idx = [i for i in train if rows[i].source == source and rows[i].label is label]
            if idx:
                count += np.asarray(x[idx].sum(axis=0)).ravel() > 0
        spread[label] = count
    keep: set[int] = set()
    for head, idx in rows_by_head.items():
        fit = [i for i in idx if i in train_set]
        labels = [rows[i].label for i in fit]
        pos = np.asarray(x[[i for i in fit if rows[i].label]].sum(axis=0)).ravel() / max(1, sum(labels))
        neg = np.asarray(x[[i for i in fit if not rows[i].label]].sum(axis=0)).ravel() / max(1, len(fit) - sum(labels))
        scores, _ = chi2(x[fit], labels)
        scores = np.nan_to_num(scores)
        scores[df > MAX_DF[head]] = 0.0
        scores[(pos >= neg) & (spread[True] < MIN_SOURCES[head])] = 0.0
        scores[(pos < neg) & (spread[False] < MIN_SOURCES[head])] = 0.0
        order = np.lexsort((np.arange(len(scores)), -scores))[:PER_HEAD]
        keep.update(int(j) for j in order if scores[j] > 0)
    return sorted(vocab[j] for j in keep)


def matrix(prepared: Sequence[Prepared], ngrams: Sequence[str]) -> Any:
    """Features of every text through the serving extractor (n-grams, then rules)."""
    from scipy.sparse import csr_matrix

    model = Model(tuple(ngrams), tuple(r.id for r in ALL_RULES), {})
    rt = runtime_for(model)
    indptr, indices = [0], []
    for p in prepared:
        indices.extend(sorted(set(rt.features(p.stream, p.rule_positions))))
        indptr.append(len(indices))
    n = len(ngrams) + len(ALL_RULES)
    return csr_matrix(([1.0] * len(indices), indices, indptr), shape=(len(prepared), n))


def fit_head(x: Any, rows: Sequence[Row], fit: Sequence[int]) -> tuple[float, list[float]]:
    """Bias and weights of one head's logistic regression on the rows ``fit``.

    Each (source, label) group weighs ``n ** (1 - BALANCE)`` in total: with ``BALANCE`` 1 every
    group counts the same, so no large source decides what the model learns.
    """
    from collections import Counter

    from sklearn.linear_model import LogisticRegression

    sizes = Counter((rows[i].source, rows[i].label) for i in fit)
    weights = [sizes[(rows[i].source, rows[i].label)] ** -BALANCE for i in fit]
    scale = len(fit) / sum(weights)
    lr = LogisticRegression(C=C, solver="liblinear", class_weight=CLASS_WEIGHT, max_iter=1000, random_state=SEED)
    lr.fit(x[list(fit)], [rows[i].label for i in fit], sample_weight=[w * scale for w in weights])
    return float(lr.intercept_[0]), [float(w) for w in lr.coef_[0]]


def build(rows: Sequence[Row]) -> Model:
    """Train the model on every row."""
    prepared = [prepare(r.text) for r in rows]
    by_head = {h: head_rows(rows, h) for h in ("direct", "indirect")}
    x, vocab = candidates(prepared)
    ngrams = select(x, rows, by_head, vocab, range(len(rows)))
    feats = matrix(prepared, ngrams)
    heads = {}
    for name, idx in by_head.items():
        bias, weights = fit_head(feats, rows, idx)
        long_from, long_threshold = LONG[name]
        heads[name] = Head(round(bias, DIGITS), tuple(round(w, DIGITS) for w in weights), THRESHOLDS[name],
                           long_threshold, long_from)  # fmt: skip
    return prune(Model(tuple(ngrams), tuple(r.id for r in ALL_RULES), heads))


def prune(model: Model) -> Model:
    """Zero n-gram weights under :data:`MIN_WEIGHT` and drop n-grams left with none (fewer reports)."""
    n = len(model.ngrams)

    def cut(j: int, w: float) -> float:
        return 0.0 if j < n and abs(w) < MIN_WEIGHT else w

    weights = {k: [cut(j, w) for j, w in enumerate(h.weights)] for k, h in model.heads.items()}
    keep = [j for j in range(n) if any(w[j] != 0.0 for w in weights.values())]
    keep += list(range(n, n + len(model.rules)))
    heads = {
        k: Head(h.bias, tuple(weights[k][j] for j in keep), h.threshold, h.long_threshold, h.long_from)
        for k, h in model.heads.items()
    }
    return Model(tuple(model.ngrams[j] for j in keep if j < n), model.rules, heads)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared security data folder")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write the model")
    parser.add_argument("--loso", action="store_true", help="print the leave-one-source-out table instead")
    args = parser.parse_args(argv)
    rows = load_rows(args.data)
    if args.loso:
        from agentstate.processors.detectors.loso import run

        run(rows)
        return 0
    args.out.write_text(dumps(build(rows)), encoding="utf-8")
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
