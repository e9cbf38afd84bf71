"""A fake LLM provider on 127.0.0.1: OpenAI- and Anthropic-compatible, canned and deterministic.

The real client libraries and frameworks talk to it over HTTP, so what their instrumentations
record is what they would record against the real service. The script is the same for both
dialects: when the request offers tools and the conversation holds no tool result yet, the model
calls the first tool (arguments filled from its JSON schema); otherwise it answers in text. Every
answer reports fixed token usage (:data:`USAGE`), including cached and reasoning tokens, and
``stream=True`` is answered with server-sent events in each provider's own format.

Run it alone with ``python tests/frameworks/fake_llm.py [port]`` (the examples use it this way).
"""

from __future__ import annotations

import itertools
import json
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final

MODEL_REPLY: Final = "The weather in Paris is sunny, 21 °C."
"""The final text answer (after a tool result, or when no tool is offered)."""

USAGE: Final = {"input": 42, "output": 12, "cached": 8, "reasoning": 3, "cache_write": 5}
"""Token usage every response reports (input includes cached, output includes reasoning)."""

_ids = itertools.count(1)


def _sample(schema: dict[str, Any]) -> Any:
    kind = schema.get("type")
    if "enum" in schema:
        return schema["enum"][0]
    if kind == "string":
        return "Paris"
    if kind in ("integer", "number"):
        return 2
    if kind == "boolean":
        return True
    if kind == "array":
        return [_sample(schema.get("items", {"type": "string"}))]
    if kind == "object":
        return {k: _sample(v) for k, v in schema.get("properties", {}).items()}
    return "Paris"


def tool_arguments(parameters: dict[str, Any]) -> dict[str, Any]:
    """Arguments for a tool call: every required property (or every property) given a sample value."""
    props: dict[str, Any] = parameters.get("properties", {})
    names = parameters.get("required") or list(props)
    return {name: _sample(props.get(name, {})) for name in names}


# -- decision -----------------------------------------------------------------------------------


def _openai_tool(body: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    tools = body.get("tools") or []
    if not tools or body.get("tool_choice") == "none":
        return None
    if any(m.get("role") == "tool" for m in body.get("messages", [])):
        return None
    fn = tools[0].get("function", {})
    return fn.get("name", "tool"), tool_arguments(fn.get("parameters") or {})


def _anthropic_tool(body: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    tools = body.get("tools") or []
    if not tools:
        return None
    for message in body.get("messages", []):
        content = message.get("content")
        if isinstance(content, list) and any(part.get("type") == "tool_result" for part in content):
            return None
    return tools[0].get("name", "tool"), tool_arguments(tools[0].get("input_schema") or {})


# -- OpenAI -------------------------------------------------------------------------------------


def _openai_usage() -> dict[str, Any]:
    return {
        "prompt_tokens": USAGE["input"],
        "completion_tokens": USAGE["output"],
        "total_tokens": USAGE["input"] + USAGE["output"],
        "prompt_tokens_details": {"cached_tokens": USAGE["cached"], "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": USAGE["reasoning"], "audio_tokens": 0},
    }


def openai_response(body: dict[str, Any]) -> dict[str, Any]:
    """A ``chat.completion`` for ``body``."""
    call = _openai_tool(body)
    message: dict[str, Any] = {"role": "assistant", "content": None if call else MODEL_REPLY, "refusal": None}
    if call:
        message["tool_calls"] = [
            {
                "id": f"call_{next(_ids)}",
                "type": "function",
                "function": {"name": call[0], "arguments": json.dumps(call[1])},
            }
        ]
    return {
        "id": f"chatcmpl-{next(_ids)}",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": str(body.get("model", "gpt-4o-mini")) + "-2024-07-18",
        "system_fingerprint": "fp_fake",
        "choices": [
            {"index": 0, "message": message, "logprobs": None, "finish_reason": "tool_calls" if call else "stop"}
        ],
        "usage": _openai_usage(),
    }


def openai_stream(body: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The same answer as ``chat.completion.chunk`` events (usage last, when asked for)."""
    full = openai_response(body)
    base = {k: full[k] for k in ("id", "created", "model", "system_fingerprint")} | {"object": "chat.completion.chunk"}
    message = full["choices"][0]["message"]
    yield base | {"choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]}
    if message.get("tool_calls"):
        call = message["tool_calls"][0]
        args = call["function"]["arguments"]
        head = {"index": 0, "id": call["id"], "type": "function", "function": {"name": call["function"]["name"]}}
        head["function"]["arguments"] = ""
        yield base | {"choices": [{"index": 0, "delta": {"tool_calls": [head]}, "finish_reason": None}]}
        for piece in (args[: len(args) // 2], args[len(args) // 2 :]):
            delta = {"tool_calls": [{"index": 0, "function": {"arguments": piece}}]}
            yield base | {"choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
    else:
        for word in MODEL_REPLY.split(" "):
            piece = word if word == MODEL_REPLY.split(" ")[0] else " " + word
            yield base | {"choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
    yield base | {"choices": [{"index": 0, "delta": {}, "finish_reason": full["choices"][0]["finish_reason"]}]}
    if (body.get("stream_options") or {}).get("include_usage"):
        yield base | {"choices": [], "usage": full["usage"]}


# -- Anthropic ----------------------------------------------------------------------------------


def _anthropic_usage() -> dict[str, Any]:
    # Anthropic's input_tokens excludes cache reads and writes; they are reported beside it.
    return {
        "input_tokens": USAGE["input"] - USAGE["cached"] - USAGE["cache_write"],
        "output_tokens": USAGE["output"],
        "cache_read_input_tokens": USAGE["cached"],
        "cache_creation_input_tokens": USAGE["cache_write"],
    }


def anthropic_response(body: dict[str, Any]) -> dict[str, Any]:
    """A ``message`` for ``body``."""
    call = _anthropic_tool(body)
    content: list[dict[str, Any]]
    if call:
        content = [
            {"type": "text", "text": "Let me check."},
            {"type": "tool_use", "id": f"toolu_{next(_ids)}", "name": call[0], "input": call[1]},
        ]
    else:
        content = [{"type": "text", "text": MODEL_REPLY}]
    return {
        "id": f"msg_{next(_ids)}",
        "type": "message",
        "role": "assistant",
        "model": str(body.get("model", "claude-sonnet-4-5")),
        "content": content,
        "stop_reason": "tool_use" if call else "end_turn",
        "stop_sequence": None,
        "usage": _anthropic_usage(),
    }


def anthropic_stream(body: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The same answer as Anthropic's streaming events."""
    full = anthropic_response(body)
    usage = full["usage"]
    start = full | {"content": [], "stop_reason": None, "usage": usage | {"output_tokens": 1}}
    yield {"type": "message_start", "message": start}
    for index, block in enumerate(full["content"]):
        if block["type"] == "text":
            yield {"type": "content_block_start", "index": index, "content_block": {"type": "text", "text": ""}}
            yield {
                "type": "content_block_delta",
                "index": index,
                "delta": {"type": "text_delta", "text": block["text"]},
            }
        else:
            empty = block | {"input": {}}
            yield {"type": "content_block_start", "index": index, "content_block": empty}
            delta = {"type": "input_json_delta", "partial_json": json.dumps(block["input"])}
            yield {"type": "content_block_delta", "index": index, "delta": delta}
        yield {"type": "content_block_stop", "index": index}
    yield {
        "type": "message_delta",
        "delta": {"stop_reason": full["stop_reason"], "stop_sequence": None},
        "usage": {"output_tokens": usage["output_tokens"]},
    }
    yield {"type": "message_stop"}


# -- HTTP ---------------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: FakeLLMServer

    def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read requests instead
        return

    def do_GET(self) -> None:
        if self.path.rstrip("/").endswith("/models"):
            self._json(200, {"object": "list", "data": [{"id": "gpt-4o-mini", "object": "model"}]})
        else:
            self._json(404, {"error": {"message": "not found"}})

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        path = self.path.split("?")[0].rstrip("/")
        self.server.requests.append((path, body))
        if path.endswith("/chat/completions"):
            if body.get("stream"):
                self._sse(((None, chunk) for chunk in openai_stream(body)), done=True)
            else:
                self._json(200, openai_response(body))
        elif path.endswith("/messages"):
            if body.get("stream"):
                self._sse(((event["type"], event) for event in anthropic_stream(body)), done=False)
            else:
                self._json(200, anthropic_response(body))
        else:
            self._json(404, {"error": {"message": f"no fake for {path}"}})

    def _json(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _sse(self, events: Iterator[tuple[str | None, dict[str, Any]]], *, done: bool) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.send_header("connection", "close")
        self.end_headers()
        for name, event in events:
            head = f"event: {name}\n" if name else ""
            self.wfile.write(f"{head}data: {json.dumps(event)}\n\n".encode())
            self.wfile.flush()
        if done:  # OpenAI ends its stream with a sentinel; Anthropic with message_stop
            self.wfile.write(b"data: [DONE]\n\n")
        self.close_connection = True


class FakeLLMServer(ThreadingHTTPServer):
    """The fake provider; ``base_url`` for OpenAI clients, ``root_url`` for Anthropic ones."""

    daemon_threads = True

    def __init__(self, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self._thread: threading.Thread | None = None

    @property
    def root_url(self) -> str:
        """``http://127.0.0.1:PORT`` (Anthropic clients append ``/v1/messages``)."""
        return f"http://127.0.0.1:{self.server_address[1]}"

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/v1`` (OpenAI clients append ``/chat/completions``)."""
        return self.root_url + "/v1"

    def start(self) -> FakeLLMServer:
        """Serve in a daemon thread."""
        self._thread = threading.Thread(target=self.serve_forever, name="fake-llm", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.shutdown()
        self.server_close()


if __name__ == "__main__":
    server = FakeLLMServer(int(sys.argv[1]) if len(sys.argv) > 1 else 8765)
    print(f"fake LLM on {server.base_url} (OpenAI) and {server.root_url} (Anthropic)", flush=True)
    server.serve_forever()
