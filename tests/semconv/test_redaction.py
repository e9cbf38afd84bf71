"""PII and secret redaction: one row per recogniser case, plus the shared CSV measurements."""

from __future__ import annotations

import csv

import pytest

from agentstate.semconv import _pii_checks as checks
from agentstate.semconv.redaction import (
    DEFAULT_REDACTOR,
    EXTENDED_TYPES,
    Finding,
    Redactor,
    is_safe_key,
)
from tests.conftest import shared_file

_OPENAI = "sk-proj-" + "vsqQDqXeRZlsGuJXbKsVb9twtDvWN4PtbJBlSXprd2TbYpx3YJ-UdQNhi3litGguHFIe"
_ANTHROPIC = "sk-ant-api03-" + "Xk3d9Qw7Lm2Np5Rt8Vz1Bc4Fg6Hj0Ks3Ld5Mf7Ng9Ph2Qj4Rk6Sl8Tm1Un3Vo5Wp7Xq9Yr2Zs4"
_JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0"
    "IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
_PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA1x2\nabc\n-----END RSA PRIVATE KEY-----"


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        pytest.param("mail bob.smith+test@sub.example.org now", "EMAIL", "bob.smith+test@sub.example.org", id="email"),
        pytest.param("user@xn--80ak6aa92e.com", "EMAIL", "user@xn--80ak6aa92e.com", id="email-punycode"),
        pytest.param("call (415) 555-0132 today", "PHONE", "(415) 555-0132", id="phone-us-paren"),
        pytest.param("US: 415-555-0132", "PHONE", "415-555-0132", id="phone-us-dash"),
        pytest.param("intl +44 (20) 7123 4567.", "PHONE", "+44 (20) 7123 4567", id="phone-uk-intl"),
        pytest.param("Brazil: +55 11 98456 5666", "PHONE", "+55 11 98456 5666", id="phone-br"),
        pytest.param("+33 1 42 68 53 00", "PHONE", "+33 1 42 68 53 00", id="phone-fr-short-groups"),
        pytest.param("My Japanese number is 090-1234-5678", "PHONE", "090-1234-5678", id="phone-jp-trunk"),
        pytest.param("SSN 294-18-0799", "US_SSN", "294-18-0799", id="ssn-dashed"),
        pytest.param("abc 078 05 1123 abc", "US_SSN", "078 05 1123", id="ssn-spaced"),
        pytest.param("my SSN is 078051121", "US_SSN", "078051121", id="ssn-bare-with-context"),
        pytest.param("421508237 is her social security number", "US_SSN", "421508237", id="ssn-context-after"),
        pytest.param('{"social_security_number": "536228471"}', "US_SSN", "536228471", id="ssn-context-snake-key"),
        pytest.param("SS# 536228471", "US_SSN", "536228471", id="ssn-context-ss-hash"),
        pytest.param("Mobile: 6465550142", "PHONE", "6465550142", id="phone-bare-nanp-with-context"),
        pytest.param("card 4183 0252 0094 1993", "CREDIT_CARD", "4183 0252 0094 1993", id="card-visa-grouped"),
        pytest.param("4012-8888-8888-1881", "CREDIT_CARD", "4012-8888-8888-1881", id="card-dashed"),
        pytest.param("amex 371449635398431", "CREDIT_CARD", "371449635398431", id="card-amex-bare"),
        pytest.param("my credit card: 122000000000003", "CREDIT_CARD", "122000000000003", id="card-uatp"),
        pytest.param(
            "AL47 2121 1009 0000 0002 3569 8741 x",
            "IBAN",
            "AL47 2121 1009 0000 0002 3569 8741",
            id="iban-spaced",
        ),
        pytest.param("iban GB82WEST12345698765432.", "IBAN", "GB82WEST12345698765432", id="iban-compact"),
        pytest.param(
            "pay MT90 BNKE 1407 000Q RSTU VWXY 0123 4EF today",
            "IBAN",
            "MT90 BNKE 1407 000Q RSTU VWXY 0123 4EF",
            id="iban-letters-after-last-digit-run",
        ),
        pytest.param(
            "AL47-2121-1009-0000-0002-3569-8741",
            "IBAN",
            "AL47-2121-1009-0000-0002-3569-8741",
            id="iban-dashed",
        ),
        pytest.param("from 192.168.2.1@eth0", "IP_ADDRESS", "192.168.2.1", id="ipv4"),
        pytest.param("Subnet: 192.168.1.0/24", "IP_ADDRESS", "192.168.1.0/24", id="ipv4-cidr"),
        pytest.param(
            "Server IP: 2400:c401::5054:ff:fe1b:b031.",
            "IP_ADDRESS",
            "2400:c401::5054:ff:fe1b:b031",
            id="ipv6",
        ),
        pytest.param("Mapped: ::ffff:192.168.1.1", "IP_ADDRESS", "::ffff:192.168.1.1", id="ipv6-mapped"),
        pytest.param("loopback ::1", "IP_ADDRESS", "::1", id="ipv6-loopback"),
        pytest.param("listening on ::", "IP_ADDRESS", "::", id="ipv6-unspecified-at-end"),
        pytest.param("bind=:: port=8080", "IP_ADDRESS", "::", id="ipv6-unspecified-assigned"),
        pytest.param("listen [::]:443;", "IP_ADDRESS", "::", id="ipv6-unspecified-bracketed"),
        pytest.param("route ::/0", "IP_ADDRESS", "::/0", id="ipv6-unspecified-prefix"),
        pytest.param("deny ::/128.", "IP_ADDRESS", "::/128", id="ipv6-unspecified-host-prefix"),
        pytest.param(
            "peer 0:0:0:0:0:ffff:10.1.2.3 up",
            "IP_ADDRESS",
            "0:0:0:0:0:ffff:10.1.2.3",
            id="ipv6-mapped-full-form",
        ),
        pytest.param("AKIAL2FDVAK23VO7UCJE", "AWS_ACCESS_KEY", "AKIAL2FDVAK23VO7UCJE", id="aws-akid"),
        pytest.param("id AKIAQWERTYUIOPASDFGH end", "AWS_ACCESS_KEY", "AKIAQWERTYUIOPASDFGH", id="aws-akid-no-digit"),
        pytest.param(
            'aws_secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"',
            "AWS_SECRET_KEY",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            id="aws-secret-keyed",
        ),
        pytest.param(f"key={_OPENAI}", "OPENAI_KEY", _OPENAI, id="openai-project-key"),
        pytest.param(f"'{_ANTHROPIC}'", "ANTHROPIC_KEY", _ANTHROPIC, id="anthropic-key"),
        pytest.param(
            "My github token is: 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",
            "GITHUB_TOKEN",
            "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",
            id="github-pat",
        ),
        pytest.param(
            "xoxb-2400000000-3300000000-aB1cD2eF3gH4iJ5kL6mN7oP8",
            "SLACK_TOKEN",
            "xoxb-2400000000-3300000000-aB1cD2eF3gH4iJ5kL6mN7oP8",
            id="slack-bot",
        ),
        pytest.param("sk_live_4eC39HqLyjWDarjtT1zdp7dc", "STRIPE_KEY", "sk_live_4eC39HqLyjWDarjtT1zdp7dc", id="stripe"),
        pytest.param(f"Bearer {_JWT}", "JWT", _JWT, id="jwt"),
        pytest.param(f"x\n{_PEM}\ny", "PRIVATE_KEY", _PEM, id="pem-private-key"),
        pytest.param(
            "Use this URL: https://username:password@llm-guard.com",
            "URL_CREDENTIALS",
            "https://username:password@llm-guard.com",
            id="url-credentials",
        ),
        pytest.param('{"password": "hunter2hunter"}', "SECRET", "hunter2hunter", id="keyed-password-json"),
        pytest.param("DB_PASSWORD=s3cr3t-Pa55", "SECRET", "s3cr3t-Pa55", id="keyed-password-env"),
        pytest.param(
            "x" * 2000 + ' "refresh_token_for_the_nightly_jobs"   :  "Zq8vLm2Pw9Xr"',
            "SECRET",
            "Zq8vLm2Pw9Xr",
            id="keyed-longest-key-far-from-start",
        ),
        pytest.param(
            "a: b, " * 40 + "secret=Zq8vLm2Pw9Xr",
            "SECRET",
            "Zq8vLm2Pw9Xr",
            id="keyed-after-many-separators",
        ),
        pytest.param(
            "wallet 16Yeky6GMjeNkAiNcBY7ZhrLoMSgg1BoyZ",
            "CRYPTO",
            "16Yeky6GMjeNkAiNcBY7ZhrLoMSgg1BoyZ",
            id="bitcoin-base58",
        ),
        pytest.param(
            "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
            "CRYPTO",
            "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
            id="bitcoin-bech32",
        ),
    ],
)
def test_finds(text: str, kind: str, value: str) -> None:
    assert [(f.type, f.value) for f in DEFAULT_REDACTOR.find(text)] == [(kind, value)]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("8935b28f-afb5-454b-b80b-86486a2a1812", id="uuid"),
        pytest.param("request_id=167dd41a-347a-4e47-8e5a-c63a43514e2e", id="uuid-kv"),
        pytest.param("12345678-1234-1234-1234-123456789012", id="uuid-all-digits"),
        pytest.param("512cf3b8c5ee21f7a4a08a9775eb627b", id="trace-id"),
        pytest.param("8fe6d6a4caabc400", id="span-id"),
        pytest.param("1735602450246230568", id="ns-timestamp-luhn-valid"),
        pytest.param("1748503543012", id="ms-timestamp"),
        pytest.param("1735602450246230", id="us-timestamp"),
        pytest.param("aca044207a6169d28cef26d0b752ecba44e17545", id="git-sha"),
        pytest.param("sha256:cab6bbbdd9d59bcb9b54513bb3789794a2c7dc5d2158cffefb8805d6cdc63289", id="sha256"),
        pytest.param("card 4183 0252 0094 1994", id="card-bad-luhn"),
        pytest.param("SSN 000-77-6736", id="ssn-area-000"),
        pytest.param("SSN 912-34-5678", id="ssn-area-9xx"),
        pytest.param("SSN 123-45-0000", id="ssn-serial-0000"),
        pytest.param("693-09.4444", id="ssn-mixed-delimiters"),
        pytest.param("order 482913745 shipped", id="ssn-bare-in-prose-without-context"),
        pytest.param("482913745", id="ssn-shaped-whole-value-is-an-id"),
        pytest.param('{"order_no": "53622-8471"}', id="ssn-5-4-shaped-value-without-context"),
        pytest.param("482913745 shipped today. SSN pending", id="ssn-context-in-next-sentence"),
        pytest.param("536 228471", id="ssn-space-split-is-two-numbers"),
        pytest.param("53622.8471", id="ssn-decimal"),
        pytest.param("invoice 6465550142", id="phone-bare-without-context"),
        pytest.param("phone synced at 1712345678", id="phone-context-unix-seconds"),
        pytest.param("AL47 2121 1009 0000 0002 3569 8740", id="iban-bad-checksum"),
        pytest.param("AL47/2121/1009/0000/0002/3569/8741", id="iban-slashes"),
        pytest.param("Version 1.2.3 released 2024.01.15", id="versions"),
        pytest.param("256.256.256.256 and 192.168.1", id="ipv4-invalid"),
        pytest.param("text192.168.1.1", id="ipv4-glued"),
        pytest.param("Time 12:34:56, MAC aa:bb:cc:dd:ee:ff, std::cout", id="colons"),
        pytest.param("f :: Int -> Int", id="haskell-unspecified-ipv6"),
        pytest.param("xs :: [Int]", id="haskell-list-type"),
        pytest.param("s[::-1] and a[1::2] and x[::3]", id="python-slices"),
        pytest.param("name.split('::')", id="double-colon-string"),
        pytest.param("Home :: Products :: Shoes", id="breadcrumb"),
        pytest.param("tcp6 0 0 :::80 :::* LISTEN", id="netstat-triple-colon"),
        pytest.param("Foo::Bar::baz()", id="scope-resolution"),
        pytest.param("OPENAI_API_KEY=your-key-here", id="placeholder-env"),
        pytest.param("Authorization: Bearer <token>", id="placeholder-bearer"),
        pytest.param("ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", id="placeholder-github"),
        pytest.param("sk_test_placeholder", id="placeholder-stripe"),
        pytest.param("api_key = os.environ.OPENAI_API_KEY", id="keyed-reference"),
        pytest.param("Here is the secret: consistency", id="keyed-prose"),
        pytest.param("pip install foo@git+https://x", id="at-not-email"),
        pytest.param("16Yeky6GMjeNkAiNcBY7ZhrLoMSgg1BoyZ2", id="bitcoin-bad-checksum"),
        pytest.param("The model gpt-4o-2024-08-06 answered in 1200 ms for 3 users.", id="model-and-numbers"),
        pytest.param("", id="empty"),
    ],
)
def test_ignores(text: str) -> None:
    assert DEFAULT_REDACTOR.find(text) == []


def test_redact_replaces_each_finding_in_place() -> None:
    text = "mail a.b@example.com, card 4111 1111 1111 1111, ip 10.0.0.1."
    assert DEFAULT_REDACTOR.redact(text) == (
        "mail [REDACTED:EMAIL], card [REDACTED:CREDIT_CARD], ip [REDACTED:IP_ADDRESS]."
    )


def test_redact_returns_the_same_object_when_clean() -> None:
    text = "nothing to see here, 42 apples"
    assert DEFAULT_REDACTOR.redact(text) is text


def test_overlaps_resolve_to_the_earliest_longest() -> None:
    found = DEFAULT_REDACTOR.find("https://admin:pa55word@db.example.com/x")
    assert [f.type for f in found] == ["URL_CREDENTIALS"]


def test_offsets_point_into_the_text() -> None:
    text = "é café → bob@example.com ✓ +44 20 7123 4567"
    for f in DEFAULT_REDACTOR.find(text):
        assert text[f.start : f.end] == f.value
    assert [f.type for f in DEFAULT_REDACTOR.find(text)] == ["EMAIL", "PHONE"]


def test_finding_is_frozen() -> None:
    f = Finding("EMAIL", 0, 3, "a@b")
    with pytest.raises(AttributeError):
        f.type = "X"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("redactor", "text", "expected"),
    [
        pytest.param(
            Redactor(extra_patterns={"EMPLOYEE_ID": r"\bEMP-\d{6}\b"}),
            "ask EMP-123456 now",
            "ask [REDACTED:EMPLOYEE_ID] now",
            id="extra-pattern",
        ),
        pytest.param(Redactor(disabled_types={"IP_ADDRESS"}), "ip 10.0.0.1", "ip 10.0.0.1", id="disabled-type"),
        pytest.param(
            Redactor(extended_types=EXTENDED_TYPES),
            "Today is 2024-03-15T14:30Z, see https://example.com/a",
            "Today is [REDACTED:DATE_TIME], see [REDACTED:URL]",
            id="extended-date-url",
        ),
        pytest.param(
            Redactor(extended_types={"UK_NHS"}),
            "NHS 401-023-2137",
            "NHS [REDACTED:UK_NHS]",
            id="extended-nhs",
        ),
        pytest.param(DEFAULT_REDACTOR, "Today is 2024-03-15", "Today is 2024-03-15", id="dates-off-by-default"),
    ],
)
def test_configuration(redactor: Redactor, text: str, expected: str) -> None:
    assert redactor.redact(text) == expected


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"disabled_types": {"NOPE"}}, id="unknown-type"),
        pytest.param({"extra_patterns": {"X": "("}}, id="bad-regex"),
    ],
)
def test_bad_configuration_raises(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        Redactor(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("key", "safe"),
    [
        pytest.param("gen_ai.request.model", True, id="model"),
        pytest.param("gen_ai.usage.input_tokens", True, id="usage"),
        pytest.param("llm.token_count.prompt", True, id="oi-tokens"),
        pytest.param("gen_ai.tool.call.id", True, id="tool-call-id"),
        pytest.param("session.id", True, id="session-id"),
        pytest.param("service.name", True, id="resource"),
        pytest.param("telemetry.sdk.version", True, id="telemetry"),
        pytest.param("user.id", False, id="user-id"),
        pytest.param("enduser.id", False, id="enduser-id"),
        pytest.param("traceloop.association.properties.user_id", False, id="traceloop-user"),
        pytest.param("gen_ai.input.messages", False, id="input-messages"),
        pytest.param("input.value", False, id="oi-input"),
        pytest.param("llm.input_messages.0.message.content", False, id="oi-flattened-content"),
        pytest.param("gen_ai.tool.call.arguments", False, id="tool-arguments"),
        pytest.param("url.full", False, id="url"),
    ],
)
def test_is_safe_key(key: str, safe: bool) -> None:
    assert is_safe_key(key) is safe


@pytest.mark.parametrize(
    ("fn", "value", "ok"),
    [
        pytest.param(checks.luhn_ok, "4111111111111111", True, id="luhn-ok"),
        pytest.param(checks.luhn_ok, "4111111111111112", False, id="luhn-bad"),
        pytest.param(checks.card_ok, "1735602450246230568", False, id="card-19-digit-timestamp"),
        pytest.param(checks.card_ok, "122000000000003", True, id="card-uatp-15"),
        pytest.param(checks.iban_ok, "DE89370400440532013000", True, id="iban-de"),
        pytest.param(checks.iban_ok, "DE89370400440532013001", False, id="iban-de-bad"),
        pytest.param(checks.ssn_ok, "666123456", False, id="ssn-666"),
        pytest.param(checks.ssn_ok, "078051123", True, id="ssn-ok"),
        pytest.param(checks.nhs_ok, "4010232137", True, id="nhs-ok"),
        pytest.param(checks.nhs_ok, "4010232138", False, id="nhs-bad"),
        pytest.param(checks.base58check_ok, "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", True, id="b58-ok"),
        pytest.param(
            checks.bech32_ok,
            "bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297",
            True,
            id="bech32m",
        ),
        pytest.param(checks.looks_like_secret, "changeme123", False, id="placeholder"),
    ],
)
def test_checks(fn: object, value: str, ok: bool) -> None:
    assert callable(fn)
    assert fn(value) is ok


def _rows(name: str) -> list[dict[str, str]]:
    with shared_file("security", name).open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


# Types the reference §3 target covers; the others in pii_cases_dev.csv (dates, URLs, passports,
# driver licences, bank numbers) are opt-in or out of scope and reported by bench/security_eval.py.
_IN_SCOPE = {
    "CREDIT_CARD",
    "EMAIL_ADDRESS",
    "US_SSN",
    "PHONE_NUMBER",
    "IBAN_CODE",
    "IP_ADDRESS",
    "SECRET",
    "CRYPTO",
}


def test_pii_cases_recall_on_target_types() -> None:
    rows = [r for r in _rows("pii_cases_dev.csv") if r["entity_type"] in _IN_SCOPE and r["label"] == "1"]
    hits = sum(bool(DEFAULT_REDACTOR.find(r["text"])) for r in rows)
    assert len(rows) > 300
    assert hits / len(rows) >= 0.95


def test_pii_cases_all_types_recall_with_extended_types() -> None:
    redactor = Redactor(extended_types=EXTENDED_TYPES)
    rows = [r for r in _rows("pii_cases_dev.csv") if r["label"] == "1"]
    assert sum(bool(redactor.find(r["text"])) for r in rows) / len(rows) >= 0.95


def test_lookalikes_zero_false_positives_and_full_recall() -> None:
    rows = _rows("pii_lookalikes_dev.csv")
    false_pos = [r["text"] for r in rows if r["label"] == "0" and DEFAULT_REDACTOR.find(r["text"])]
    missed = [r["text"] for r in rows if r["label"] == "1" and not DEFAULT_REDACTOR.find(r["text"])]
    assert sum(r["label"] == "1" for r in rows) > 30
    assert false_pos == []
    assert missed == []
