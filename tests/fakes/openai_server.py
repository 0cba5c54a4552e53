"""A real loopback HTTP server speaking the OpenAI chat-completions protocol, for LLM-path tests.

It binds 127.0.0.1 on a free port, answers `POST /v1/chat/completions` with a canned reply chosen per
test (a fixed string, a queue of strings, or a function of the request), streams it as SSE `data:` chunks
ending with `data: [DONE]` when the request asks for `stream: true`, and records every request body so
tests can inspect exactly what Saige sent.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = str | Callable[[dict[str, Any]], str]


def split_deltas(text: str) -> list[str]:
    """Split a reply into word-sized deltas (whitespace kept), as a model would stream it."""
    return re.findall(r"\S+\s*|\s+", text) or [text]


class FakeOpenAIServer:
    def __init__(self, reply: Reply | list[Reply] = "The corpus does not cover this question.") -> None:
        self._queue: list[Reply] = list(reply) if isinstance(reply, list) else [reply]
        self.requests: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- canned replies ------------------------------------------------------------------------------
    def set_reply(self, reply: Reply | list[Reply]) -> None:
        with self._lock:
            self._queue = list(reply) if isinstance(reply, list) else [reply]

    def _next_reply(self, body: dict[str, Any]) -> str:
        with self._lock:
            reply = self._queue.pop(0) if len(self._queue) > 1 else self._queue[0]
        return reply(body) if callable(reply) else reply

    # --- lifecycle -----------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        assert self._server is not None, "server not started"
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}/v1"

    def start(self) -> FakeOpenAIServer:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: tests read `requests`, not logs."""

            def _send_json(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                if self.path.rstrip("/").endswith("/models"):
                    models = [{"id": "fake-model", "object": "model"}]
                    self._send_json(200, {"object": "list", "data": models})
                else:
                    self._send_json(404, {"error": {"message": "not found"}})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    self._send_json(404, {"error": {"message": f"no route {self.path}"}})
                    return
                body = json.loads(raw or b"{}")
                with fake._lock:
                    fake.requests.append(body)
                    fake.paths.append(self.path)
                text = fake._next_reply(body)
                model = body.get("model", "fake-model")
                if body.get("stream"):
                    self._stream(text, model)
                else:
                    self._send_json(
                        200,
                        {
                            "id": "chatcmpl-fake",
                            "object": "chat.completion",
                            "created": 0,
                            "model": model,
                            "choices": [
                                {
                                    "index": 0,
                                    "message": {"role": "assistant", "content": text},
                                    "finish_reason": "stop",
                                }
                            ],
                            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                        },
                    )

            def _event(self, payload: dict[str, Any] | str) -> None:
                data = payload if isinstance(payload, str) else json.dumps(payload)
                chunk = f"data: {data}\n\n".encode()
                self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                self.wfile.flush()

            def _stream(self, text: str, model: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()

                def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
                    return {
                        "id": "chatcmpl-fake",
                        "object": "chat.completion.chunk",
                        "created": 0,
                        "model": model,
                        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                    }

                self._event(chunk({"role": "assistant", "content": ""}))
                for piece in split_deltas(text):
                    self._event(chunk({"content": piece}))
                self._event(chunk({}, "stop"))
                self._event("[DONE]")
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-openai", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    # --- helpers for assertions ----------------------------------------------------------------------
    def messages(self, index: int = -1) -> list[dict[str, Any]]:
        return list(self.requests[index].get("messages", []))

    def system_prompt(self, index: int = -1) -> str:
        return "\n".join(str(m.get("content", "")) for m in self.messages(index) if m.get("role") == "system")

    def user_content(self, index: int = -1) -> str:
        return "\n".join(str(m.get("content", "")) for m in self.messages(index) if m.get("role") == "user")


@contextmanager
def fake_openai_server(
    reply: Reply | list[Reply] = "The corpus does not cover this question.",
) -> Iterator[FakeOpenAIServer]:
    server = FakeOpenAIServer(reply).start()
    try:
        yield server
    finally:
        server.stop()
