"""The plain-Python example agent (``agentstate.cli.demo_agent``, run by ``examples/plain_python.py``
and ``agentstate up --demo``): its scripted model, and the switch between it and a real provider."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from agentstate.cli import demo_agent
from agentstate.cli.demo_llm import chat_completion, choose_tool
from tests.conftest import free_port
from tests.frameworks.fake_llm import FakeLLMServer

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "plain_python.py"


def _ask(question: str) -> dict[str, object]:
    return {"model": demo_agent.ROUTER_MODEL, "messages": [{"role": "user", "content": question}]}


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        pytest.param(demo_agent.QUESTIONS[0], ("get_weather", {"city": "Paris"}), id="weather"),
        pytest.param("Weather in Lisbon tomorrow?", ("get_weather", {"city": "Lisbon"}), id="weather-named-city"),
        pytest.param(demo_agent.QUESTIONS[1], ("book_restaurant", {"people": 2, "time": "20:00"}), id="booking"),
        pytest.param(demo_agent.QUESTIONS[2], ("search_email", {"limit": 3}), id="email"),
        pytest.param(demo_agent.QUESTIONS[3], ("read_file", {"path": "system_prompt.txt"}), id="injection"),
        pytest.param(
            demo_agent.QUESTIONS[4], ("fx_rate", {"amount": 100, "source": "USD", "target": "EUR"}), id="currency"
        ),
        pytest.param("Hello there", None, id="no-tool-fits"),
    ],
)
def test_scripted_model_calls_the_tool_the_question_names(question: str, expected: object) -> None:
    assert choose_tool(_ask(question) | {"tools": demo_agent.tool_specs()}) == expected


def test_scripted_model_answers_from_the_tool_result_and_counts_tokens() -> None:
    messages = [
        {"role": "user", "content": "Weather?"},
        {"role": "tool", "tool_call_id": "c1", "content": '{"sky": "cloudy"}'},
    ]
    short = chat_completion({"model": "gpt-4o", "messages": messages, "tools": demo_agent.tool_specs()[:1]})
    assert short["choices"][0]["message"]["content"] == 'Here is what I found: {"sky": "cloudy"}'
    assert short["choices"][0]["finish_reason"] == "stop"
    longer = chat_completion(
        {
            "model": "gpt-4o",
            "messages": [{"role": "user", "content": "x" * 4000}, *messages],
            "tools": demo_agent.tool_specs()[:1],
        }
    )
    assert longer["usage"]["prompt_tokens"] >= short["usage"]["prompt_tokens"] + 1000  # ~4 characters a token


def _run(args: list[str], extra_env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AGENTSTATE_", "OTEL_", "OPENAI_"))}
    # No collector listens here: the agent must still answer and exit (the SDK never raises).
    env |= {"AGENTSTATE_COLLECTOR_URL": f"http://127.0.0.1:{free_port()}", "AGENTSTATE_SPOOL_DIR": "off"}
    env |= {"AGENTSTATE_FLUSH_TIMEOUT": "1", "AGENTSTATE_EXPORT_TIMEOUT": "1"} | extra_env
    return subprocess.run([sys.executable, str(EXAMPLE), *args], env=env, capture_output=True, text=True, timeout=120)


def test_with_an_api_key_the_example_calls_the_provider() -> None:
    provider = FakeLLMServer().start()  # stands in for OpenAI: the same wire format
    try:
        env = {"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": provider.base_url}
        done = _run(["What's the weather in Paris?"], env)
        assert done.returncode == 0, done.stderr
        assert [(path, body["model"]) for path, body in provider.requests] == [
            ("/v1/chat/completions", demo_agent.ROUTER_MODEL),
            ("/v1/chat/completions", demo_agent.ANSWER_MODEL),
        ]
        assert "The weather in Paris is sunny" in done.stdout
        provider.requests.clear()
        offline = _run(["--offline", "What's the weather in Paris?"], env)
        assert offline.returncode == 0, offline.stderr
        assert provider.requests == []  # --offline: the scripted model, even with a key
        assert 'Here is what I found: {"city": "Paris"' in offline.stdout
    finally:
        provider.stop()


def test_without_a_key_the_example_runs_offline() -> None:
    done = _run([], {})
    assert done.returncode == 0, done.stderr
    answers = done.stdout.count("\n  -> ")
    assert answers == len(demo_agent.QUESTIONS)
    assert "-> Sorry, I can't do that." in done.stdout  # the refused tool call of the injection
