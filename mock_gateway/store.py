"""SQLite persistence: one database file in the data dir, WAL, one connection per thread.

Each module that keeps state owns its tables and creates them through `Database.migrate`.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class Database:
    """A SQLite file shared by the HTTP workers, the processing pool and the callback dispatcher."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self.connection().execute("PRAGMA journal_mode=WAL")

    def connection(self) -> sqlite3.Connection:
        """This thread's connection, in autocommit mode; rows behave like dicts."""
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            connection.row_factory = sqlite3.Row
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute("PRAGMA busy_timeout=30000")
            connection.execute("PRAGMA cache_size=-512")  # KiB; lookups are by key, and every thread has a cache
            self._local.connection = connection
            with self._lock:
                self._connections.append(connection)
        return connection

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction that takes the lock up front, so concurrent writers queue instead of failing."""
        connection = self.connection()
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield connection
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")

    def migrate(self, ddl: str) -> None:
        """Create a module's tables and indexes; the DDL must be idempotent (`IF NOT EXISTS`)."""
        with self._lock:
            self.connection().executescript(ddl)

    def close(self) -> None:
        """Close every thread's connection (at shutdown)."""
        with self._lock:
            for connection in self._connections:
                connection.close()
            self._connections.clear()
        self._local = threading.local()


EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png"}


class ImageStore:
    """Uploaded images as files named by document reference, so the database stays small and images expire."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def put(self, document_reference: str, data: bytes, content_type: str) -> Path:
        """Write (or overwrite) an object atomically; a crash never leaves half an image."""
        path = self.root / f"{document_reference}{EXTENSIONS[content_type]}"
        partial = path.with_suffix(".part")
        partial.write_bytes(data)
        partial.replace(path)
        for other in EXTENSIONS.values():
            if other != path.suffix:
                (self.root / f"{document_reference}{other}").unlink(missing_ok=True)
        return path

    def get(self, document_reference: str) -> tuple[bytes, str] | None:
        """The object's bytes and content type, if it is still kept."""
        for content_type, extension in EXTENSIONS.items():
            path = self.root / f"{document_reference}{extension}"
            try:
                return path.read_bytes(), content_type
            except FileNotFoundError:
                continue
        return None

    def purge(self, older_than: float) -> int:
        """Delete objects last written before `older_than` (epoch seconds); returns how many."""
        purged = 0
        for path in self.root.iterdir():
            if path.stat().st_mtime < older_than:
                path.unlink(missing_ok=True)
                purged += 1
        return purged
