"""A plain-Python agent: no LLM client library and no framework, only ``agentstate`` and the stdlib.

The agent is the travel assistant of ``cli/demo_agent.py`` (``agentstate.cli.demo_agent``): tools
under ``@observe(kind="tool")``, the agent under ``@observe(kind="agent")``, each model call over
``urllib`` in an ``llm_call`` span, session and user from ``propagate_attributes``. It lives in the
package because ``agentstate up --demo`` runs it too: the demo's traces are this example's.

Run: ``python examples/plain_python.py ["your question" ...]``: offline, against the agent's scripted
model on 127.0.0.1, or against OpenAI when ``OPENAI_API_KEY`` is set (``OPENAI_BASE_URL`` for
another OpenAI-compatible endpoint). Without a question it asks the demo's five. Spans go to
``AGENTSTATE_COLLECTOR_URL`` (default ``http://127.0.0.1:4318``, ``agentstate up``) with
``AGENTSTATE_API_KEY``, under ``service.name`` ``example-plain-python``.
"""

from __future__ import annotations

import sys

from agentstate.cli.demo_agent import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
