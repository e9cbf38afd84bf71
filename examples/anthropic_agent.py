"""A plain-Python agent on the Anthropic client: a tool loop, traced by ``agentstate.init()``.

``init()`` instruments the ``anthropic`` client (OpenLLMetry's instrumentation: ``chat`` spans with
model, tokens incl. cache reads and writes, messages and tool calls); ``@observe`` adds the agent
and tool spans around it.

Run: ``python examples/anthropic_agent.py`` (offline, fake LLM) or with ``ANTHROPIC_API_KEY`` set.
"""

from __future__ import annotations

from typing import Any

import agentstate
from agentstate import observe

MODEL = "claude-sonnet-4-5"
TOOLS: list[Any] = [
    {
        "name": "get_weather",
        "description": "Current weather in a city.",
        "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    }
]


@observe(kind="tool")
def get_weather(city: str) -> str:
    """The tool: a canned forecast."""
    return f"Sunny, 21 °C in {city}"


def _next_messages(content: list[Any]) -> list[dict[str, Any]]:
    results = [
        {"type": "tool_result", "tool_use_id": block.id, "content": get_weather(**block.input)}
        for block in content
        if block.type == "tool_use"
    ]
    assistant = {"role": "assistant", "content": [block.model_dump(exclude_none=True) for block in content]}
    return [assistant, {"role": "user", "content": results}]


def _text(content: list[Any]) -> str:
    return "".join(block.text for block in content if block.type == "text")


@observe(kind="agent", name="weather_agent")
def run(client: Any, question: str, *, stream: bool = False) -> str:
    """Ask, run the tools the model calls, ask again until it answers (optionally streaming)."""
    messages: list[dict[str, Any]] = [{"role": "user", "content": question}]
    for _ in range(4):
        if stream:
            with client.messages.stream(model=MODEL, max_tokens=512, messages=messages, tools=TOOLS) as events:
                message = events.get_final_message()
        else:
            message = client.messages.create(model=MODEL, max_tokens=512, messages=messages, tools=TOOLS)
        if message.stop_reason != "tool_use":
            return _text(message.content)
        messages += _next_messages(message.content)
    return "gave up"


@observe(kind="agent", name="weather_agent")
async def run_async(client: Any, question: str) -> str:
    """The same loop on ``AsyncAnthropic``."""
    messages: list[dict[str, Any]] = [{"role": "user", "content": question}]
    for _ in range(4):
        message = await client.messages.create(model=MODEL, max_tokens=512, messages=messages, tools=TOOLS)
        if message.stop_reason != "tool_use":
            return _text(message.content)
        messages += _next_messages(message.content)
    return "gave up"


def main() -> None:
    """Run once against the fake server (or Anthropic with ``ANTHROPIC_API_KEY``) and flush."""
    from _common import fake_llm_url, question

    url = fake_llm_url("ANTHROPIC_API_KEY")
    agentstate.init(service_name="example-anthropic")
    import anthropic

    print(run(anthropic.Anthropic(base_url=url), question()))
    agentstate.shutdown()


if __name__ == "__main__":
    main()
