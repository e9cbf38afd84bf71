"""Prompt injection and jailbreak (direct), and indirect injection in tool outputs and documents.

Direct: user input — the ``user`` messages of a model call's new turn (those after the model's last
answer; earlier ones were scanned when they were new), and the generic input of agent, workflow and
chain spans. Indirect: text that reaches the model as data — tool results, ``tool`` messages in
a model's input, retrieved documents — where instructions addressed to the assistant and fake role
markers are themselves the attack, so those rules weigh more (``Rule.indirect_weight``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from agentstate.processors.detectors.alert import Alert, Category, Severity, evidence
from agentstate.processors.detectors.injection_gates import GATES, compile_gate, is_open
from agentstate.processors.detectors.injection_rules import (
    INDIRECT_RULES,
    NEGATIONS,
    RULES,
    Rule,
    normalize_text,
)
from agentstate.semconv.record import Message, NormalizedSpan, SpanCategory

THRESHOLD: Final = 1.0
"""Score at which a text is flagged."""

_KEY_LEN: Final = 4
_STRIP: Final = "\"'`()[]{}<>*#_-.,;:!?/\\|~=+&%$@^"


def _key(needle: str) -> str:
    return needle.split(" ", 1)[0][:_KEY_LEN]


_SYMBOLIC: Final = {r.id: tuple(n for n in r.needles if not n[0].isalnum()) for r in (*RULES, *INDIRECT_RULES)}
_WORDS: Final = {r.id: frozenset(_key(n) for n in r.needles if n[0].isalnum()) for r in (*RULES, *INDIRECT_RULES)}
"""Per rule: symbol needles (plain substrings) and word needles (first four letters of a word)."""
_PLAN: Final = tuple(
    (rule, compile_gate(GATES[rule.id]) if rule.id in GATES else None, rule.indirect_weight)
    for rule in (*RULES, *INDIRECT_RULES)
)
_DIRECT: Final = len(RULES)
"""Every rule, direct ones first, with its gate and indirect weight (looked up once, not per text)."""


def _index(needles: Mapping[str, Iterable[str]]) -> dict[str, tuple[int, ...]]:
    out: dict[str, list[int]] = {}
    for i, (rule, _, _) in enumerate(_PLAN):
        for needle in needles[rule.id]:
            out.setdefault(needle, []).append(i)
    return {k: tuple(v) for k, v in out.items()}


_BY_WORD: Final = _index(_WORDS)
_BY_SYMBOL: Final = _index(_SYMBOLIC)
_WORD_KEYS: Final = frozenset(_BY_WORD)
"""Positions in :data:`_PLAN` (rule, gate, indirect weight) of the rules each needle lets through."""

MAX_SCAN_CHARS: Final = 32_768
"""Longest text scanned; beyond it the head and the tail are scanned (attacks sit at either end)."""


@dataclass(frozen=True, slots=True)
class Hit:
    """A rule that matched, with its position in the normalised text."""

    rule: Rule
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Score:
    """The verdict on one text."""

    score: float
    hits: tuple[Hit, ...]
    text: str

    @property
    def flagged(self) -> bool:
        """Whether the score reaches :data:`THRESHOLD`."""
        return self.score >= THRESHOLD

    @property
    def jailbreak(self) -> bool:
        """Whether the strongest evidence is a jailbreak technique rather than an injection."""
        top = max(self.hits, key=lambda h: h.rule.weight, default=None)
        return top is not None and top.rule.id.startswith("jailbreak.")


@lru_cache(maxsize=2048)
def score_text(text: str, indirect: bool = False, *, precheck: bool = True) -> Score:
    """Score one text against the tier-0 rules (memoised: agent traces resend the same messages).

    Args:
        text: Raw text (normalised here).
        indirect: Whether the text is data (tool output, document) rather than user input.
        precheck: Skip rules none of whose needles occur (``False`` runs every pattern; for tests).
    """
    if len(text) > MAX_SCAN_CHARS:
        half = MAX_SCAN_CHARS // 2
        text = text[:half] + "\n" + text[-half:]
    norm = normalize_text(text)
    hits: list[Hit] = []
    total = 0.0
    limit = len(_PLAN) if indirect else _DIRECT
    vocab = ""
    if precheck:
        words = set(norm.split())
        vocab = " ".join(words)
        todo: set[int] = set()
        for key in {w.strip(_STRIP)[:_KEY_LEN] for w in words} & _WORD_KEYS:
            todo.update(_BY_WORD[key])
        for symbol, positions in _BY_SYMBOL.items():
            if symbol in vocab:  # symbol needles hold no space: each lies inside one word
                todo.update(positions)
        order: Iterable[int] = sorted(i for i in todo if i < limit)
    else:
        order = range(limit)
    for i in order:
        rule, gate, weight = _PLAN[i]
        if precheck and gate is not None and not is_open(gate, norm, vocab):
            continue  # a literal every match must contain is absent: the pattern cannot match
        if (m := _search(rule, norm)) is None:
            continue
        hits.append(Hit(rule, m.start(), m.end()))
        total += weight if indirect and weight is not None else rule.weight
    return Score(total, tuple(hits), norm)


def _search(rule: Rule, text: str) -> re.Match[str] | None:
    """The first match of ``rule`` that is not negated."""
    if not rule.negatable:
        return rule.pattern.search(text)
    for m in rule.pattern.finditer(text):
        if not text[max(0, m.start() - 8) : m.start()].endswith(NEGATIONS):
            return m
    return None


def detect_prompt_injection(span: NormalizedSpan) -> list[Alert]:
    """Flag injection and jailbreak attempts in user input (one alert per span, strongest text)."""
    best: Score | None = None
    for text in _user_texts(span):
        result = score_text(text)
        if result.flagged and (best is None or result.score > best.score):
            best = result
    if best is None:
        return []
    category = Category.JAILBREAK if best.jailbreak else Category.PROMPT_INJECTION
    return [_alert(best, category.value, category, "user input")]


def detect_indirect_injection(span: NormalizedSpan) -> list[Alert]:
    """Flag instructions arriving inside tool results, tool messages and retrieved documents."""
    best: tuple[Score, str] | None = None
    for text, where in _data_texts(span):
        result = score_text(text, indirect=True)
        if result.flagged and (best is None or result.score > best[0].score):
            best = (result, where)
    if best is None:
        return []
    return [_alert(best[0], Category.INDIRECT_INJECTION.value, Category.INDIRECT_INJECTION, best[1])]


def _alert(result: Score, rule_id: str, category: Category, where: str) -> Alert:
    first = min(result.hits, key=lambda h: h.start)
    techniques = ", ".join(dict.fromkeys(h.rule.id for h in result.hits))
    severity = Severity.HIGH if result.score >= 2 * THRESHOLD else Severity.MEDIUM
    snippet = evidence(result.text, first.start, first.end)
    return Alert(
        rule_id, category, severity, round(result.score, 2), snippet, f"{category.value} in {where}: {techniques}"
    )


def _new_turn(span: NormalizedSpan) -> tuple[Message, ...]:
    """Messages after the model's last answer: earlier ones were scanned when they were new."""
    messages = span.input_messages
    for i in range(len(messages) - 1, -1, -1):
        if messages[i].role == "assistant":
            return messages[i + 1 :]
    return messages


def _user_texts(span: NormalizedSpan) -> Iterator[str]:
    for message in _new_turn(span):
        if message.role == "user" and message.content:
            yield message.content
    if span.category in (SpanCategory.AGENT, SpanCategory.WORKFLOW) and span.input_text:
        yield span.input_text


def _data_texts(span: NormalizedSpan) -> Iterator[tuple[str, str]]:
    if span.tool_result:
        yield span.tool_result, f"result of tool {span.tool_name or '?'}"
    for message in _new_turn(span):
        if message.role == "tool" and message.content:
            yield message.content, "tool message sent to the model"
    for doc in span.documents:
        yield doc, "retrieved document"
