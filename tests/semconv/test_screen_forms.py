"""The cheaper screen patterns stand in for their rules without losing a finding."""

from __future__ import annotations

import re

import pytest

from agentstate.semconv import _secret_rules
from agentstate.semconv._scan import GATES
from agentstate.semconv._screen import _hs
from agentstate.semconv.redaction import DEFAULT_REDACTOR, Redactor

RE_ONLY = Redactor(use_hyperscan=False)
RULES = {r.id: r for r in _secret_rules.SecretRules().rules}

CREDENTIALS = [
    pytest.param("np.generic.3", "db_user = 'alice'\npassword = 'S3cr3t!pw'", id="quoted"),
    pytest.param("np.generic.3", "USER='bob.smith@x.io'; # old\nPASS = \"pa55word\"", id="quoted-comment"),
    pytest.param("np.generic.4", "username=alice dbpassword=Hunter2xyz rest", id="unquoted"),
    pytest.param("np.generic.4", "UserName\t =  admin ;\n// note\nPassword =s3cr3tPASS\n", id="unquoted-blanks"),
    pytest.param("np.odbc.1", "Server=db;User Id=sa_admin;Password=Str0ngPass!;", id="odbc"),
    pytest.param("np.odbc.1", 'conn = "Uid = app_user ;  x + Pwd\n= hunter22"', id="odbc-blanks"),
]


def test_every_screen_form_names_a_rule() -> None:
    assert set(_secret_rules.SCREEN_FORMS) <= set(RULES)


@pytest.mark.parametrize(("rule_id", "text"), CREDENTIALS)
def test_screen_form_matches_no_later_than_its_rule(rule_id: str, text: str) -> None:
    rule = RULES[rule_id].regex.search(text)
    assert rule is not None
    screen = re.search(_secret_rules.SCREEN_FORMS[rule_id], text)
    assert screen is not None
    assert screen.end() <= rule.end()  # the confirming search's start offset stays a lower bound


@pytest.mark.skipif(_hs is None, reason="hyperscan not installed: only the re path exists")
@pytest.mark.parametrize(("rule_id", "text"), CREDENTIALS)
def test_screened_and_unscreened_findings_agree(rule_id: str, text: str) -> None:
    found = DEFAULT_REDACTOR.find(text)
    assert found
    assert found == RE_ONLY.find(text)
    assert DEFAULT_REDACTOR.find_many(["no secret here, user", text]) == [[], found]


def test_prefixed_gate_keeps_long_github_tokens() -> None:
    assert "{31," in GATES["PREFIXED"] and "{36," not in GATES["PREFIXED"]
    token = "ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5"
    found = DEFAULT_REDACTOR.find(f"token {token} here")
    assert [(f.type, f.value) for f in found] == [("GITHUB_TOKEN", token)]
