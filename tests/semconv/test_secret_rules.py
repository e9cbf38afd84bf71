"""Provider secret rules: one case per provider family, look-alikes, the shared set, both engines.

Token bodies are generated from a fixed seed at import time, so no live-looking key is written in
this file (secret scanners and push protection stay quiet) and every run sees the same values.
"""

from __future__ import annotations

import base64
import csv
import json
import random
import re
import re._parser as sre_parse
import time
import uuid
from collections import defaultdict
from pathlib import Path

import pytest

from agentstate.semconv import _scan, _secret_rules
from agentstate.semconv._screen import _hs
from agentstate.semconv.redaction import DEFAULT_REDACTOR, SECRET_TYPES, Redactor
from tests.conftest import shared_file

RE_ONLY = Redactor(use_hyperscan=False)
_RNG = random.Random(1204)
_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_HEX = "0123456789abcdef"
_B64 = _ALNUM + "+/"


def _body(n: int, alphabet: str = _ALNUM) -> str:
    return "".join(_RNG.choice(alphabet) for _ in range(n))


def _jwt() -> str:
    def part(doc: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(doc).encode()).decode().rstrip("=")

    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part({'sub': '1234567890', 'name': 'Ada'})}.{_body(43)}"


_PEM = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    + "\n".join(_body(64, _B64) for _ in range(6))
    + "\n-----END RSA PRIVATE KEY-----"
)
_AKID = "AKIA" + _body(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")

FAMILIES = [
    pytest.param(f"export AWS_ACCESS_KEY_ID={_AKID}", "AWS_ACCESS_KEY", _AKID, id="aws-access-key"),
    pytest.param(f'aws_secret_access_key = "{(s := _body(40, _B64))}"', "AWS_SECRET_KEY", s, id="aws-secret"),
    pytest.param(f"token: {(s := 'ghp_' + _body(36))}", "GITHUB_TOKEN", s, id="github-pat"),
    pytest.param(f"{(s := 'github_pat_' + _body(22) + '_' + _body(59))}", "GITHUB_TOKEN", s, id="github-fine-grained"),
    pytest.param(f"git remote {(s := 'glpat-' + _body(20))}", "GITLAB_PERSONAL_ACCESS_TOKEN", s, id="gitlab-pat"),
    pytest.param(f"{(s := 'xoxb-' + _body(12, '0123456789') + '-' + _body(13, '0123456789') + '-' + _body(24))}",
                 "SLACK_TOKEN", s, id="slack-bot"),
    pytest.param(f"stripe {(s := 'sk_live_' + _body(24))}", "STRIPE_KEY", s, id="stripe"),
    pytest.param(f"key={(s := 'sk-proj-' + _body(20) + 'T3BlbkFJ' + _body(20))}", "OPENAI_KEY", s, id="openai"),
    pytest.param(f"{(s := 'sk-ant-api03-' + _body(93) + 'AA')}", "ANTHROPIC_KEY", s, id="anthropic"),
    pytest.param(f"maps {(s := 'AIza' + _body(35))}", "GOOGLE_API_KEY", s, id="google-api-key"),
    pytest.param(f"{(s := 'hf_' + _body(34, 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'))}",
                 "HUGGINGFACE_TOKEN", s, id="huggingface"),
    pytest.param(f"SENDGRID={(s := 'SG.' + _body(22) + '.' + _body(43))}", "SENDGRID_API_KEY", s, id="sendgrid"),
    pytest.param(f"//registry.npmjs.org/:_authToken={(s := 'npm_' + _body(36))}", "NPM_ACCESS_TOKEN", s, id="npm"),
    pytest.param(f"password: {(s := 'pypi-AgEIcHlwaS5vcmc' + _body(150))}", "PYPI_UPLOAD_TOKEN", s, id="pypi"),
    pytest.param(f"DISCORD={(s := 'M' + _body(25) + '.' + _body(6) + '.' + _body(27))}", "DISCORD_BOT_TOKEN", s,
                 id="discord"),
    pytest.param(f"postgres://admin:{(s := _body(16))}@db.internal:5432/app", "URL_CREDENTIALS", s, id="postgres"),
    pytest.param(f"Authorization: Bearer {(s := _jwt())}", "JWT", s, id="jwt"),
    pytest.param(f"key:\n{_PEM}", "PRIVATE_KEY", _PEM, id="pem"),
    pytest.param(f'db_password = "{(s := _body(14))}"', "SECRET", s, id="password-assignment"),
    pytest.param(f'if (password == "{(s := _body(12))}")', "SECRET", s, id="password-comparison"),
    pytest.param(f"<password>{(s := _body(20))}</password>", "SECRET", s, id="xml-password"),
    pytest.param(f"{(s := 'dp.pt.' + _body(43))}", "DOPPLER_PERSONAL_TOKEN", s, id="doppler"),
    pytest.param(f"AccountName=acme;AccountKey={(s := _body(86, _B64) + '==')};", "CONNECTION_STRING", s,
                 id="azure-storage"),
    pytest.param(f"{(s := 'shpat_' + _body(32, _HEX))}", "SHOPIFY_ACCESS_TOKEN", s, id="shopify"),
    pytest.param(f"{(s := 'sq0atp-' + _body(22))}", "SQUARE_ACCESS_TOKEN", s, id="square"),
    pytest.param(f"VAULT_TOKEN={(s := 'hvs.' + _body(92))}", "HASHICORP_VAULT_SERVICE_TOKEN", s, id="vault"),
    pytest.param(f"{(s := 'dckr_pat_' + _body(27))}", "DOCKER_HUB_PERSONAL_ACCESS_TOKEN", s, id="docker-hub"),
    pytest.param(f"{(s := 'glc_eyJrIjoi' + _body(60))}", "GRAFANA_CLOUD_API_TOKEN", s, id="grafana-cloud"),
    pytest.param(f"{(s := 'ABIA' + _body(16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'))}", "AWS_ACCESS_KEY", s,
                 id="aws-abia"),
    pytest.param(f"//registry.npmjs.org/:_authToken={(s := str(uuid.UUID(int=_RNG.getrandbits(128), version=4)))}",
                 "NPM_ACCESS_TOKEN", s, id="npmrc-legacy-uuid"),
    pytest.param(f'cloudant_password = "{(s := _body(64, "abcdefghijklmnopqrstuvwxyz0123456789"))}"',
                 "CLOUDANT_CREDENTIAL", s, id="cloudant"),
    pytest.param(f"--softlayer-api-key {(s := _body(64, 'abcdefghijklmnopqrstuvwxyz0123456789'))}",
                 "SOFTLAYER_API_KEY", s, id="softlayer"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "kind", "value"), FAMILIES)
def test_provider_families(text: str, kind: str, value: str) -> None:
    found = DEFAULT_REDACTOR.find(text)
    assert any(f.type == kind and value in f.value for f in found), found
    assert kind in SECRET_TYPES
    assert value not in DEFAULT_REDACTOR.redact(text)


@pytest.mark.parametrize(("text", "kind", "value"), FAMILIES)
def test_provider_families_without_hyperscan(text: str, kind: str, value: str) -> None:
    assert RE_ONLY.find(text) == DEFAULT_REDACTOR.find(text)


LOOKALIKES = [
    pytest.param('"traceId": "3c3c767a627c784304adc5a1875b295b"', id="trace-id"),
    pytest.param("span_id=859b17518c3f1082", id="span-id"),
    pytest.param("request_id=d8274442-2c78-4381-984b-bec0bcf318dc", id="uuid-in-kv"),
    pytest.param("api_key = 7c88ab97-a37e-44d0-ae6d-4b5d4abf1b54", id="uuid-as-key"),
    pytest.param("sha256:0e67cecefb1a71e4ab725a34915ff8f8540a3d66082f21a7d5027c7ec565f0c3", id="digest"),
    pytest.param("commit 859b17518c3f108288f78075a1982d8b242605cd", id="git-sha"),
    pytest.param("8b238c6e3d06f8471fabdaf0b81ddfb2", id="md5"),
    pytest.param('integrity="sha512-M7IgXTcJmcTbq5eip/w3dvM/QljdikoO2Oc2R2ChPQEGwR/anu71D6YrswZpNlu1B4uYrYS2aHWLx/e4bDjOvw=="',
                 id="npm-integrity"),
    pytest.param("eyJ1c2VyIjogImNhY2hlIiwgInBhZ2UiOiAwLCAic29ydCI6ICJhc2MifQ==", id="base64-json"),
    pytest.param("1717171717171717171 1717171717", id="timestamps"),
    pytest.param("2026-12-04T14:44:13.123456789Z", id="iso-timestamp"),
    pytest.param("OPENAI_API_KEY=YOUR_API_KEY", id="your-api-key"),
    pytest.param("OPENAI_API_KEY=sk-...", id="sk-dots"),
    pytest.param("GH_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", id="ghp-xxxx"),
    pytest.param("export AWS_ACCESS_KEY_ID=AKIAXXXXXXXXXXXXXXXX", id="akia-xxxx"),
    pytest.param("secret = SECRET_placeholder", id="secret-placeholder"),
    pytest.param('api_key = "<your-api-key>"', id="angle-placeholder"),
    pytest.param("password = ${DB_PASSWORD}", id="env-template"),
    pytest.param('password = os.environ["DB_PASSWORD"]', id="env-lookup"),
    pytest.param("password: {{ vault_password }}", id="jinja"),
    pytest.param("sk-ant-api03-f-SD8UXTHZuL3dhlRLMzMh7", id="truncated-anthropic"),
    pytest.param("Here is the secret: consistency", id="prose-colon"),
    pytest.param("The password is required to log in.", id="prose"),
    pytest.param("version v8.28.63 released", id="version"),
    pytest.param("//registry.npmjs.org/:_authToken=npm_xxxxxxxxxxxxxxxxxxxxxxxxxxxx", id="npmrc-masked"),
    pytest.param("OKTA_API_TOKEN=00xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", id="okta-masked"),
    pytest.param('put "/forgot-password" => "cms/sites/passwords#update"', id="route-named-password"),
    pytest.param('ibm_iam_key = "shorter-version"', id="ibm-iam-wrong-format"),
    pytest.param('TWITCH_STREAM_KEY = "126031192_IgvUabrXbWSihj2ENnA59G1F8"', id="twitch-wrong-format"),
    pytest.param(f"sk-proj-{_body(20)}T4BlbkFJ{_body(20)}", id="openai-altered-marker"),
    pytest.param(f'db_password = "{_body(12)}EXAMPLE{_body(12)}"', id="generic-documented-example"),
    pytest.param(f"export AWS_SECRET_ACCESS_KEY={_body(42, _HEX)}", id="aws-secret-wrong-length"),
    pytest.param(f'secret_access_key = "{_body(48, _HEX)}extra"', id="secret-access-key-wrong-length"),
    pytest.param("postgresql://user:user@localhost/db", id="url-password-repeats-user"),
]  # fmt: skip


@pytest.mark.parametrize("text", LOOKALIKES)
def test_lookalikes_are_not_secrets(text: str) -> None:
    assert DEFAULT_REDACTOR.find(text) == []
    assert RE_ONLY.find(text) == []


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        pytest.param("AKIAZZZZZZZZZZZZZZZZ", "AWS_ACCESS_KEY", id="aws-fixture"),
        pytest.param("license_key: " + "a" * 36 + "NRAL", "NEW_RELIC_LICENSE_KEY", id="newrelic-fixture"),
        pytest.param("okta_api_token = 00" + "a" * 40, "OKTA_API_TOKEN", id="okta-fixture"),
    ],
)
def test_a_provider_format_is_a_secret_even_when_regular(text: str, kind: str) -> None:
    """The provider's format is the evidence: a regular body is a fixture-like key, still redacted."""
    assert [f.type for f in DEFAULT_REDACTOR.find(text)] == [kind]
    assert RE_ONLY.find(text) == DEFAULT_REDACTOR.find(text)


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        pytest.param("AKIAXXXXXXXXXXXXXXXX", True, id="x-run"),
        pytest.param("ghp_****************", True, id="stars"),
        pytest.param("sk_test_your_key_here", True, id="your"),
        pytest.param("AKIAZZZZZZZZZZZZZZZZ", False, id="regular-but-unmasked"),
        pytest.param("NRAK-123456788ABCDEFGHIJKLMNOPQR", False, id="sequence-unmasked"),
    ],
)
def test_masked(value: str, masked: bool) -> None:
    assert _secret_rules.masked(value) is masked
    assert _secret_rules.anchored_ok(value) is not masked


def _secrets_rows() -> list[dict[str, str]]:
    with shared_file("security", "train", "secrets_dev.csv").open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_secrets_dev_recall_precision_and_no_lookalike_false_positive() -> None:
    """Thresholds sit just under the measured 0.952 recall and 0.950 precision (1663 rows).

    A row counts as flagged when a credential type is found (an e-mail or IP address in a row is
    PII, not a secret). Most misses are masked positives of the scanners (``AP6xxxxxxxxxx``,
    ``SKxxxx…``), which the look-alike rule (``xxxx`` masks a secret) rejects on purpose; most
    false positives are credentials by another rule of the same scanner (``hvs.`` tokens under the
    pre-1.10 Vault rule, GitHub OAuth secrets under the Gitalk rule) or the same fixture labelled
    both ways (``m{{h}o)p${e]nob(ody...``).
    """
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    tp = fp = fn = 0
    lookalike_fp = []
    for row in _secrets_rows():
        flagged = any(f.type in SECRET_TYPES for f in DEFAULT_REDACTOR.find(row["text"]))
        if row["label"] == "1":
            tp += flagged
            fn += not flagged
            tally[row["provider"].split(":")[0]][not flagged] += 1
        else:
            fp += flagged
            if row["provider"].startswith("lookalike:") and DEFAULT_REDACTOR.find(row["text"]):
                lookalike_fp.append(row["text"])  # no finding of any type on a look-alike
    assert lookalike_fp == []
    assert tp / (tp + fn) >= 0.95
    assert tp / (tp + fp) >= 0.95
    assert len(tally) > 100  # provider families with at least one positive row


@pytest.mark.skipif(_hs is None, reason="hyperscan not installed: only the re path exists")
@pytest.mark.parametrize(
    "name", ["train/secrets_dev.csv", "pii_cases_dev.csv", "pii_lookalikes_dev.csv", "prompt_injection_dev.csv"]
)
def test_hyperscan_and_re_paths_agree(name: str) -> None:
    assert DEFAULT_REDACTOR.find("x") == [] and DEFAULT_REDACTOR._scanner is not None
    assert DEFAULT_REDACTOR._scanner.screen.uses_hyperscan
    with shared_file("security", *name.split("/")).open(newline="", encoding="utf-8") as fh:
        texts = [row["text"] for row in csv.DictReader(fh)]
    assert len(texts) > 100
    assert [DEFAULT_REDACTOR.find(t) for t in texts] == [RE_ONLY.find(t) for t in texts]


def test_every_rule_compiles_and_is_longer_than_the_scan_threshold() -> None:
    doc = _secret_rules.load_rules()
    assert len(doc["rules"]) >= 189 + 10
    assert {r["source"] for r in doc["rules"]} == {"noseyparker", "agentstate"}
    for rule in doc["rules"]:
        pattern = rule.get("python") or rule["pattern"]
        assert sre_parse.parse(pattern, re.ASCII).getwidth()[0] >= _scan.MIN_SCAN, rule["id"]
        assert rule["check"] in _secret_rules.CHECKS, rule["id"]


def test_shipped_rules_match_the_generator() -> None:
    yaml = pytest.importorskip("yaml")
    source = shared_file("security", "train", "secret_patterns", "noseyparker_rules.yaml")
    del yaml
    from semconv.rules import build_secret_rules  # a script in the source tree, not in the package

    shipped = (Path(build_secret_rules.__file__).parent / "secret_rules.json").read_text(encoding="utf-8")
    assert json.dumps(build_secret_rules.build(source), indent=1, sort_keys=True) + "\n" == shipped


def test_notice_ships_with_the_rules() -> None:
    notice = Path(_secret_rules.__file__).parent / "rules" / "NOTICE"
    text = notice.read_text(encoding="utf-8")
    assert "praetorian-inc/noseyparker" in text and "Apache License, Version 2.0" in text


@pytest.mark.parametrize("name", ["train/secrets_dev.csv", "pii_cases_dev.csv", "pii_lookalikes_dev.csv"])
def test_batched_screening_agrees_with_one_text_at_a_time(name: str) -> None:
    """``find_many`` screens a batch in one Hyperscan call (the SDK exporter does): same findings."""
    with shared_file("security", *name.split("/")).open(newline="", encoding="utf-8") as fh:
        texts = [row["text"] for row in csv.DictReader(fh)]
    for size in (512, 37):
        for start in range(0, len(texts), size):
            chunk = texts[start : start + size]
            assert DEFAULT_REDACTOR.find_many(chunk) == [RE_ONLY.find(t) for t in chunk]


def _dense(keyword: str) -> str:
    """A text dense with one rule's keyword between long runs of spaces, code and line breaks."""
    line = f"{keyword} = '{_body(12)}';" + " " * 40 + "// comment " + " " * 40
    return "\n".join([line] * 12 + [f"    {keyword}   {_body(8)}" + " " * 60] * 12)


def test_every_rule_runs_in_bounded_time_on_dense_text() -> None:
    """No rule backtracks without bound (PHPMailer's ``(\\s* .* \\s*){0,3}`` took 2.5 s on 770 chars)."""
    rules = _secret_rules.SecretRules().rules
    phpmailer = "\n".join(
        f"$mail->{k} = '{_body(10)}';" + " " * 40 + "//" + " set it" + " " * 30 for k in ("Host", "SMTPAuth") * 6
    )
    for rule in rules:
        texts = [phpmailer] + [_dense(k) for k in rule.keywords[:3]]
        start = time.process_time()
        for text in texts:
            for _ in rule.regex.finditer(text):
                pass
        assert time.process_time() - start < 0.25, rule.id
