"""A scripted, OpenAI-compatible chat endpoint on 127.0.0.1, so the demo agent runs offline.

It answers ``POST /v1/chat/completions`` (no streaming) the way a small model would: when tools are
offered and the conversation holds no tool result yet, it calls the offered tool whose name and
description share the most words with the last user message, each argument being the JSON-schema
``examples`` value the message names (else the first); otherwise it answers in text, from the
tool result when there is one. Token usage is estimated from the request and answer lengths
(about four characters a token), so longer prompts cost more, as they would. Nothing is random:
the same conversation gets the same answer.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_ids = itertools.count(1)


def _words(text: str) -> set[str]:
    # Four letters or more, a trailing plural "s" dropped: "emails" matches "email".
    return {w.removesuffix("s") for w in re.findall(r"[a-z]{4,}", text.lower())}


def _tokens(text: str) -> int:
    return max(1, len(text) // 4)


def _last_user_text(messages: list[dict[str, Any]]) -> str:
    for message in reversed(messages):
        if message.get("role") == "user" and isinstance(message.get("content"), str):
            return str(message["content"])
    return ""


def choose_tool(body: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """The tool call the scripted model makes for a request, or ``None`` to answer in text."""
    messages: list[dict[str, Any]] = body.get("messages") or []
    tools: list[dict[str, Any]] = body.get("tools") or []
    if not tools or body.get("tool_choice") == "none" or any(m.get("role") == "tool" for m in messages):
        return None
    asked = _words(_last_user_text(messages))
    best, best_score = None, 0
    for tool in tools:
        fn = tool.get("function") or {}
        score = len(asked & _words(f"{fn.get('name', '')} {fn.get('description', '')}".replace("_", " ")))
        if score > best_score:
            best, best_score = fn, score
    if best is None:
        return None
    props: dict[str, Any] = (best.get("parameters") or {}).get("properties") or {}
    return str(best.get("name")), {name: _argument(schema, asked) for name, schema in props.items()}


def _argument(schema: dict[str, Any], asked: set[str]) -> Any:
    # The example the question names ("Paris", "system_prompt.txt"), else the first one.
    examples: list[Any] = schema.get("examples") or [""]
    return max(examples, key=lambda e: len(asked & _words(str(e).replace("_", " "))))


def _answer(messages: list[dict[str, Any]]) -> str:
    results = [str(m.get("content")) for m in messages if m.get("role") == "tool"]
    if not results:
        return "I can help with the weather, restaurant bookings, your email and currency conversion."
    if results[-1].startswith("error:"):
        return "Sorry, I can't do that."
    return "Here is what I found: " + results[-1]


def chat_completion(body: dict[str, Any]) -> dict[str, Any]:
    """The ``chat.completion`` the scripted model returns for ``body``."""
    messages: list[dict[str, Any]] = body.get("messages") or []
    call = choose_tool(body)
    message: dict[str, Any] = {"role": "assistant", "content": None if call else _answer(messages)}
    if call:
        arguments = {"name": call[0], "arguments": json.dumps(call[1])}
        message["tool_calls"] = [{"id": f"call_{next(_ids)}", "type": "function", "function": arguments}]
    prompt = _tokens(json.dumps(messages) + json.dumps(body.get("tools") or []))
    completion = _tokens(json.dumps(message["tool_calls"]) if call else message["content"])
    return {
        "id": f"chatcmpl-demo-{next(_ids)}",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": str(body.get("model", "gpt-4o-mini")),
        "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if call else "stop"}],
        "usage": {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion},
    }


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the demo's output is the agent's
        return

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("content-length") or 0)) or b"{}")
        found = self.path.split("?")[0].rstrip("/").endswith("/chat/completions")
        status, payload = (200, chat_completion(body)) if found else (404, {"error": {"message": "not found"}})
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class DemoLLMServer(ThreadingHTTPServer):
    """The scripted model on an ephemeral port; ``base_url`` is what OpenAI clients take."""

    daemon_threads = True

    def __init__(self, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), _Handler)

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/v1``."""
        return f"http://127.0.0.1:{self.server_address[1]}/v1"

    def start(self) -> DemoLLMServer:
        """Serve in a daemon thread."""
        threading.Thread(target=self.serve_forever, name="demo-llm", daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.shutdown()
        self.server_close()
