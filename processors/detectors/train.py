"""Rebuild the shipped injection classifier from the shared training data (deterministic).

Usage::

    python -m agentstate.processors.detectors.train [--data DIR] [--out FILE] [--loso]

The settings (n-gram counts, regularisation, thresholds, caps, windows, pruning) are in
:mod:`~.recipe`, each with the leave-one-source-out figures that chose it. ``DIR`` defaults to
``../shared/data/security`` next to the repository. The model is written to
``processors/detectors/model/injection_model.json``; ``--loso`` prints the leave-one-source-out
table instead (``loso.py``), which is how :data:`THRESHOLDS` and :data:`LONG` were chosen.

Recipe: word 1–3-grams of each text's token stream are the candidates; per head the
:data:`PER_HEAD` with the highest chi² on the training rows are kept (n-grams present in more than
:data:`MAX_DF` of all rows are dropped: they would cost a Hyperscan report on most texts); the
features are then extracted with the serving code (:func:`~.prepare.prepare` and
:class:`~.features.FeatureScanner`) and an L2 logistic regression is fitted per head.

At run time a long document is also scored by its best window (:data:`WINDOWS`), so training looks
at windows too (:func:`fit_windowed`): the ``indirect`` head is refitted with an *ablated twin* of
each long attack document, labelled benign: the document with its attack-looking windows cut out.
Documents from a source that has only attacks (BIPIA's are calendar entries and e-mails) otherwise
teach the head that their format is the attack; their twins keep the format and lose the
instruction. (A head with windows on user input would also learn from the windows of the benign
texts, :data:`NEGATIVE_WINDOWS`.)

User input has no windows (they cost a second, every-match scan); instead the ``direct`` head counts
its negative weights only down to :data:`NEGATIVE_CAP`: a long role-play jailbreak is mostly
ordinary words, each a little benign, which otherwise outvote its attack phrases. The ``direct``
head also weighs only the n-grams chosen for it (:data:`OWN_NGRAMS`): the document head's n-grams
(common words of documents, from as few as two sources) taught it the benign side of sources'
templates, which other sources' role-play jailbreaks do not share.

Small weights are pruned (:data:`MIN_WEIGHT`, per head): every n-gram a head weighs costs a report
on the texts it occurs in, and the document head's window scoring a Python callback per occurrence.
The document head is refitted on the n-grams that survive (:data:`REFIT`, :func:`fit_pruned`), and
leave-one-source-out validation scores it rounded and pruned, exactly as shipped.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final

from agentstate.processors.detectors.classifier import MODEL_FILE, Head, Model, Runtime, dumps, runtime_for
from agentstate.processors.detectors.features import BREAK, phrases, window_starts, window_text
from agentstate.processors.detectors.prepare import Prepared, prepare
from agentstate.processors.detectors.recipe import (
    BALANCE,
    CLASS_WEIGHT,
    DATA_CATEGORIES,
    DIGITS,
    LONG,
    MAX_DF,
    MIN_DF,
    MIN_SOURCES,
    MIN_WEIGHT,
    NEGATIVE_CAP,
    NEGATIVE_WINDOWS,
    OWN_NGRAMS,
    PER_HEAD,
    REFIT,
    SEED,
    THRESHOLDS,
    TWINS,
    WINDOWS,
    C,
)
from agentstate.processors.detectors.screen import ALL_RULES

ROOT: Final = Path(__file__).resolve().parents[2]
DEFAULT_DATA: Final = ROOT.parent / "shared" / "data" / "security"
DEFAULT_OUT: Final = Path(__file__).resolve().parent / "model" / MODEL_FILE


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


def candidates(prepared: Sequence[Prepared]) -> tuple[Any, list[str], Callable[[Sequence[str]], Any]]:
    """Binary document-term matrix of word 1–3-grams of the token streams, its vocabulary, and the
    function giving the same columns for other :func:`~.features.phrases` texts (windows)."""
    from sklearn.feature_extraction.text import CountVectorizer

    words = r"\S+"
    cv = CountVectorizer(ngram_range=(1, 3), min_df=MIN_DF, binary=True, lowercase=False, token_pattern=words,
                         dtype="float64")  # fmt: skip
    x = cv.fit_transform([phrases(p.stream) for p in prepared])
    vocab = [""] * len(cv.vocabulary_)
    for gram, j in cv.vocabulary_.items():
        vocab[j] = gram
    keep = [j for j, gram in enumerate(vocab) if BREAK not in gram.split(" ")]

    def transform(texts: Sequence[str]) -> Any:
        return cv.transform(texts).tocsc()[:, keep]

    return x.tocsc()[:, keep], [vocab[j] for j in keep], transform


def select(x: Any, rows: Sequence[Row], rows_by_head: dict[str, list[int]], vocab: Sequence[str],
           train: Sequence[int]) -> dict[str, list[str]]:  # fmt: skip
    """Per head, the n-grams to keep, chosen on the ``train`` rows only (sorted, so the model is
    canonical); the model's vocabulary is their union (:func:`union`).

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
    keep: dict[str, list[str]] = {}
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
        keep[head] = sorted(vocab[int(j)] for j in order if scores[j] > 0)
    return keep


def union(chosen: dict[str, list[str]]) -> list[str]:
    """The model's vocabulary: every head's n-grams (sorted)."""
    return sorted({g for grams in chosen.values() for g in grams})


def own_only(head: str, ngrams: Sequence[str], chosen: dict[str, list[str]]) -> Any:
    """Diagonal matrix that keeps the columns ``head`` may weigh: under :data:`OWN_NGRAMS` only its own
    n-grams (and every rule), otherwise all of them."""
    from scipy.sparse import diags

    mine = set(chosen[head]) if head in OWN_NGRAMS else set(ngrams)
    return diags([1.0 if g in mine else 0.0 for g in ngrams] + [1.0] * len(ALL_RULES)).tocsr()


Twins = Callable[[list[tuple[int, list[int]]]], Any]
"""Features of rows' token streams without the windows at given starts (:func:`fit_windowed`)."""


def masked(twins: Twins, m: Any) -> Twins:
    """``twins`` keeping only the columns the diagonal mask ``m`` (:func:`own_only`) keeps."""

    def features(wanted: list[tuple[int, list[int]]]) -> Any:
        return (twins(wanted) @ m).tocsr()

    return features


def matrix(prepared: Sequence[Prepared], ngrams: Sequence[str]) -> Any:
    """Features of every text through the serving extractor (n-grams, then rules)."""
    rt = runtime_for(Model(tuple(ngrams), tuple(r.id for r in ALL_RULES), {}))
    return _features(rt, [(p.stream, p.rule_positions) for p in prepared], len(ngrams))


def _features(rt: Runtime, texts: Sequence[tuple[bytes, Sequence[int]]], n_ngrams: int) -> Any:
    """Binary feature matrix of ``(token stream, rule positions)`` pairs through the serving extractor."""
    from scipy.sparse import csr_matrix

    indptr, indices = [0], []
    for stream, rule_positions in texts:
        indices.extend(sorted(set(rt.features(stream, rule_positions))))
        indptr.append(len(indices))
    return csr_matrix(([1.0] * len(indices), indices, indptr), shape=(len(texts), n_ngrams + len(ALL_RULES)))


def fit_head(x: Any, rows: Sequence[Row], fit: Sequence[int]) -> tuple[float, list[float]]:
    """Bias and weights of one head's logistic regression on the rows ``fit``."""
    return _fit(x[list(fit)], [rows[i].label for i in fit], [(rows[i].source, rows[i].label) for i in fit])


def _fit(x: Any, labels: Sequence[bool], groups: Sequence[tuple[str, bool]],
         head: str = "direct") -> tuple[float, list[float]]:  # fmt: skip
    """``head``'s logistic regression (its :data:`C`) where each (source, label) group weighs
    ``n ** (1 - BALANCE)`` in total: with ``BALANCE`` 1 every group counts the same, so no large
    source decides what the model learns."""
    from collections import Counter

    from sklearn.linear_model import LogisticRegression

    sizes = Counter(groups)
    weights = [sizes[g] ** -BALANCE for g in groups]
    scale = len(groups) / sum(weights)
    lr = LogisticRegression(C=C[head], solver="liblinear", class_weight=CLASS_WEIGHT, max_iter=1000, random_state=SEED)
    lr.fit(x, list(labels), sample_weight=[w * scale for w in weights])
    return float(lr.intercept_[0]), [float(w) for w in lr.coef_[0]]


@dataclass(frozen=True, slots=True)
class Windows:
    """The windows of every text longer than the window of the head that judges it.

    Attributes:
        owner: The row of each window.
        start: Its start offset in the row's token stream.
        texts: Its whole words (:func:`~.features.window_text`).
    """

    owner: list[int]
    start: list[int]
    texts: list[bytes]


def windows(rows: Sequence[Row], prepared: Sequence[Prepared]) -> Windows:
    """Each text's windows under the head that judges it (``indirect`` for data)."""
    out = Windows([], [], [])
    for i, (r, p) in enumerate(zip(rows, prepared, strict=True)):
        width, stride = WINDOWS["indirect" if r.data else "direct"]
        if width and len(p.stream) > width:
            for start in window_starts(len(p.stream), width, stride):
                out.owner.append(i)
                out.start.append(start)
                out.texts.append(window_text(p.stream, start, width))
    return out


def ablate(stream: bytes, starts: Sequence[int], width: int) -> bytes:
    """``stream`` without the windows at ``starts`` (the pieces left are joined by a break)."""
    keep, pos = [], 0
    for start in sorted(starts):
        if start > pos:
            keep.append(stream[pos:start])
        pos = max(pos, start + width)
    keep.append(stream[pos:])
    return b" | ".join(keep)


def fit_windowed(head: str, x: Any, rows: Sequence[Row], fit: Sequence[int], win: Windows, wx: Any,
                 twins: Callable[[list[tuple[int, list[int]]]], Any]) -> tuple[float, list[float]]:  # fmt: skip
    """Bias and weights of ``head`` on the rows ``fit``, with windows (see the module docstring).

    Args:
        head: The head.
        x: Features of every row.
        rows: Every row.
        fit: The rows to fit on.
        win: Every row's windows.
        wx: Features of every window (its n-grams and its row's rules).
        twins: Features (n-grams only) of rows' token streams without the windows at given starts.
    """
    from scipy.sparse import vstack

    fit_set = set(fit)
    mine = [k for k, i in enumerate(win.owner) if i in fit_set and rows[i].data is (head == "indirect")]
    extra = [k for k in mine if not rows[win.owner[k]].label] if head in NEGATIVE_WINDOWS else []
    xs = vstack([x[list(fit)], wx[extra]]).tocsr()
    labels = [rows[i].label for i in fit] + [False] * len(extra)
    groups = [(rows[i].source, rows[i].label) for i in fit] + [(rows[win.owner[k]].source, False) for k in extra]
    bias, weights = _fit(xs, labels, groups, head)
    if head not in TWINS:
        return bias, weights
    import numpy as np

    # where the attack is, by the n-grams alone: a rule hit counts in every window of its document
    attacks = [k for k in mine if rows[win.owner[k]].label]
    z = wx[attacks] @ np.asarray(weights[: x.shape[1] - len(ALL_RULES)] + [0.0] * len(ALL_RULES)) + bias
    cut: dict[int, list[tuple[float, int]]] = {}
    for k, zk in zip(attacks, z, strict=True):
        cut.setdefault(win.owner[k], []).append((float(zk), win.start[k]))
    # cut every window the head finds attack-like, and the most attack-like one in any case
    wanted = [(i, sorted({max(c)[1]} | {s for zk, s in c if zk > 0.0})) for i, c in sorted(cut.items())]
    xt = twins(wanted)
    xs = vstack([xs, xt]).tocsr()
    return _fit(xs, labels + [False] * len(wanted), groups + [(rows[i].source, False) for i, _ in wanted], head)


def build(rows: Sequence[Row]) -> Model:
    """Train the model on every row."""
    prepared = [prepare(r.text) for r in rows]
    by_head = {h: head_rows(rows, h) for h in ("direct", "indirect")}
    x, vocab, _ = candidates(prepared)
    chosen = select(x, rows, by_head, vocab, range(len(rows)))
    ngrams = union(chosen)
    feats = matrix(prepared, ngrams)
    win = windows(rows, prepared)
    rt = runtime_for(Model(tuple(ngrams), tuple(r.id for r in ALL_RULES), {}))
    wx = _features(rt, [(t, prepared[i].rule_positions) for i, t in zip(win.owner, win.texts, strict=True)],
                   len(ngrams))  # fmt: skip

    def twins(wanted: list[tuple[int, list[int]]]) -> Any:
        width = WINDOWS["indirect"][0]
        return _features(rt, [(ablate(prepared[i].stream, starts, width), []) for i, starts in wanted], len(ngrams))

    heads = {}
    for name, idx in by_head.items():
        bias, weights = fit_pruned(name, feats, rows, idx, win, wx, twins, own_only(name, ngrams, chosen))
        long_from, long_threshold = LONG[name]
        heads[name] = Head(round(bias, DIGITS), tuple(round(w, DIGITS) for w in weights), THRESHOLDS[name],
                           long_threshold, long_from, *WINDOWS[name], NEGATIVE_CAP[name])  # fmt: skip
    return prune(Model(tuple(ngrams), tuple(r.id for r in ALL_RULES), heads))


def fit_pruned(head: str, x: Any, rows: Sequence[Row], fit: Sequence[int], win: Windows, wx: Any, twins: Twins,
               m: Any) -> tuple[float, list[float]]:  # fmt: skip
    """:func:`fit_windowed` on the columns the diagonal mask ``m`` keeps (:func:`own_only`); a head in
    :data:`REFIT` is fitted again on the n-grams whose rounded weight reached :data:`MIN_WEIGHT` and
    comes back as shipped: rounded to :data:`DIGITS`, n-gram weights under :data:`MIN_WEIGHT` zeroed.

    Args:
        head: The head.
        x: Features of every row (n-grams, then rules).
        rows: Every row.
        fit: The rows to fit on.
        win: Every row's windows.
        wx: Features of every window.
        twins: Features of rows' token streams without the windows at given starts.
        m: The columns ``head`` may weigh.
    """
    from scipy.sparse import diags

    bias, weights = fit_windowed(head, (x @ m).tocsr(), rows, fit, win, (wx @ m).tocsr(), masked(twins, m))
    if head not in REFIT:
        return bias, weights
    n = x.shape[1] - len(ALL_RULES)
    keep = [1.0 if j >= n or abs(round(w, DIGITS)) >= MIN_WEIGHT[head] else 0.0 for j, w in enumerate(weights)]
    m = (m @ diags(keep)).tocsr()
    bias, weights = fit_windowed(head, (x @ m).tocsr(), rows, fit, win, (wx @ m).tocsr(), masked(twins, m))
    return round(bias, DIGITS), [_cut(head, j, n, round(w, DIGITS)) for j, w in enumerate(weights)]


def _cut(head: str, j: int, n: int, w: float) -> float:
    """Weight ``w`` of feature ``j`` (of which ``n`` are n-grams) as :func:`prune` leaves it."""
    return 0.0 if j < n and abs(w) < MIN_WEIGHT[head] else w


def prune(model: Model) -> Model:
    """Zero n-gram weights under each head's :data:`MIN_WEIGHT` and drop n-grams left with none
    (fewer reports)."""
    n = len(model.ngrams)
    weights = {k: [_cut(k, j, n, w) for j, w in enumerate(h.weights)] for k, h in model.heads.items()}
    keep = [j for j in range(n) if any(w[j] != 0.0 for w in weights.values())]
    keep += list(range(n, n + len(model.rules)))
    heads = {k: replace(h, weights=tuple(weights[k][j] for j in keep)) for k, h in model.heads.items()}
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
