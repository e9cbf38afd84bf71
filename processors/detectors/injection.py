"""Prompt injection and jailbreak (direct), and indirect injection in tool outputs and documents.

Direct: user input — the ``user`` messages of a model call's new turn (those after the model's last
answer; earlier ones were scanned when they were new), and the generic input of agent, workflow and
chain spans. Indirect: text that reaches the model as data — tool results, ``tool`` messages in
a model's input, retrieved documents — where instructions addressed to the assistant and fake role
markers are themselves the attack, so those rules weigh more (``Rule.indirect_weight``).

Each text is prepared once (``prepare.py``: clipped, normalised, screened by the tier-0 rules in one
Hyperscan scan) and scored by the tier-1 classifier (``classifier.py``; the ``direct`` head for
user input, the ``indirect`` head for data). A text is flagged when the rules' weights reach
:data:`THRESHOLD` or the classifier's probability reaches its head's threshold; the rule hits, or
else the classifier's strongest n-gram, give the alert's evidence.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from agentstate.processors.detectors import classifier
from agentstate.processors.detectors.alert import Alert, Category, Severity, evidence
from agentstate.processors.detectors.features import length
from agentstate.processors.detectors.prepare import MAX_SCAN_CHARS, prepare
from agentstate.processors.detectors.screen import Hit, rule_score
from agentstate.semconv.span_record import Message, NormalizedSpan, SpanCategory, new_turn

__all__ = ["MAX_SCAN_CHARS", "THRESHOLD", "Hit", "Score", "score_text", "score_texts"]

THRESHOLD: Final = 1.0
"""Tier-0 score (summed rule weights) at which a text is flagged whatever the classifier says."""
_KEEP_TEXT: Final = 256
HIGH_PROBABILITY: Final = 0.99
"""Classifier probability from which an alert is of high severity."""


@dataclass(slots=True)
class Score:
    """The verdict on one text (never modified: the memo shares it; not ``frozen``, whose
    ``__init__`` costs 0.7 µs against 0.16, once per text scored).

    Attributes:
        score: Tier-0 score (summed weights of the rules that matched).
        hits: The rules that matched, for the evidence.
        text: The clipped, normalised text the offsets refer to.
        probability: Tier-1 classifier probability.
        threshold: The classifier head's decision threshold for the text's length (its short-text one
            where the probability is under both: unflagged either way).
        head: The classifier head that judged the text.
        features: The classifier features present (to find evidence when no rule matched).
    """

    score: float
    hits: tuple[Hit, ...]
    text: str
    probability: float = 0.0
    threshold: float = 1.0
    head: str = "direct"
    features: tuple[int, ...] = ()

    @property
    def top_ngram(self) -> str | None:
        """The n-gram present with the largest positive weight (looked up only for an alert)."""
        model = classifier.shipped().model
        weights = model.heads[self.head].weights
        grams = [f for f in self.features if f < model.rule_offset and weights[f] > 0]
        return model.ngrams[max(grams, key=lambda f: weights[f])] if grams else None

    @property
    def flagged(self) -> bool:
        """Whether the rules reach :data:`THRESHOLD` or the classifier its head's threshold."""
        return self.score >= THRESHOLD or self.probability >= self.threshold

    @property
    def strength(self) -> float:
        """One number to rank verdicts: the stronger of the two tiers (each scaled so 1 is certain)."""
        return max(self.probability, min(1.0, self.score / (2 * THRESHOLD)))

    @property
    def jailbreak(self) -> bool:
        """Whether the strongest evidence is a jailbreak technique rather than an injection."""
        top = max(self.hits, key=lambda h: h.rule.weight, default=None)
        return top is not None and top.rule.id.startswith("jailbreak.")


@lru_cache(maxsize=4096)
def score_text(text: str, indirect: bool = False, *, precheck: bool = True) -> Score:
    """Score one text with both tiers (memoised: agent traces resend the same messages).

    Args:
        text: Raw text (clipped and normalised here).
        indirect: Whether the text is data (tool output, document) rather than user input.
        precheck: Run only the rules Hyperscan reports (``False`` runs every pattern; for tests).
    """
    p = prepare(text, precheck=precheck)
    runtime = classifier.shipped()
    name = "indirect" if indirect else "direct"
    head = runtime.model.heads[name]
    features, probability = runtime.judge(p.stream, p.rule_positions, name)  # best window of a long document
    hits = p.hits
    if hits and not indirect:
        hits = tuple(h for h in hits if not h.rule.id.startswith("indirect."))
    # the length (a count over the whole stream, ~2 µs per 2 KB) only matters where the text may be
    # flagged: under both thresholds the verdict is "not flagged" whichever applies
    threshold = head.threshold if probability < runtime.lowest[name] else head.threshold_for(length(p.stream))
    score = rule_score(p.hits, indirect) if p.hits else 0.0
    if score >= THRESHOLD or probability >= threshold or len(p.norm) <= _KEEP_TEXT:
        return Score(score, hits, p.norm, probability, threshold, name, tuple(features))
    # the cache holds thousands of verdicts: keep long texts only where an alert needs evidence
    return Score(score, hits, p.norm[:_KEEP_TEXT], probability, threshold, name)


def score_texts(texts: Iterable[tuple[str, bool]]) -> list[Score]:
    """Score a batch of ``(text, indirect)`` pairs; each distinct pair is scored once.

    Calls :func:`score_text` exactly as the detectors do (positional ``indirect``: ``lru_cache``
    keys keyword and positional calls apart), so the detectors then find every verdict cached.
    """
    return [score_text(text, indirect) for text, indirect in texts]


def texts_to_score(span: NormalizedSpan) -> list[tuple[str, bool]]:
    """Every ``(text, indirect)`` pair the two detectors will score for ``span``: what
    :func:`_user_texts` and :func:`_data_texts` yield, in that order, built without generators (this
    runs for every span of every batch)."""
    turn = _new_turn(span)
    out = [(m.content, False) for m in turn if m.role == "user" and m.content]
    if span.input_text and span.category in _INPUT_CATEGORIES:
        out.append((span.input_text, False))
    if span.tool_result:
        out.append((span.tool_result, True))
    for m in turn:
        if m.role == "tool" and m.content:
            out.append((m.content, True))
    for doc in span.documents:
        out.append((doc, True))
    return out


def detect_prompt_injection(span: NormalizedSpan) -> list[Alert]:
    """Flag injection and jailbreak attempts in user input (one alert per span, strongest text)."""
    best: Score | None = None
    for text in _user_texts(span):
        result = score_text(text, False)
        if result.flagged and (best is None or result.strength > best.strength):
            best = result
    if best is None:
        return []
    category = Category.JAILBREAK if best.jailbreak else Category.PROMPT_INJECTION
    return [_alert(best, category.value, category, "user input")]


def detect_indirect_injection(span: NormalizedSpan) -> list[Alert]:
    """Flag instructions arriving inside tool results, tool messages and retrieved documents."""
    best: tuple[Score, str] | None = None
    for text, where in _data_texts(span):
        result = score_text(text, True)
        if result.flagged and (best is None or result.strength > best[0].strength):
            best = (result, where)
    if best is None:
        return []
    return [_alert(best[0], Category.INDIRECT_INJECTION.value, Category.INDIRECT_INJECTION, best[1])]


def _alert(result: Score, rule_id: str, category: Category, where: str) -> Alert:
    techniques = list(dict.fromkeys(h.rule.id for h in result.hits))
    if result.probability >= result.threshold:
        techniques.append(f"classifier p={result.probability:.2f}")
    high = result.score >= 2 * THRESHOLD or result.probability >= HIGH_PROBABILITY
    snippet = evidence(result.text, *_where(result))
    return Alert(rule_id, category, Severity.HIGH if high else Severity.MEDIUM, round(result.strength, 2), snippet,
                 f"{category.value} in {where}: {', '.join(techniques)}")  # fmt: skip


def _where(result: Score) -> tuple[int, int]:
    """Offsets of the evidence: the first rule hit, else the classifier's strongest n-gram."""
    if result.hits:
        first = min(result.hits, key=lambda h: h.start)
        return first.start, first.end
    if (top := result.top_ngram) is not None:
        words = r"[^a-z0-9_]+".join(top.split())
        if (m := re.search(rf"(?<![a-z0-9_]){words}(?![a-z0-9_])", result.text)) is not None:
            return m.start(), m.end()
    return 0, min(len(result.text), 80)


def _new_turn(span: NormalizedSpan) -> tuple[Message, ...]:
    """Messages after the model's last answer: earlier ones were scanned when they were new (the
    workers' batches carry only these: ``span_batch.SCHEMA``)."""
    return new_turn(span.input_messages)


_INPUT_CATEGORIES: Final = (SpanCategory.AGENT, SpanCategory.WORKFLOW)
"""Spans whose generic input is user input."""


def _user_texts(span: NormalizedSpan) -> Iterator[str]:
    for message in _new_turn(span):
        if message.role == "user" and message.content:
            yield message.content
    if span.input_text and span.category in _INPUT_CATEGORIES:
        yield span.input_text


def _data_texts(span: NormalizedSpan) -> Iterator[tuple[str, str]]:
    if span.tool_result:
        yield span.tool_result, f"result of tool {span.tool_name or '?'}"
    for message in _new_turn(span):
        if message.role == "tool" and message.content:
            yield message.content, "tool message sent to the model"
    for doc in span.documents:
        yield doc, "retrieved document"
