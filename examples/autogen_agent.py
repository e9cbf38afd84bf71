"""An AutoGen (agentchat >= 0.4) assistant with one tool, traced by ``agentstate.init()``.

AutoGen traces itself on the global tracer provider (``invoke_agent`` / ``execute_tool`` spans);
``init()`` adds tool arguments and results to its tool spans, and the OpenAI client's ``chat``
spans nest under the agent.

Run: ``python examples/autogen_agent.py`` (offline, fake LLM) or with ``OPENAI_API_KEY`` set.
"""

from __future__ import annotations

import asyncio
from typing import Any

import agentstate


async def get_weather(city: str) -> str:
    """Current weather in a city."""
    return f"Sunny, 21 °C in {city}"


def build(base_url: str | None) -> Any:
    """An ``AssistantAgent`` on an OpenAI model client with the ``get_weather`` tool."""
    from autogen_agentchat.agents import AssistantAgent
    from autogen_ext.models.openai import OpenAIChatCompletionClient

    client = OpenAIChatCompletionClient(model="gpt-4o-mini", base_url=base_url)
    return AssistantAgent("weather_agent", model_client=client, tools=[get_weather], reflect_on_tool_use=True)


async def run(agent: Any, question: str) -> str:
    """Run the agent on one task and return its last message."""
    result = await agent.run(task=question)
    await agent._model_client.close()
    return str(result.messages[-1].content)


def main() -> None:
    """Run once against the fake server (or OpenAI with ``OPENAI_API_KEY``) and flush."""
    from _common import fake_llm_url, question

    url = fake_llm_url("OPENAI_API_KEY")
    agentstate.init(service_name="example-autogen")
    print(
        asyncio.run(
            run(
                build(url + "/v1" if url else None),
                question(),
            )
        )
    )
    agentstate.shutdown()


if __name__ == "__main__":
    main()
