"""SSNs after a context word, endpoint addresses, redaction counts, and pathological inputs."""

from __future__ import annotations

import random
import time

import pytest

from agentstate.semconv.redacted import MAX_ENTRIES, format_redacted, parse_redacted
from agentstate.semconv.redaction import DEFAULT_REDACTOR, Redactor, is_endpoint_key

RE_ONLY = Redactor(use_hyperscan=False)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        pytest.param("SSN: 123-45-6789", ["123-45-6789"], id="sample-after-ssn"),
        pytest.param("my social security number is 078-05-1120.", ["078-05-1120"], id="woolworth-after-context"),
        pytest.param("ssn 123456789", ["123456789"], id="undelimited-after-ssn"),
        pytest.param("call 123-45-6789 now", [], id="sample-without-context"),
        pytest.param("order 078-05-1120 shipped", [], id="woolworth-without-context"),
        pytest.param("SSN 000-77-6736", [], id="area-000-even-with-context"),
        pytest.param("SSN 912-34-5678", [], id="area-9xx-even-with-context"),
        pytest.param("SSN 000-00-0000", [], id="zeros"),
        pytest.param("SSN 111-11-1111", [], id="repeated-digit"),
        pytest.param("id 219-09-9999", [], id="published-without-context"),
        pytest.param("SSN 524-13-1234", ["524-13-1234"], id="valid-with-context"),
        pytest.param("ref 524-13-1234", ["524-13-1234"], id="valid-without-context"),
    ],
)
def test_ssn_context(text: str, found: list[str]) -> None:
    assert [f.value for f in DEFAULT_REDACTOR.find(text) if f.type == "US_SSN"] == found


@pytest.mark.parametrize(
    ("text", "endpoint", "expected"),
    [
        pytest.param("http://127.0.0.1:38999/v1/", True, "http://127.0.0.1:38999/v1/", id="loopback-kept"),
        pytest.param("http://10.0.3.7:8000/v1", True, "http://10.0.3.7:8000/v1", id="private-kept"),
        pytest.param("http://[::1]:8080/", True, "http://[::1]:8080/", id="ipv6-loopback-kept"),
        pytest.param("http://8.8.8.8/v1", True, "http://[REDACTED:IP_ADDRESS]/v1", id="public-redacted"),
        pytest.param("http://127.0.0.1:38999/v1/", False, "http://[REDACTED:IP_ADDRESS]:38999/v1/", id="not-endpoint"),
        pytest.param("https://bob:hunter2hunter2@10.0.0.5/", True, "[REDACTED:URL_CREDENTIALS]/",
                     id="credentials-still-redacted"),
    ],
)  # fmt: skip
def test_endpoint_addresses(text: str, endpoint: bool, expected: str) -> None:
    assert DEFAULT_REDACTOR.redact_counting(text, endpoint=endpoint)[0] == expected


@pytest.mark.parametrize(
    ("key", "endpoint"),
    [
        pytest.param("gen_ai.openai.api_base", True, id="traceloop-api-base"),
        pytest.param("url.full", True, id="url-full"),
        pytest.param("http.url", True, id="http-url"),
        pytest.param("langchain.openai.base_url", True, id="base-url-suffix"),
        pytest.param("client.address", False, id="client-address-is-a-person"),
        pytest.param("gen_ai.output.messages", False, id="messages"),
    ],
)
def test_is_endpoint_key(key: str, endpoint: bool) -> None:
    assert is_endpoint_key(key) is endpoint


def test_redact_counting_counts_each_type() -> None:
    """Also the second of two e-mails close together (the first used to hide it)."""
    text, counts = DEFAULT_REDACTOR.redact_counting("mail a@b.io or c@d.io, SSN: 123-45-6789")
    assert text == "mail [REDACTED:EMAIL] or [REDACTED:EMAIL], SSN: [REDACTED:US_SSN]"
    assert counts == {"EMAIL": 2, "US_SSN": 1}
    clean = "nothing here"
    assert DEFAULT_REDACTOR.redact_counting(clean) == (clean, {})


def test_redacted_attribute_round_trip() -> None:
    value = format_redacted({"gen_ai.output.messages": {"US_SSN": 1}, "input.value": {"EMAIL": 2, "CREDIT_CARD": 1}})
    assert value == '{"gen_ai.output.messages":{"US_SSN":1},"input.value":{"CREDIT_CARD":1,"EMAIL":2}}'
    assert parse_redacted(value) == (
        ("gen_ai.output.messages", "US_SSN", 1),
        ("input.value", "CREDIT_CARD", 1),
        ("input.value", "EMAIL", 2),
    )


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(None, id="absent"),
        pytest.param(3, id="not-a-string"),
        pytest.param("not json", id="not-json"),
        pytest.param("[1, 2]", id="not-an-object"),
        pytest.param('{"k": 3}', id="no-type-map"),
        pytest.param('{"k": {"EMAIL": -1, "SSN": "2", "X": true}}', id="bad-counts"),
        pytest.param('{"k": {"EMAIL": 1}}' + " " * 20_000, id="too-long"),
    ],
)
def test_malformed_redacted_attribute_is_ignored(value: object) -> None:
    assert parse_redacted(value) == ()


def test_redacted_attribute_is_capped() -> None:
    value = format_redacted({f"k{i}": {"EMAIL": 1} for i in range(MAX_ENTRIES * 2)})
    assert len(parse_redacted(value)) == MAX_ENTRIES


_RNG = random.Random(12)
_WORDS = [
    "the",
    "model",
    "said",
    "password",
    "token",
    "key",
    "api",
    "secret",
    "user",
    "1234",
    "5678",
    "card",
    "ssn",
    "mail@x.io",
    "AKIA",
]
_DENSE_UNIT = (
    'password="Zq8vLm2Pw9Xr" 4111 1111 1111 1111 jane@x.io SSN 078-05-1120 ghp_'
    + "a1B2" * 9
    + " sk-ant-api03-"
    + "Xk3d9Qw7" * 8
    + " "
)
PATHOLOGICAL = [
    pytest.param(" ".join(_RNG.choice(_WORDS) for _ in range(200_000))[:1_000_000], id="1mb-text"),
    pytest.param("\n".join(f"line {i}: ok" for i in range(100_000)), id="100k-short-lines"),
    pytest.param(
        (b"caf\xc3\xa9 \xff\xfe password=hunter2hunter2 \xed\xa0\x80 key ".decode("utf-8", "surrogateescape") * 2000)
        + "\ud800 lone \udfff surrogates",
        id="invalid-utf8-and-lone-surrogates",
    ),
    pytest.param(_DENSE_UNIT * 4000, id="pattern-dense"),
    pytest.param("secret=" * 150_000, id="keyword-dense"),
    pytest.param("0" * 1_000_000, id="one-long-digit-run"),
    pytest.param("a:" * 300_000, id="separator-dense"),
]

_BOUND_S = 20.0
"""Generous: each case takes well under 3 s on a loaded 2-core machine; the bound catches blow-ups."""


@pytest.mark.parametrize("redactor", [pytest.param(DEFAULT_REDACTOR, id="hyperscan"), pytest.param(RE_ONLY, id="re")])
@pytest.mark.parametrize("text", PATHOLOGICAL)
def test_pathological_inputs_finish_and_never_raise(redactor: Redactor, text: str) -> None:
    start = time.monotonic()
    redacted = redactor.redact(text)
    assert time.monotonic() - start < _BOUND_S
    assert isinstance(redacted, str)


def test_dense_text_is_redacted_completely() -> None:
    text = _DENSE_UNIT * 500
    redacted = DEFAULT_REDACTOR.redact(text)
    assert "4111 1111" not in redacted and "jane@x.io" not in redacted and "a1B2a1B2" not in redacted
    assert redacted == RE_ONLY.redact(text)
