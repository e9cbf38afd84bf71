"""A LangGraph ReAct agent with one tool, traced by ``agentstate.init()``.

``init()`` switches on OpenInference's LangChain instrumentation when ``langchain_core`` is
imported (graph, node, LLM and tool spans) and the OpenAI client's own (``chat`` spans).

Run: ``python examples/langgraph_agent.py`` (offline, fake LLM) or with ``OPENAI_API_KEY`` set.
"""

from __future__ import annotations

import warnings
from typing import Any

import agentstate
from agentstate import observe


@observe()
def fetch_forecast(city: str) -> str:
    """The tool's work, traced with ``@observe``: it nests under LangGraph's tool span."""
    return f"Sunny, 21 °C in {city}"


def build(base_url: str | None) -> Any:
    """The compiled graph: a ``ChatOpenAI`` model and the ``get_weather`` tool."""
    from langchain_core.tools import tool
    from langchain_openai import ChatOpenAI
    from langgraph.prebuilt import create_react_agent

    @tool
    def get_weather(city: str) -> str:
        """Current weather in a city."""
        return fetch_forecast(city)

    model = ChatOpenAI(model="gpt-4o-mini", base_url=base_url)
    with warnings.catch_warnings():  # moved to langchain.agents (another package) in LangGraph 1.0
        warnings.simplefilter("ignore", DeprecationWarning)
        return create_react_agent(model, [get_weather], name="weather_agent")


def run(graph: Any, question: str) -> str:
    """Invoke the graph and return the last message's text."""
    result = graph.invoke({"messages": [("user", question)]})
    return str(result["messages"][-1].content)


def main() -> None:
    """Run once against the fake server (or OpenAI with ``OPENAI_API_KEY``) and flush."""
    from _common import fake_llm_url, question

    url = fake_llm_url("OPENAI_API_KEY")
    agentstate.init(service_name="example-langgraph")
    print(run(build(url + "/v1" if url else None), question()))
    agentstate.shutdown()


if __name__ == "__main__":
    main()
