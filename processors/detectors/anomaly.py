"""Token explosion, excessive latency and cost spikes against a robust rolling baseline.

Per key (model, agent or workflow, and metric) the baseline keeps the last ``window`` values and
flags a value above ``median + k·MAD`` (k = 6 by default; MAD is the median absolute deviation, so a
few earlier outliers do not move the baseline). Nothing is flagged until ``min_samples`` values have
been seen. A value is compared with the baseline *before* it is added to it; the values of one batch
(:meth:`RobustBaseline.anomalies_among`) are all compared with the baseline as it stood before the
batch, then added together: one median and MAD per key and batch instead of per value, and a burst
cannot raise its own baseline. Output tokens above the request's ``max_tokens`` are flagged at once.
"""

from __future__ import annotations

import bisect
from collections import OrderedDict, deque
from collections.abc import Sequence
from typing import Final

from agentstate.processors.detectors.alert import Alert, Category, Severity
from agentstate.semconv.value_record import record

DEFAULT_K: Final = 6.0


@record
class Verdict:
    """A baseline comparison.

    Attributes:
        value: The observed value.
        median: Baseline median.
        mad: Baseline median absolute deviation (floored, see :class:`RobustBaseline`).
        limit: ``median + k·mad``.
        anomalous: Whether ``value > limit``.
    """

    value: float
    median: float
    mad: float
    limit: float
    anomalous: bool

    @property
    def sigmas(self) -> float:
        """How many MADs above the median the value is."""
        return (self.value - self.median) / self.mad if self.mad else 0.0


class RobustBaseline:
    """Rolling median + k·MAD per key, bounded in keys and in values per key.

    Args:
        window: Values kept per key.
        min_samples: Values needed before anything is flagged.
        k: Multiple of MAD above the median that is anomalous.
        min_mad_ratio: MAD floor as a fraction of the median (a perfectly steady series has MAD 0).
        min_mad: Absolute MAD floor, in the metric's unit.
        max_keys: Keys remembered (least recently used forgotten first).
    """

    __slots__ = ("_k", "_keys", "_max_keys", "_min_mad", "_min_mad_ratio", "_min_samples", "_window")

    def __init__(self, window: int = 200, min_samples: int = 30, k: float = DEFAULT_K,
                 min_mad_ratio: float = 0.05, min_mad: float = 1.0, max_keys: int = 10_000) -> None:  # fmt: skip
        self._window, self._min_samples, self._k = window, min_samples, k
        self._min_mad_ratio, self._min_mad, self._max_keys = min_mad_ratio, min_mad, max_keys
        self._keys: OrderedDict[tuple[str, ...], _Series] = OrderedDict()

    def observe(self, key: tuple[str, ...], value: float) -> Verdict | None:
        """Compare ``value`` with the baseline of ``key``, then add it; ``None`` while warming up."""
        series = self._series(key)
        verdict = None
        if len(series.ranked) >= self._min_samples:
            median, mad, limit = self._limit(series)
            verdict = Verdict(value, median, mad, limit, value > limit)
        series.add(value, self._window)
        return verdict

    def anomalies_among(self, key: tuple[str, ...], values: Sequence[float]) -> list[tuple[int, Verdict]]:
        """Compare every value of one batch with the baseline of ``key`` before the batch, then add them.

        Returns ``(position in values, verdict)`` for the anomalous values only; nothing while the
        baseline is warming up. For one value this is :meth:`observe`.
        """
        series = self._series(key)
        out: list[tuple[int, Verdict]] = []
        if len(series.ranked) >= self._min_samples:
            median, mad, limit = self._limit(series)
            out = [(i, Verdict(v, median, mad, limit, True)) for i, v in enumerate(values) if v > limit]
        series.extend(values, self._window)
        return out

    def _series(self, key: tuple[str, ...]) -> _Series:
        series = self._keys.get(key)
        if series is None:
            series = self._keys[key] = _Series()
            if len(self._keys) > self._max_keys:
                self._keys.popitem(last=False)
        else:
            self._keys.move_to_end(key)
        return series

    def _limit(self, series: _Series) -> tuple[float, float, float]:
        median, mad = series.stats()
        mad = max(mad, self._min_mad_ratio * abs(median), self._min_mad)
        return median, mad, median + self._k * mad


class _Series:
    """One key's window: arrival order, sorted values, and (median, MAD) refreshed every few values."""

    __slots__ = ("_stale", "_stats", "order", "ranked")

    REFRESH = 8
    """The MAD costs a sort; between refreshes a few values more or less do not move a robust statistic."""

    def __init__(self) -> None:
        self.order: deque[float] = deque()
        self.ranked: list[float] = []
        self._stats = (0.0, 0.0)
        self._stale = self.REFRESH

    def add(self, value: float, window: int) -> None:
        self.order.append(value)
        bisect.insort(self.ranked, value)
        if len(self.order) > window:
            del self.ranked[bisect.bisect_left(self.ranked, self.order.popleft())]
        self._stale += 1

    def extend(self, values: Sequence[float], window: int) -> None:
        if len(values) < 16:
            for v in values:
                self.add(v, window)
            return
        self.order.extend(values)
        while len(self.order) > window:
            self.order.popleft()
        self.ranked = sorted(self.order)
        self._stale += len(values)

    def stats(self) -> tuple[float, float]:
        if self._stale >= self.REFRESH:
            median = _median(self.ranked)
            self._stats = (median, mad(self.ranked, median))
            self._stale = 0
        return self._stats


def _median(ranked: list[float]) -> float:
    n = len(ranked)
    mid = n // 2
    return ranked[mid] if n % 2 else (ranked[mid - 1] + ranked[mid]) / 2


def mad(ranked: list[float], median: float) -> float:
    """Median of ``|v - median|`` over the sorted ``ranked``, without building and sorting the deviations.

    The deviations below the median (read leftwards) and above it (read rightwards) are two sorted
    sequences, so their k-th smallest is found by bisection in O(log n); equal to
    ``_median(sorted(abs(v - median) for v in ranked))`` (``m - v`` and ``v - m`` round alike).
    """
    n = len(ranked)
    if n == 0:
        return 0.0
    split = bisect.bisect_left(ranked, median)
    mid = n // 2
    if n % 2:
        return _kth(ranked, median, split, mid)
    return (_kth(ranked, median, split, mid - 1) + _kth(ranked, median, split, mid)) / 2


def _kth(ranked: list[float], median: float, split: int, k: int) -> float:
    """The ``k``-th smallest (0-based) of ``median - ranked[split-1-i]`` and ``ranked[split+j] - median``."""
    na, nb, take = split, len(ranked) - split, k + 1
    lo, hi = max(0, take - nb), min(na, take)
    while True:
        i = (lo + hi) // 2  # deviations taken from below; the rest from above
        j = take - i
        if i < na and j > 0 and ranked[split + j - 1] - median > median - ranked[split - 1 - i]:
            lo = i + 1
        elif i > 0 and j < nb and median - ranked[split - i] > ranked[split + j] - median:
            hi = i - 1
        else:
            left = median - ranked[split - i] if i > 0 else float("-inf")
            right = ranked[split + j - 1] - median if j > 0 else float("-inf")
            return max(left, right)


def _severity(verdict: Verdict) -> Severity:
    return Severity.HIGH if verdict.value > verdict.median + 4 * (verdict.limit - verdict.median) else Severity.MEDIUM


def _alert(rule_id: str, category: Category, what: str, verdict: Verdict, unit: str) -> Alert:
    return Alert(
        rule_id=rule_id,
        category=category,
        severity=_severity(verdict),
        score=round(verdict.sigmas, 1),
        evidence=f"{what}: {verdict.value:g}{unit} vs median {verdict.median:g}{unit} "
        f"(limit {verdict.limit:g}{unit}, {verdict.sigmas:.1f} MAD)",
        message=f"{what} {verdict.value:g}{unit} is {verdict.sigmas:.1f} MADs above the median",
    )


def over_max_tokens(output_tokens: int, max_tokens: int | None) -> Alert | None:
    """The alert for output tokens above the request's own ``max_tokens``, if they are."""
    if max_tokens is None or not output_tokens > max_tokens > 0:
        return None
    text = f"output tokens {output_tokens} exceed max_tokens {max_tokens}"
    return Alert("token_explosion", Category.TOKEN_EXPLOSION, Severity.HIGH, output_tokens / max_tokens, text, text)


def token_alert(verdict: Verdict) -> Alert:
    """The alert for output tokens far above their baseline."""
    return _alert("token_explosion", Category.TOKEN_EXPLOSION, "output tokens", verdict, "")


def latency_alert(verdict: Verdict) -> Alert:
    """The alert for a duration far above its baseline."""
    return _alert("latency_anomaly", Category.LATENCY, "duration", verdict, " ms")


def cost_alert(verdict: Verdict) -> Alert:
    """The alert for a cost far above its baseline."""
    return _alert("cost_spike", Category.COST_SPIKE, "cost", verdict, " USD")
