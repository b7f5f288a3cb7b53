"""Where the service keeps its conversations: one SQLite file, written before any answer leaves the server.

Each conversation is a row holding its transcript header (the transcript without its turns, rewritten as the
emotion and outcome change) and one row per turn. A batch of turns is one transaction, committed before the
replies are sent, in WAL mode with ``synchronous=NORMAL``: a killed server process loses nothing it answered
(a power cut may lose the last transactions). On start the open conversations are read back, so a restarted
server continues them, and every finished one can be fetched and replayed.
"""

from __future__ import annotations

import json
import sqlite3
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator

from rlemp.errors import RlempError
from rlemp.transcript import Transcript, Turn

SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY,
    created REAL NOT NULL,
    done INTEGER NOT NULL,
    header TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS turns (
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    number INTEGER NOT NULL,
    turn TEXT NOT NULL,
    PRIMARY KEY (conversation_id, number)
);
"""
STORE_FILE = "conversations.sqlite3"


def header_json(transcript: Transcript) -> str:
    return json.dumps(transcript.model_dump(mode="json", exclude={"turns"}, exclude_none=True), ensure_ascii=False)


class ConversationStore:
    """The SQLite file ``folder/conversations.sqlite3``. Not thread-safe: one thread uses it (the engine's)."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        if self.folder.exists() and not self.folder.is_dir():
            raise RlempError(f"{self.folder}: --store must be a folder, this is a file")
        self.folder.mkdir(parents=True, exist_ok=True)
        self.path = self.folder / STORE_FILE
        try:
            self.db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise RlempError(f"{self.path}: not a usable conversation store ({exc})") from None

    def save(self, new: Iterable[tuple[str, Transcript]], stepped: Iterable[tuple[str, Transcript, int]]) -> None:
        """One transaction: ``new`` conversations (id, transcript) and, for ``stepped`` (id, transcript, k), the
        transcript's last ``k`` turns and its new header."""
        with self.transaction():
            now = time.time()
            for cid, t in new:
                self.db.execute("INSERT INTO conversations VALUES (?, ?, ?, ?)", (cid, now, int(t.done), header_json(t)))
                self._insert_turns(cid, t, len(t.turns))
            for cid, t, k in stepped:
                self._insert_turns(cid, t, k)
                self.db.execute("UPDATE conversations SET done = ?, header = ? WHERE id = ?",
                                (int(t.done), header_json(t), cid))

    def _insert_turns(self, cid: str, t: Transcript, k: int) -> None:
        first = len(t.turns) - k
        self.db.executemany(
            "INSERT INTO turns VALUES (?, ?, ?)",
            [(cid, first + i + 1, turn.model_dump_json(exclude_none=True)) for i, turn in enumerate(t.turns[first:])],
        )

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def load(self, cid: str) -> Transcript | None:
        row = self.db.execute("SELECT header FROM conversations WHERE id = ?", (cid,)).fetchone()
        if row is None:
            return None
        turns = self.db.execute("SELECT turn FROM turns WHERE conversation_id = ? ORDER BY number", (cid,)).fetchall()
        header = json.loads(row[0])
        header["turns"] = [Turn.model_validate_json(turn) for (turn,) in turns]
        return Transcript.model_validate(header)

    def ids(self, done: bool | None = None) -> list[str]:
        if done is None:
            rows = self.db.execute("SELECT id FROM conversations ORDER BY created, id")
        else:
            rows = self.db.execute("SELECT id FROM conversations WHERE done = ? ORDER BY created, id", (int(done),))
        return [cid for (cid,) in rows]

    def iter_transcripts(self, done: bool | None = None) -> Iterator[tuple[str, Transcript]]:
        for cid in self.ids(done):
            yield cid, self.load(cid)

    def count(self, done: bool) -> int:
        return self.db.execute("SELECT COUNT(*) FROM conversations WHERE done = ?", (int(done),)).fetchone()[0]

    def count_turns(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM turns").fetchone()[0]

    def close(self) -> None:
        self.db.close()
