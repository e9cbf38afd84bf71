"""Measure the security detectors on labelled CSV files.

Usage::

    python bench/security_eval.py [CSV ...] [--detector injection|pii] [--pii-extended]
    python bench/security_eval.py --loso [--data DIR]

Each CSV needs a ``text`` and a ``label`` column (``1``: should be flagged). Without arguments the
files in ``../shared/data/security/`` (relative to the repository root) are used. Each row's text is
put in one span, where its ``field`` column says it goes — ``user_message``, ``system_prompt``,
``tool_result``, ``document`` or ``llm_output`` — and judged by the security engine exactly as the
worker judges spans (so a document is judged as a document). Without a ``field`` column, rows of
kind ``indirect`` and benign documents or tool outputs (a ``kind``/``category`` column, as in the
training data) are tool results; other rows are the user's message for the injection detectors and
the model's answer for the PII detectors. A row counts as flagged when any detector of the selected
family fires (injection: direct and indirect injection; pii: PII and secret leakage; default: all).

For each file the script prints one line with precision, recall and false positive rate, then the
same rates per category (``category`` or ``entity_type`` column) and per source (``source_repo``
column), the p50/p99 detection latency per span and the CPU time per text. A file with rows of the
types the reference (§3) sets the PII/secret target for gets a ``reference types`` line under its
file line (pii and default families): recall on those rows, false positives over every negative row
of the file, and a ``secret_leak alerts only`` line when that alert fired on any row: the same rates
with a row flagged only by the secret alert (the target of ``secrets_dev.csv``). ``--loso`` prints
the classifier's leave-one-source-out table from the training data.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from agentstate.processors.detectors.engine import EngineConfig, SecurityEngine
from agentstate.processors.detectors.loso import Tally
from agentstate.processors.pricing import SpanRef
from agentstate.semconv.redaction import EXTENDED_TYPES, Redactor
from agentstate.semconv.span_record import Message, NormalizedSpan, Operation

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DIR = ROOT.parent / "shared" / "data" / "security"
CATEGORY_COLUMNS = ("category", "entity_type", "type")
REFERENCE_TYPES = frozenset({
    "CREDIT_CARD", "EMAIL", "EMAIL_ADDRESS", "US_SSN", "PHONE", "PHONE_NUMBER", "IBAN", "IBAN_CODE",
    "IP_ADDRESS", "IP_OR_VERSION", "SECRET", "OPENAI_KEY", "OPENAI_API_KEY", "ANTHROPIC_KEY",
    "ANTHROPIC_API_KEY", "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_KEY", "GITHUB_TOKEN",
    "SLACK_TOKEN", "STRIPE_KEY", "JWT",
})  # fmt: skip
"""Categories (upper-cased) of the types with a recall target in the reference §3: cards, e-mails, US
SSNs, phones, IBANs, IPs and OpenAI/Anthropic/AWS/GitHub/Slack/Stripe keys and JWTs (``SECRET`` is
the keys-and-tokens category of the shared set). Dates, URLs, passports, NHS numbers and wallets are
not among them."""

FIELDS = ("user_message", "system_prompt", "tool_result", "document", "llm_output")
DATA_CATEGORIES = frozenset({"benign:agent_env_document", "benign:clean_tool_output", "benign:code_or_docs_chunk",
                             "benign:document_for_task"})  # fmt: skip
"""Benign rows of the training data that are documents or tool outputs (judged as tool results)."""
DEFAULT_FIELD = {"injection": "user_message", "pii": "llm_output"}
"""Where a row without a ``field`` goes, per detector family."""

Detector = Callable[[Mapping[str, str]], set[str]]
"""A row's fired rule IDs (``prompt_injection``, ``secret_leak`` …; empty: not flagged)."""
SECRET_RULE = "secret_leak"


@dataclass
class FileResult:
    """Results of one file."""

    total: Tally = field(default_factory=Tally)
    reference: Tally = field(default_factory=Tally)
    secrets: Tally = field(default_factory=Tally)
    """The file's rows judged by the ``secret_leak`` alert alone (an e-mail or IP found in a row of
    a secrets file raises ``pii_leak``: right for the PII family, not a secret found)."""
    by_category: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    by_source: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    latencies_us: list[float] = field(default_factory=list)
    cpu_ns: int = 0


def span_for(text: str, where: str = "user_message") -> NormalizedSpan:
    """A span carrying ``text`` in the one place ``where`` names (one of :data:`FIELDS`)."""
    if where == "tool_result":
        return NormalizedSpan(operation=Operation.EXECUTE_TOOL, tool_name="eval", tool_result=text)
    if where == "document":
        return NormalizedSpan(operation=Operation.RETRIEVAL, documents=(text,))
    if where == "llm_output":
        return NormalizedSpan(operation=Operation.CHAT, output_messages=(Message("assistant", text),))
    if where == "system_prompt":
        return NormalizedSpan(operation=Operation.CHAT, input_messages=(Message("system", text),))
    if where == "user_message":
        return NormalizedSpan(operation=Operation.CHAT, input_messages=(Message("user", text),))
    raise ValueError(f"unknown field {where!r}; expected one of {', '.join(FIELDS)}")


def field_of(row: Mapping[str, str], family: str) -> str:
    """Where a row's text goes: its ``field``, else a document for data rows, else the family default."""
    if row.get("field"):
        return row["field"]
    if row.get("kind") == "indirect" or row.get("category") in DATA_CATEGORIES:
        return "tool_result"
    return DEFAULT_FIELD[family]


def detectors(family: str | None, redactor: Redactor) -> Detector:
    """Return the predicate for the chosen detector family (the worker's engine, one family each)."""
    ref = SpanRef("eval", "trace", "span", 0, "eval")
    engines = {
        "injection": SecurityEngine(EngineConfig(leakage=False, anomalies=False, loops=False), redactor=redactor),
        "pii": SecurityEngine(EngineConfig(injection=False, indirect=False, anomalies=False, loops=False),
                              redactor=redactor),
    }  # fmt: skip
    chosen = [family] if family else list(engines)

    def detect(row: Mapping[str, str]) -> set[str]:
        text = row.get("text") or ""
        return {a.rule_id for f in chosen for a in engines[f].detect(ref, span_for(text, field_of(row, f)))}

    return detect


def evaluate(path: Path, detect: Detector) -> FileResult:
    """Run ``detect`` over every row of one CSV file."""
    result = FileResult()
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames is None or not {"text", "label"} <= set(reader.fieldnames):
            raise SystemExit(f"{path}: needs 'text' and 'label' columns")
        column = next((c for c in CATEGORY_COLUMNS if c in reader.fieldnames), None)
        for row in reader:
            start, cpu = time.perf_counter_ns(), time.process_time_ns()
            fired = detect(row)
            flagged = bool(fired)
            result.cpu_ns += time.process_time_ns() - cpu
            result.latencies_us.append((time.perf_counter_ns() - start) / 1000)
            label = (row["label"] or "").strip() == "1"
            category = (row.get(column) or "-") if column else "-"
            result.total.add(label, flagged)
            result.secrets.add(label, SECRET_RULE in fired)
            result.by_category[category].add(label, flagged)
            if row.get("source_repo"):
                result.by_source[row["source_repo"]].add(label, flagged)
            if not label or category.upper() in REFERENCE_TYPES:
                result.reference.add(label, flagged)
    return result


def report(path: Path, result: FileResult, *, reference: bool = True) -> None:
    """Print the file line, the reference-types line, the per-category lines and the latency line."""
    print(f"{path.name}: {result.total.rates()}")
    if reference and result.reference.tp + result.reference.fn:
        print(f"  reference types: {result.reference.rates()}")
    if reference and result.secrets.tp + result.secrets.fp:
        print(f"  secret_leak alerts only: {result.secrets.rates()}")
    for category in sorted(result.by_category):
        print(f"  category {category}: {result.by_category[category].rates()}")
    for source in sorted(result.by_source):
        print(f"  source {source}: {result.by_source[source].rates()}")
    lat = sorted(result.latencies_us)
    if lat:
        p50 = statistics.median(lat)
        p99 = lat[min(len(lat) - 1, int(0.99 * len(lat)))]
        print(f"  latency per span: p50={p50:.1f} us p99={p99:.1f} us")
        print(f"  cpu per text: {result.cpu_ns / len(lat) / 1000:.1f} us")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("csv", nargs="*", type=Path, help="labelled CSV files (default: ../shared/data/security)")
    parser.add_argument("--detector", choices=("injection", "pii"), help="run one detector family only")
    parser.add_argument("--pii-extended", action="store_true",
                        help=f"also report the opt-in types {sorted(EXTENDED_TYPES)}")  # fmt: skip
    parser.add_argument("--loso", action="store_true",
                        help="print the classifier's leave-one-source-out table from the training data")  # fmt: skip
    parser.add_argument("--data", type=Path, default=DEFAULT_DIR, help="shared security data folder (--loso)")
    args = parser.parse_args(argv)
    if args.loso:
        from agentstate.processors.detectors import loso, train

        loso.run(train.load_rows(args.data))
        return 0
    files = args.csv or sorted(DEFAULT_DIR.glob("*.csv"))
    if not files:
        print(f"no CSV files given and none in {DEFAULT_DIR}", file=sys.stderr)
        return 2
    redactor = Redactor(extended_types=EXTENDED_TYPES if args.pii_extended else ())
    detect = detectors(args.detector, redactor)
    detect({"text": "warm up: load the model and compile the databases before timing"})
    for path in files:
        report(path, evaluate(path, detect), reference=args.detector != "injection")
    return 0


if __name__ == "__main__":
    sys.exit(main())
