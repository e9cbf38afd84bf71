"""A CrewAI crew (one agent, one task, one tool), traced by ``agentstate.init()``.

``init()`` switches on OpenInference's CrewAI instrumentation when ``crewai`` is imported (crew,
task, agent and tool spans) and the OpenAI client's (``chat`` spans, via CrewAI's native OpenAI
provider).

Run: ``python examples/crewai_agent.py`` (offline, fake LLM) or with ``OPENAI_API_KEY`` set.
"""

from __future__ import annotations

import os
from typing import Any

import agentstate


def build(base_url: str | None) -> Any:
    """The crew: a weather agent with the ``get_weather`` tool and one task."""
    os.environ.setdefault("CREWAI_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("CREWAI_TRACING_ENABLED", "false")
    from crewai import LLM, Agent, Crew, Task
    from crewai.tools import tool

    @tool("get_weather")
    def get_weather(city: str) -> str:
        """Current weather in a city."""
        return f"Sunny, 21 °C in {city}"

    llm = LLM(model="openai/gpt-4o-mini", base_url=base_url)
    agent = Agent(
        role="weather_agent",
        goal="Answer weather questions",
        backstory="You check the forecast.",
        tools=[get_weather],
        llm=llm,
        verbose=False,
    )
    task = Task(description="{question}", expected_output="One sentence.", agent=agent)
    return Crew(name="weather_crew", agents=[agent], tasks=[task], verbose=False)


def run(crew: Any, question: str) -> str:
    """Kick the crew off and return its final output."""
    return str(crew.kickoff(inputs={"question": question}).raw)


def main() -> None:
    """Run once against the fake server (or OpenAI with ``OPENAI_API_KEY``) and flush."""
    from _common import fake_llm_url, question

    url = fake_llm_url("OPENAI_API_KEY")
    agentstate.init(service_name="example-crewai")
    print(run(build(url + "/v1" if url else None), question()))
    agentstate.shutdown()


if __name__ == "__main__":
    main()
