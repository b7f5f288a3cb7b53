"""``rlemp serve`` as a real process on loopback for the service tests: started with ``python -m rlemp.cli serve
--port 0``, ready when it prints its address, stopped with SIGTERM or killed with SIGKILL."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

from rlemp.paths import EVAL_PERSONAS

REPO = Path(__file__).resolve().parent.parent
READY = re.compile(r" on (http://\S+) \(docs")
EMPATHIC = json.loads((REPO / "tests" / "data" / "scripts" / "empathic.json").read_text(encoding="utf-8"))


class RlempServer:
    """A running ``rlemp serve``; ``url`` is its address. Extra CLI arguments and environment as given."""

    def __init__(self, store: Path, *args: str, env: dict[str, str] | None = None, personas: Path = EVAL_PERSONAS):
        command = [sys.executable, "-m", "rlemp.cli", "serve", "--store", str(store), "--port", "0",
                   "--personas", str(personas), *args]
        self.process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                        env={**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})})
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.output: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        self.url = self._wait_ready()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.output.append(line)
            self.lines.put(line)
        self.lines.put(None)

    def _wait_ready(self) -> str:
        while True:
            line = self.lines.get(timeout=120)  # a guard against a hung start, not a timing assertion
            if line is None:
                raise RuntimeError("rlemp serve exited: " + "".join(self.output)[-2000:])
            match = READY.search(line)
            if match:
                return match.group(1)

    def kill(self) -> None:
        """SIGKILL: no shutdown, as a crash."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=60)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=60)
        return self.process.returncode

    def __enter__(self) -> "RlempServer":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
