"""A plain-Python agent on the OpenAI client: a tool loop, traced by ``agentstate.init()``.

``init()`` instruments the ``openai`` client (chat spans with model, tokens, messages and tool
calls); ``@observe`` adds the agent and tool spans around it, in the same tree.

Run: ``python examples/plain_openai.py`` (offline, fake LLM) or with ``OPENAI_API_KEY`` set (real).
Spans go to ``AGENTSTATE_COLLECTOR_URL`` (default ``http://127.0.0.1:4318``, ``agentstate up``).
"""

from __future__ import annotations

import json
from typing import Any

import agentstate
from agentstate import observe

MODEL = "gpt-4o-mini"
TOOLS: list[Any] = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Current weather in a city.",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
        },
    }
]


@observe(kind="tool")
def get_weather(city: str) -> str:
    """The tool: a canned forecast."""
    return f"Sunny, 21 °C in {city}"


def _tool_messages(message: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [message.model_dump(exclude_none=True)]
    for call in message.tool_calls or []:
        result = get_weather(**json.loads(call.function.arguments))
        out.append({"role": "tool", "tool_call_id": call.id, "content": result})
    return out


@observe(kind="agent", name="weather_agent")
def run(client: Any, question: str) -> str:
    """Ask, run the tools the model calls, ask again until it answers."""
    messages: list[dict[str, Any]] = [{"role": "user", "content": question}]
    for _ in range(4):
        message = client.chat.completions.create(model=MODEL, messages=messages, tools=TOOLS).choices[0].message
        if not message.tool_calls:
            return str(message.content)
        messages += _tool_messages(message)
    return "gave up"


@observe(kind="agent", name="weather_agent")
async def run_async(client: Any, question: str) -> str:
    """The same loop on ``AsyncOpenAI``."""
    messages: list[dict[str, Any]] = [{"role": "user", "content": question}]
    for _ in range(4):
        response = await client.chat.completions.create(model=MODEL, messages=messages, tools=TOOLS)
        message = response.choices[0].message
        if not message.tool_calls:
            return str(message.content)
        messages += _tool_messages(message)
    return "gave up"


@observe(kind="agent", name="weather_agent")
def run_streaming(client: Any, question: str) -> str:
    """The same loop with ``stream=True``: tool calls and text assembled from the chunks."""
    messages: list[dict[str, Any]] = [{"role": "user", "content": question}]
    for _ in range(4):
        stream = client.chat.completions.create(
            model=MODEL, messages=messages, tools=TOOLS, stream=True, stream_options={"include_usage": True}
        )
        text, calls = "", {}
        for chunk in stream:
            for choice in chunk.choices:
                text += choice.delta.content or ""
                for call in choice.delta.tool_calls or []:
                    entry = calls.setdefault(call.index, {"id": call.id, "name": "", "arguments": ""})
                    entry["name"] += (call.function.name or "") if call.function else ""
                    entry["arguments"] += (call.function.arguments or "") if call.function else ""
        if not calls:
            return text
        tool_calls = [
            {"id": c["id"], "type": "function", "function": {"name": c["name"], "arguments": c["arguments"]}}
            for c in calls.values()
        ]
        messages.append({"role": "assistant", "tool_calls": tool_calls})
        for c in calls.values():
            result = get_weather(**json.loads(c["arguments"]))
            messages.append({"role": "tool", "tool_call_id": c["id"], "content": result})
    return "gave up"


def main() -> None:
    """Run once against the fake server (or OpenAI with ``OPENAI_API_KEY``) and flush."""
    from _common import fake_llm_url, question

    url = fake_llm_url("OPENAI_API_KEY")
    agentstate.init(service_name="example-plain-openai")
    import openai  # imported after init(): the import hook instruments it

    client = openai.OpenAI(base_url=url + "/v1" if url else None)
    print(run(client, question()))
    agentstate.shutdown()


if __name__ == "__main__":
    main()
