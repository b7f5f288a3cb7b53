"""An on-disk cache of LLM answers, so that a rerun (and ``rlemp verify``) replays a remote simulator exactly.

The key is the sha256 of the endpoint's base URL and the full request body as canonical JSON (model,
messages, temperature, seed...). Credentials are sent as headers, never in the body, so they never reach the
key or the files. One small JSON file per answer, ``<dir>/<key[:2]>/<key>.json``, written atomically (temp
file + rename), so concurrent workers and interrupted runs never leave a torn entry.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any


def request_key(base_url: str, body: dict[str, Any]) -> str:
    blob = json.dumps({"base_url": base_url, "body": body}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()


class RequestCache:
    """Answer texts stored under :func:`request_key`."""

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> str | None:
        try:
            return json.loads(self._path(key).read_text(encoding="utf-8"))["content"]
        except FileNotFoundError:
            return None

    def put(self, key: str, content: str) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({"content": content}, f, ensure_ascii=False)
        os.replace(tmp, path)
