"""Leave-one-source-out validation of the injection classifier (``train.py --loso``).

For each source repository: choose the n-grams and fit both heads on every other source, then score
the rows of the one left out. The pooled out-of-source scores give the thresholds and the table per
source, which predicts what users will see on sources we never saw. A text longer than its head's
window (:data:`~.recipe.WINDOWS`) scores as its best window or the whole text, whichever is higher,
as at run time (``classifier.Runtime.judge``). Per head, texts shorter than a
length cut and texts at least that long get a threshold each: the pair (and the cut, one of
:data:`LONG_CUTS`) that flags the most attacks while keeping precision ≥ 0.98 with a false positive
rate ≤ 0.5 % on user input and ≤ 1 % on documents and tool outputs; no threshold is under
:data:`MIN_THRESHOLD` (a text is flagged only when an attack is the likelier reading). For a head
without windows the cap on its benign evidence (:data:`~.recipe.NEGATIVE_CAP`) is chosen the same way,
among :data:`NEGATIVE_CAPS`: the one whose best thresholds flag the most attacks. A head in
:data:`~.recipe.REFIT` is fitted, refitted and pruned exactly as shipped (:func:`~.train.fit_pruned`:
rounded weights, none under :data:`~.recipe.MIN_WEIGHT`); the others are scored unpruned (pruned at
0.05, the direct head's in-the-wild figure reads 0.828 instead of 0.831).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from agentstate.processors.detectors import train as T
from agentstate.processors.detectors.features import length, phrases
from agentstate.processors.detectors.prepare import prepare
from agentstate.processors.detectors.recipe import LONG, NEGATIVE_CAP, THRESHOLDS, WINDOWS
from agentstate.processors.detectors.screen import ALL_RULES, rule_score
from agentstate.processors.detectors.train import Row, candidates, head_rows, select, union

TARGET_FPR = {"direct": 0.005, "indirect": 0.01}
TARGET_PRECISION = 0.98
LONG_CUTS = (64, 128, 192, 256, 320, 384, 512)
"""Lengths (tokens) tried as the cut between a head's short and long texts (until 192, 320 and 384
were added the document head's cut was 256: recall 0.562 instead of 0.569, ``recipe.LONG``)."""
MIN_THRESHOLD = 0.5
NEGATIVE_CAPS: tuple[float | None, ...] = (None, 8.0, 7.0, 6.0, 5.0, 4.0, 3.0)
"""Caps on the negative weights present tried for a head without windows (``None``: no cap).

Smaller caps flag more out of source. With the direct head on its own n-grams and C 0.06
(``recipe.OWN_NGRAMS``, ``recipe.C``), in-the-wild jailbreaks: 0.831 at 3, 0.849 at 2 (chosen when
the list reaches 1; short threshold 0.885, long 0.51), user-input precision ≥ 0.98 throughout; but
at 2 the dev set's long benign story and role-play prompt both score over 0.5 although they are
in the training data (dev false positive rate 0.62 % where the target is 0.5 %), so the list stops
at 3. Earlier, on every n-gram with C 0.03: 0.708 uncapped, 0.735 at 8, 0.751 at 7, 0.772 at 5,
0.809 at 3, where below 7 the precision target needed a short-text threshold of 0.875 or more,
under which the dev set's attacks near 0.87 fell (dev recall 0.915–0.926, floor 0.93)."""


@dataclass
class Tally:
    """Confusion counts."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, label: bool, flagged: bool) -> None:
        """Count one row."""
        if label:
            self.tp += flagged
            self.fn += not flagged
        else:
            self.fp += flagged
            self.tn += not flagged

    def line(self) -> str:
        """n, positives, precision, recall, false positive rate."""
        pos, neg = self.tp + self.fn, self.fp + self.tn
        p = f"{self.tp / (self.tp + self.fp):.3f}" if self.tp + self.fp else "  -  "
        r = f"{self.tp / pos:.3f}" if pos else "  -  "
        f = f"{self.fp / neg:.4f}" if neg else "   -  "
        return f"n={pos + neg:5d} pos={pos:5d} precision={p} recall={r} fpr={f}"

    def rates(self) -> str:
        """The same as one line of ``bench/security_eval.py`` (NaN where undefined)."""
        n, pos = self.tp + self.fp + self.fn + self.tn, self.tp + self.fn
        precision = self.tp / (self.tp + self.fp) if self.tp + self.fp else float("nan")
        recall = self.tp / pos if pos else float("nan")
        fpr = self.fp / (self.fp + self.tn) if self.fp + self.tn else float("nan")
        return (f"n={n} positives={pos} precision={precision:.3f} recall={recall:.3f} "
                f"false positive rate={fpr:.4f}")  # fmt: skip


@dataclass(frozen=True, slots=True)
class Logits:
    """One head's out-of-source logits per row, in two parts so a cap on the negative weights can be
    chosen afterwards: the bias plus the positive weights present (or the best window's logit, when
    that is higher than the whole text's), and the negative weights present."""

    positive: list[float]
    negative: list[float]

    def probabilities(self, cap: float | None) -> list[float]:
        """Per row, ``sigmoid`` of the logit with the negative part capped at ``-cap``."""
        import numpy as np

        neg = np.asarray(self.negative)
        z = np.asarray(self.positive) + (neg if cap is None else np.maximum(neg, -cap))
        return [float(p) for p in 1.0 / (1.0 + np.exp(-z))]


def out_of_source(rows: Sequence[Row]) -> tuple[dict[str, Logits], list[float], list[int]]:
    """Per head and row, the logits of the model that never saw the row's source; per row, the tier-0
    rule score (under the head that judges the row) and the length in tokens."""
    import numpy as np
    from scipy.sparse import csr_matrix, hstack

    prepared = [prepare(r.text) for r in rows]
    labels = [r.label for r in rows]
    x, vocab, transform = candidates(prepared)
    col = {g: j for j, g in enumerate(vocab)}
    win = T.windows(rows, prepared)
    xw = transform([phrases(t) for t in win.texts])
    indptr, indices = [0], []
    for p in prepared:
        indices.extend(sorted(set(p.rule_positions)))
        indptr.append(len(indices))
    rules = csr_matrix(([1.0] * len(indices), indices, indptr), shape=(len(rows), len(ALL_RULES)))
    wx_all = hstack([xw, rules[win.owner]]).tocsc()
    by_head = {h: head_rows(rows, h) for h in ("direct", "indirect")}
    logits = {h: Logits([-50.0] * len(rows), [0.0] * len(rows)) for h in by_head}
    for source in sorted({r.source for r in rows}):
        held = [i for i, r in enumerate(rows) if r.source == source]
        held_set = set(held)
        train = [i for i in range(len(rows)) if i not in held_set]
        chosen = select(x, rows, by_head, vocab, train)
        ngrams = union(chosen)
        cols = [col[g] for g in ngrams]
        feats = hstack([x[:, cols], rules]).tocsr()
        wx = wx_all[:, cols + list(range(len(vocab), len(vocab) + len(ALL_RULES)))].tocsr()

        def twins(wanted: list[tuple[int, list[int]]], cols: list[int] = cols) -> Any:
            width = WINDOWS["indirect"][0]
            texts = [phrases(T.ablate(prepared[i].stream, starts, width)) for i, starts in wanted]
            return hstack([transform(texts)[:, cols], csr_matrix((len(wanted), len(ALL_RULES)))]).tocsr()

        held_windows = [k for k, i in enumerate(win.owner) if i in held_set]
        for head, idx in by_head.items():
            fit_rows = [i for i in idx if i not in held_set]
            if len({labels[i] for i in fit_rows}) < 2:
                continue
            bias, weights = T.fit_pruned(head, feats, rows, fit_rows, win, wx, twins, T.own_only(head, ngrams, chosen))
            w, out = np.asarray(weights), logits[head]
            for i, zp, zn in zip(held, feats[held] @ np.maximum(w, 0.0) + bias, feats[held] @ np.minimum(w, 0.0),
                                 strict=True):  # fmt: skip
                out.positive[i], out.negative[i] = float(zp), float(zn)
            for k, zw in zip(held_windows, wx[held_windows] @ w + bias, strict=True):
                i = win.owner[k]
                if (head == "indirect") is rows[i].data and zw > out.positive[i] + out.negative[i]:
                    out.positive[i], out.negative[i] = float(zw), 0.0
        print(f"  fold {source}: {len(held)} rows held out, {len(ngrams)} n-grams", flush=True)
    tier0 = [rule_score(p.hits, r.data) for p, r in zip(prepared, rows, strict=True)]
    return logits, tier0, [length(p.stream) for p in prepared]


def choose_thresholds(
    probs: Sequence[float], tier0: Sequence[bool], labels: Sequence[bool], tokens: Sequence[int], max_fpr: float
) -> tuple[float, int, float]:
    """Short-text threshold, length cut and long-text threshold (0.005 steps from :data:`MIN_THRESHOLD`).

    The triple at which "classifier or tier 0" flags the most attacks while meeting the false
    positive rate and precision targets; among equals, the first cut and the lowest thresholds.
    """
    import numpy as np

    p, t0 = np.asarray(probs, dtype=float), np.asarray(tier0, dtype=bool)
    y, n = np.asarray(labels, dtype=bool), np.asarray(tokens)
    grid = np.arange(round(MIN_THRESHOLD * 200), 200) / 200
    neg = max(1, int((~y).sum()))
    best: tuple[int, float, int, float] = (-1, 1.0, LONG_CUTS[0], 1.0)
    for cut in LONG_CUTS:
        counts = []
        for part in (n < cut, n >= cut):
            flagged = (p[part][None, :] >= grid[:, None]) | t0[part][None, :]
            counts.append(((flagged & y[part]).sum(axis=1), (flagged & ~y[part]).sum(axis=1)))
        tp = counts[0][0][:, None] + counts[1][0][None, :]
        fp = counts[0][1][:, None] + counts[1][1][None, :]
        ok = (fp <= max_fpr * neg) & (tp >= TARGET_PRECISION * (tp + fp))
        score = np.where(ok, tp, -1)
        a, b = np.unravel_index(int(np.argmax(score)), score.shape)
        if score[a, b] > best[0]:
            best = (int(score[a, b]), float(grid[a]), cut, float(grid[b]))
    return best[1], best[2], best[3]


def run(rows: Sequence[Row]) -> None:
    """Print the thresholds and the per-source, per-category and per-slice tables."""
    logits, tier0, tokens = out_of_source(rows)
    probs = {head: logits[head].probabilities(NEGATIVE_CAP[head]) for head in logits}
    prob = [probs["indirect" if r.data else "direct"][i] for i, r in enumerate(rows)]
    for head, is_data in (("direct", False), ("indirect", True)):
        idx = [i for i, r in enumerate(rows) if r.data is is_data]
        caps = NEGATIVE_CAPS if not WINDOWS[head][0] else (None,)
        best: tuple[int, float | None, tuple[float, int, float]] | None = None
        for cap in caps:
            p = logits[head].probabilities(cap)
            short, cut, long = choose_thresholds([p[i] for i in idx], [tier0[i] >= 1.0 for i in idx],
                                                 [rows[i].label for i in idx], [tokens[i] for i in idx],
                                                 TARGET_FPR[head])  # fmt: skip
            tp = sum(rows[i].label and (tier0[i] >= 1.0 or p[i] >= (long if tokens[i] >= cut else short)) for i in idx)
            print(f"  {head} negative cap {cap}: thresholds {short:.3f}, from {cut} tokens {long:.3f}: {tp} attacks")
            if best is None or tp > best[0]:
                best = (tp, cap, (short, cut, long))
        assert best is not None
        short, cut, long = best[2]
        print(f"threshold {head}: chosen negative cap {best[1]}, {short:.3f}, from {cut} tokens {long:.3f} "
              f"(shipped {NEGATIVE_CAP[head]}, {THRESHOLDS[head]:.3f}, from {LONG[head][0]} tokens "
              f"{LONG[head][1]:.3f})")  # fmt: skip

    def thr(i: int) -> float:
        head = "indirect" if rows[i].data else "direct"
        return LONG[head][1] if tokens[i] >= LONG[head][0] else THRESHOLDS[head]

    deciders: dict[str, Callable[[int], bool]] = {
        "model": lambda i: prob[i] >= thr(i),
        "tier0": lambda i: tier0[i] >= 1.0,
        "model|tier0": lambda i: prob[i] >= thr(i) or tier0[i] >= 1.0,
    }
    for name, decide in deciders.items():
        _table(name, rows, decide)
    _examples(rows, prob, deciders["model|tier0"])


def _examples(rows: Sequence[Row], prob: Sequence[float], decide: Callable[[int], bool], n: int = 10) -> None:
    """Print the first false positives and one miss per source and category in turn (short excerpts)."""
    fps = [i for i, r in enumerate(rows) if not r.label and decide(i)]
    misses: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        if r.label and not decide(i):
            misses[(r.source, r.category)].append(i)
    spread = [idx[0] for _, idx in sorted(misses.items(), key=lambda kv: -len(kv[1]))]
    for title, picked in (("false positives", sorted(fps, key=lambda i: -prob[i])[:n]), ("misses", spread[:n])):
        print(f"\n== {title} (leave-one-source-out) ==")
        for i in picked:
            excerpt = " ".join(rows[i].text.split())[:110]
            print(f"p={prob[i]:.2f} {rows[i].source} | {rows[i].category} | {excerpt}")


def _table(name: str, rows: Sequence[Row], decide: Callable[[int], bool]) -> None:
    groups: dict[str, dict[str, Tally]] = {"source": defaultdict(Tally), "category": defaultdict(Tally),
                                           "slice": defaultdict(Tally)}  # fmt: skip
    for i, r in enumerate(rows):
        flagged = decide(i)
        groups["source"][r.source].add(r.label, flagged)
        groups["category"][_family(r.category)].add(r.label, flagged)
        for s in _slices(r):
            groups["slice"][s].add(r.label, flagged)
    print(f"\n== decision: {name} (leave-one-source-out) ==")
    for kind, tallies in groups.items():
        for key in sorted(tallies):
            print(f"{kind:8s} {key[:58]:58s} {tallies[key].line()}")


def _family(category: str) -> str:
    head, _, rest = category.partition(":")
    if head == "direct" and rest.startswith("cyberseceval"):
        return "direct:cyberseceval"
    if head == "indirect":
        return "indirect:" + rest.split("_")[0] + "_" + (rest.split("_")[1] if "_" in rest else "")
    return category.split(":")[0] + (":" + rest if head in ("benign", "direct") else "")


def _slices(r: Row) -> list[str]:
    out = ["all: user input" if not r.data else "all: documents and tool outputs"]
    if r.category == "jailbreak_in_the_wild":
        out.append("in-the-wild jailbreaks")
    if "prompt_leaking" in r.category:
        out.append("prompt_leaking")
    if r.category.startswith("xstest"):
        out.append("xstest hard negatives")
    return out
