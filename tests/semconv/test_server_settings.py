"""One settings base for every server part: a shared field has one default and one rule everywhere."""

from __future__ import annotations

import pytest

from agentstate.api.settings import ApiSettings
from agentstate.processors.settings import WorkerSettings
from agentstate.receiver.settings import ReceiverSettings
from agentstate.semconv.server_settings import MIN_SECRET_CHARS, ServerSettings

PARTS = [ReceiverSettings, WorkerSettings, ApiSettings]


@pytest.mark.parametrize("cls", PARTS)
def test_every_part_shares_the_base(cls: type[ServerSettings]) -> None:
    assert issubclass(cls, ServerSettings)
    for name in ("redis_url", "clickhouse_url", "clickhouse_database", "secret_key"):
        assert repr(cls.model_fields[name]) == repr(ServerSettings.model_fields[name]), (cls.__name__, name)


def test_defaults_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("AGENTSTATE_CLICKHOUSE_URL", "AGENTSTATE_REDIS_URL"):
        monkeypatch.delenv(var, raising=False)
    urls = {(c().clickhouse_url, c().redis_url) for c in PARTS}
    assert len(urls) == 1 and next(iter(urls))[0].startswith("chdb://")


@pytest.mark.parametrize("cls", PARTS)
@pytest.mark.parametrize("database", ["agent state", "x;DROP", ""])
def test_bad_database_refused_everywhere(cls: type[ServerSettings], database: str) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        cls(clickhouse_database=database)


@pytest.mark.parametrize("cls", PARTS)
def test_one_secret_rule(cls: type[ServerSettings]) -> None:
    with pytest.raises(SystemExit, match=f"at least {MIN_SECRET_CHARS} characters"):
        cls(secret_key="s" * (MIN_SECRET_CHARS - 1)).require_secret("test")
    cls(secret_key="s" * MIN_SECRET_CHARS).require_secret("test")
