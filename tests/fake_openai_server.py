"""A fake OpenAI-compatible chat server for tests and benchmarks: deterministic answers, injectable faults.

Run it as a real process (``python tests/fake_openai_server.py --port 0 --delay 0.05 --fault-rate 0.3
--faults 500,429,timeout,invalid,drop --seed 1``); the first line on stdout is the port. Or use
:class:`FakeOpenAIServer`, which starts and stops that process.

``POST /v1/chat/completions`` answers with a valid simulator JSON object derived from a hash of the last
message and the request's ``seed`` (change in [-4, 8], never goodbye), after ``--delay`` seconds. With
``--fault-rate r`` a request instead gets one of ``--faults``: ``500``, ``429``, ``timeout`` (sleeps
``--timeout-sleep`` seconds, longer than the client waits), ``invalid`` (a chat completion whose content is not
JSON) or ``drop`` (the connection is closed without an answer). Whether the n-th sending of the same body
faults is a hash of (``--seed``, body, n), so fault patterns do not depend on the order concurrent requests
arrive in, and a resent body can succeed. ``GET /stats`` returns the counters as JSON.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

FAULTS = ("500", "429", "timeout", "invalid", "drop")


def fake_answer(body: dict) -> dict:
    """The simulator JSON this server answers to a request body (deterministic)."""
    last = body["messages"][-1]["content"]
    h = int(hashlib.sha256(f"{body.get('seed')}|{last}".encode()).hexdigest(), 16)
    return {
        "analysis": f"fake analysis {h % 997}",
        "change": h % 13 - 4,
        "reply": f"I hear you. (fake reply {h % 1000})",
        "goodbye": False,
    }


def _unit(*parts: object) -> float:
    return int(hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:12], 16) / 16**12


class State:
    """Counters and fault choice, shared by the handler threads."""

    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.lock = threading.Lock()
        self.counts: Counter[str] = Counter()
        self.sent: Counter[str] = Counter()  # how often each body was received
        self.in_flight = 0

    def fault_for(self, raw: bytes) -> str | None:
        digest = hashlib.sha256(raw).hexdigest()
        with self.lock:
            self.sent[digest] += 1
            n = self.sent[digest]
        if _unit(self.args.seed, digest, n, "rate") >= self.args.fault_rate:
            return None
        return self.args.faults[int(_unit(self.args.seed, digest, n, "kind") * len(self.args.faults))]


class Handler(BaseHTTPRequestHandler):
    disable_nagle_algorithm = True  # headers and body go out in separate writes: no 40 ms Nagle delay
    protocol_version = "HTTP/1.1"
    server: "FakeHTTPServer"

    def log_message(self, format, *args):  # quiet: tests read /stats instead
        return

    def send_json(self, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        state = self.server.state
        if self.path != "/stats":
            return self.send_json(404, {"error": "not found"})
        with state.lock:
            stats = dict(state.counts)
        self.send_json(200, stats)

    def do_POST(self):
        state = self.server.state
        raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path != "/v1/chat/completions":
            return self.send_json(404, {"error": "not found"})
        with state.lock:
            state.counts["requests"] += 1
            state.counts["authorized"] += "Authorization" in self.headers
            state.in_flight += 1
            state.counts["max_in_flight"] = max(state.counts["max_in_flight"], state.in_flight)
        try:
            self.answer(raw)
        except (BrokenPipeError, ConnectionResetError):
            # the client gave up (a timeout fault): nothing left to answer
            self.close_connection = True
        finally:
            with state.lock:
                state.in_flight -= 1

    def answer(self, raw: bytes) -> None:
        state, args = self.server.state, self.server.state.args
        try:
            body = json.loads(raw)
            body["messages"][-1]["content"]
        except (ValueError, KeyError, IndexError, TypeError):
            return self.send_json(400, {"error": {"message": "bad request body"}})
        time.sleep(args.delay)
        fault = state.fault_for(raw)
        with state.lock:
            state.counts[f"fault_{fault}" if fault else "completions"] += 1
        if fault in ("500", "429"):
            return self.send_json(int(fault), {"error": {"message": f"injected {fault}"}})
        if fault == "timeout":
            time.sleep(args.timeout_sleep)
        if fault == "drop":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        content = "Sure! Here is my answer: {not json" if fault == "invalid" else json.dumps(fake_answer(body))
        self.send_json(200, {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "model": body.get("model", "fake"),
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        })


class FakeHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, args: argparse.Namespace):
        super().__init__(address, Handler)
        self.state = State(args)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (printed first)")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before every answer")
    parser.add_argument("--fault-rate", type=float, default=0.0)
    parser.add_argument("--faults", default=",".join(FAULTS), help=f"comma-separated subset of {','.join(FAULTS)}")
    parser.add_argument("--timeout-sleep", type=float, default=5.0, help="how long a timeout fault stalls")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    args.faults = tuple(args.faults.split(","))
    unknown = set(args.faults) - set(FAULTS)
    if unknown:
        parser.error(f"unknown faults {sorted(unknown)}")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    server = FakeHTTPServer((args.host, args.port), args)
    print(server.server_address[1], flush=True)
    server.serve_forever()


class FakeOpenAIServer:
    """Runs this file as a subprocess on 127.0.0.1 and a free port; use as a context manager."""

    def __init__(self, *args: str):
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--port", "0", *args], stdout=subprocess.PIPE, text=True
        )
        line = self.process.stdout.readline()
        if not line.strip():
            raise RuntimeError(f"fake OpenAI server did not start (exit code {self.process.wait()})")
        port = int(line)
        self.base_url = f"http://127.0.0.1:{port}/v1"
        self.root = f"http://127.0.0.1:{port}"

    def stats(self) -> Counter:
        return Counter(httpx.get(f"{self.root}/stats", timeout=5).json())

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        self.process.stdout.close()

    def __enter__(self) -> "FakeOpenAIServer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


if __name__ == "__main__":
    main()
