"""The book's own SQLite file: documents and counters, written in one transaction a change.

Every change is committed before the sandbox answers, so a document the client never heard about
(a dropped answer, a client killed mid-call) is still there after a restart of either side.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from acgate.sandbox.model import Document, document_from_json, document_json

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    doc_key INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    doc_no TEXT NOT NULL,
    body TEXT NOT NULL,
    UNIQUE (kind, doc_no)
);
CREATE TABLE IF NOT EXISTS counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
"""

FILE_NAME = "sandbox.db"


@dataclass(frozen=True, slots=True)
class Snapshot:
    documents: list[Document]
    counters: dict[str, int]


class Store:
    """One connection, one writer: every call holds the lock."""

    def __init__(self, data_dir: Path | None) -> None:
        if data_dir is not None:
            data_dir.mkdir(parents=True, exist_ok=True)
        target = ":memory:" if data_dir is None else str(data_dir / FILE_NAME)
        # The event loop's thread is not the one that built the app; the lock serialises use.
        self._conn = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        with self._lock:
            self._conn.executescript(_SCHEMA)

    def load(self) -> Snapshot:
        with self._lock:
            bodies = self._conn.execute("SELECT body FROM documents ORDER BY doc_key").fetchall()
            counters = self._conn.execute("SELECT name, value FROM counters").fetchall()
        return Snapshot([document_from_json(json.loads(body)) for (body,) in bodies],
                        {name: value for name, value in counters})

    def commit(self, saved: Iterable[Document] = (), deleted: Iterable[int] = (),
               counters: Mapping[str, int] | None = None) -> None:
        rows = [(d.doc_key, d.kind.value, d.doc_no, json.dumps(document_json(d))) for d in saved]
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._conn.executemany("DELETE FROM documents WHERE doc_key = ?",
                                       [(key,) for key in deleted])
                self._conn.executemany(
                    "INSERT OR REPLACE INTO documents (doc_key, kind, doc_no, body) "
                    "VALUES (?, ?, ?, ?)", rows)
                self._conn.executemany(
                    "INSERT OR REPLACE INTO counters (name, value) VALUES (?, ?)",
                    list((counters or {}).items()))
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def clear(self) -> None:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            self._conn.execute("DELETE FROM documents")
            self._conn.execute("DELETE FROM counters")
            self._conn.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._conn.close()
