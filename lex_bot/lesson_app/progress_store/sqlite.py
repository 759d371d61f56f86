"""The embedded local default: progress in a SQLite file (``sqlite:///path/progress.db``).

Same semantics as the DynamoDB store: every change is one short ``BEGIN IMMEDIATE``
transaction, so concurrent writers (threads or processes) serialise instead of overwriting
each other, and a reset is one transaction however many completions it erases. Writes are
idempotent per request: the identities of applied completions and of the last changes of
current lesson and goal are kept in ``applied_requests``, so a write repeated with the same
request token is answered as its first application was (see ``ProgressStore``).

**The store follows its file.** Every read and write first compares the device and inode
of ``path`` with those of the file its connection opened. A database file that was deleted
(``rm .lessonbot/progress.db``) or replaced (a restore, a sync tool) while the bot runs is
noticed, logged and reopened (an empty one is created when it is gone), instead of the old
connection writing on into an unlinked file that a restart would never read. The check is
made again *inside* each write transaction, after its lock is taken, and once more after the
commit: a write that landed in a file which is no longer at ``path`` is applied again to the
file that is (idempotent, so it is never counted twice), and the learner is told it was
saved only once it is in the file at ``path``. A tool that replaces the file safely holds a
write lock on the old file while it swaps the new one in (as ``tests`` do); no SQLite client
can make a plain ``rm`` racing a commit safe (SQLite's "How To Corrupt An SQLite Database
File", https://www.sqlite.org/howtocorrupt.html, section 2.4).

The journal is SQLite's default rollback journal rather than WAL: WAL keeps ``-wal`` and
``-shm`` files beside the database between transactions, named after the path, and a stale
connection to a deleted or replaced file would keep writing into the ``-wal`` that the new
file then adopts (same page, section 1.3 and 2.4). A rollback journal exists only while a
write is in flight. The local store serves one developer's chat, so WAL's extra concurrency
is not needed.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from lex_bot.lesson_app.progress_store.base import HeadFields
from lex_bot.lesson_app.progress_store.errors import (
    ProgressNotSavedError,
    ProgressUnavailableError,
    StoreConfigurationError,
)
from lex_bot.lesson_app.progress_store.model import (
    RECENT_REQUESTS,
    CompletedLesson,
    CompletionResult,
    LearnerProgress,
    check_key,
    check_mastery,
    operation_id,
    ordered_completions,
    utc_now,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: How long a writer waits for another writer's transaction before giving up.
BUSY_TIMEOUT_SECONDS = 10.0
#: How many times a write is tried when its file is found deleted or replaced under it.
MAX_REOPENS = 3
#: SQLite's extended result code for a write to a database file that was moved
#: (https://www.sqlite.org/rescode.html#readonly_dbmoved).
SQLITE_IOERR = 10
SQLITE_READONLY_DBMOVED = 1032

_SCHEMA = """
CREATE TABLE IF NOT EXISTS learners (
    learner_id     TEXT PRIMARY KEY,
    current_lesson TEXT,
    goal           TEXT,
    version        INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS completions (
    learner_id   TEXT NOT NULL,
    lesson_id    TEXT NOT NULL,
    mastery      REAL NOT NULL,
    completed_at TEXT NOT NULL,
    PRIMARY KEY (learner_id, lesson_id)
);
CREATE TABLE IF NOT EXISTS applied_requests (
    learner_id TEXT NOT NULL,
    op         TEXT NOT NULL,
    kind       TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    PRIMARY KEY (learner_id, op)
);
"""

FileIdentity = tuple[int, int]


@dataclass
class _Open:
    """One thread's connection and the identity of the file it opened."""

    db: sqlite3.Connection
    identity: FileIdentity | None


class SqliteProgressStore(HeadFields):
    """Progress in a SQLite database file; one connection per thread.

    Example
    -------
    >>> import tempfile, os
    >>> store = SqliteProgressStore(os.path.join(tempfile.mkdtemp(), "progress.db"))
    >>> store.complete_lesson("ana", "py/loops").newly_completed
    True
    >>> dict(SqliteProgressStore(store.path).get("ana").mastery())
    {'py/loops': 1.0}
    """

    def __init__(self, path: str | Path, clock: Callable[[], str] = utc_now) -> None:
        self.path = Path(path)
        self._clock = clock
        self._local = threading.local()
        #: How many times a connection found its file deleted or replaced and reopened it.
        self.reopens = 0
        try:
            self._connection()
        except (OSError, sqlite3.Error) as exc:
            raise StoreConfigurationError(
                f"cannot open progress database {self.path}: {exc}"
            ) from exc

    # ------------------------------------------------------------------ the file

    def _file_identity(self) -> FileIdentity | None:
        """Device and inode of the file at ``path`` now (None when there is none)."""
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            return None
        return stat.st_dev, stat.st_ino

    def _open(self) -> _Open:
        """Connect to the file at ``path``, knowing which file that is.

        The file's identity is taken before and after connecting; when they differ, the
        file was swapped while we connected, and we cannot tell which one we have: again.
        """
        for _ in range(MAX_REOPENS):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            before = self._file_identity()
            db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
            db.execute("PRAGMA journal_mode=DELETE")
            db.executescript(_SCHEMA)
            identity = self._file_identity()
            if before is None or before == identity:
                return _Open(db, identity)
            db.close()
        raise sqlite3.OperationalError(f"{self.path} keeps being replaced")

    def _connection(self) -> sqlite3.Connection:
        """This thread's connection, reopened when the file at ``path`` changed."""
        current: _Open | None = getattr(self._local, "open", None)
        if current is not None and current.identity == self._file_identity():
            return current.db
        if current is not None:
            logger.warning(
                "progress database deleted or replaced; reopening it",
                extra={"store": "sqlite", "path": str(self.path)},
            )
            current.db.close()
            self.reopens += 1
        self._local.open = self._open()
        return self._local.open.db

    def _moved(self, error: sqlite3.Error | None = None) -> bool:
        """The file this thread's connection opened is no longer the one at ``path``.

        Also true after SQLite's own ``SQLITE_READONLY_DBMOVED`` (it refuses to write to a
        file renamed or unlinked under it); the connection is then dropped, to be reopened.
        """
        current: _Open = self._local.open
        moved = current.identity != self._file_identity()
        code = getattr(error, "sqlite_errorcode", None)
        # SQLITE_IOERR (10, any extended code): seen when a journal left by a writer of the
        # replaced file meets the new one; reopen and try again on the current file.
        if code == SQLITE_READONLY_DBMOVED or (code is not None and code & 0xFF == SQLITE_IOERR):
            current.identity = (-1, -1)  # matches no file: the next use reopens
            moved = True
        return moved

    @staticmethod
    def _rollback(db: sqlite3.Connection) -> None:
        with contextlib.suppress(sqlite3.Error):  # no transaction left (SQLite ended it)
            db.execute("ROLLBACK")

    # ------------------------------------------------------------------ transactions

    def _write(self, operation: str, body: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``body`` in one write transaction on the file at ``path``.

        The file is checked after the lock is taken (a replaced file: start again on the
        new one; SQLite itself also refuses to write to a moved file) and after the commit
        (the commit went to a file no longer at ``path``: apply it again there; ``body`` is
        idempotent by request identity).
        """
        try:
            for _ in range(MAX_REOPENS):
                db = self._connection()
                try:
                    db.execute("BEGIN IMMEDIATE")
                    if self._moved():
                        self._rollback(db)
                        continue
                    result = body(db)
                    db.execute("COMMIT")
                except sqlite3.Error as exc:
                    self._rollback(db)
                    if self._moved(exc):
                        continue
                    raise
                except BaseException:
                    self._rollback(db)
                    raise
                if self._moved():
                    logger.error(
                        "progress written to a database file that was then deleted or "
                        "replaced; writing it again to the current file",
                        extra={"store": "sqlite", "operation": operation},
                    )
                    continue
                return result
        except sqlite3.Error as exc:
            logger.error(
                "progress not saved",
                extra={"store": "sqlite", "operation": operation, "error": str(exc)},
            )
            raise ProgressNotSavedError(f"{operation} failed: {exc}") from exc
        logger.error(
            "progress not saved",
            extra={"store": "sqlite", "operation": operation, "error": "database file moving"},
        )
        raise ProgressNotSavedError(f"{operation} failed: the database file keeps changing")

    def _read(self, db: sqlite3.Connection, learner_id: str) -> LearnerProgress:
        row = db.execute(
            "SELECT current_lesson, goal, version FROM learners WHERE learner_id = ?",
            (learner_id,),
        ).fetchone()
        completions = [
            CompletedLesson(lesson_id, float(mastery), completed_at)
            for lesson_id, mastery, completed_at in db.execute(
                "SELECT lesson_id, mastery, completed_at FROM completions WHERE learner_id = ?",
                (learner_id,),
            )
        ]
        current, goal, version = row if row else (None, None, 0)
        return LearnerProgress(learner_id, ordered_completions(completions), current, goal, version)

    def get(self, learner_id: str) -> LearnerProgress:
        check_key("learner id", learner_id)
        try:
            for attempt in range(MAX_REOPENS):
                db = self._connection()
                try:
                    db.execute("BEGIN")  # one snapshot for both tables
                    progress = self._read(db, learner_id)
                    db.execute("COMMIT")
                    return progress
                except sqlite3.Error as exc:
                    self._rollback(db)
                    if attempt + 1 == MAX_REOPENS or not self._moved(exc):
                        raise
            raise AssertionError("unreachable")  # pragma: no cover
        except sqlite3.Error as exc:
            logger.error("progress unavailable", extra={"store": "sqlite", "error": str(exc)})
            raise ProgressUnavailableError(f"reading progress failed: {exc}") from exc

    def learner_ids(self) -> list[str]:
        """Every learner the file holds progress for, sorted (for offline tools such as
        ``python -m lex_bot transitions rebuild``; not part of ``ProgressStore``: a
        DynamoDB table would need a ``Scan``, which the bot never does).

        Raises
        ------
        ProgressUnavailableError
            When the file cannot be read.
        """
        try:
            rows = self._connection().execute(
                "SELECT learner_id FROM learners UNION SELECT learner_id FROM completions "
                "ORDER BY 1"
            )
            return [learner_id for (learner_id,) in rows]
        except sqlite3.Error as exc:
            raise ProgressUnavailableError(f"listing learners failed: {exc}") from exc

    # ------------------------------------------------------------------ writes

    @staticmethod
    def _bump(db: sqlite3.Connection, learner_id: str) -> int:
        """Count one change for the learner; return the new version."""
        (version,) = db.execute(
            "INSERT INTO learners (learner_id, version) VALUES (?, 1) "
            "ON CONFLICT (learner_id) DO UPDATE SET version = version + 1 RETURNING version",
            (learner_id,),
        ).fetchone()
        return int(version)

    @staticmethod
    def _applied(db: sqlite3.Connection, learner_id: str, op: str) -> bool:
        return (
            db.execute(
                "SELECT 1 FROM applied_requests WHERE learner_id = ? AND op = ?",
                (learner_id, op),
            ).fetchone()
            is not None
        )

    @staticmethod
    def _remember(db: sqlite3.Connection, learner_id: str, op: str, kind: str, seq: int) -> None:
        db.execute(
            "INSERT OR IGNORE INTO applied_requests (learner_id, op, kind, seq) VALUES (?,?,?,?)",
            (learner_id, op, kind, seq),
        )
        if kind == "head":
            db.execute(
                "DELETE FROM applied_requests WHERE learner_id = ? AND kind = 'head' AND op NOT IN "
                "(SELECT op FROM applied_requests WHERE learner_id = ? AND kind = 'head' "
                "ORDER BY seq DESC LIMIT ?)",
                (learner_id, learner_id, RECENT_REQUESTS),
            )

    def complete_lesson(
        self,
        learner_id: str,
        lesson_id: str,
        mastery: float = 1.0,
        *,
        request_token: str | None = None,
    ) -> CompletionResult:
        check_key("learner id", learner_id)
        check_key("lesson id", lesson_id)
        mastery = check_mastery(mastery)
        op = operation_id(request_token, "complete_lesson", learner_id, lesson_id, mastery)

        def body(db: sqlite3.Connection) -> CompletionResult:
            if self._applied(db, learner_id, op):
                return CompletionResult(self._read(db, learner_id), newly_completed=True)
            before = db.execute(
                "SELECT mastery FROM completions WHERE learner_id = ? AND lesson_id = ?",
                (learner_id, lesson_id),
            ).fetchone()
            if before is None:
                db.execute(
                    "INSERT INTO completions (learner_id, lesson_id, mastery, completed_at) "
                    "VALUES (?, ?, ?, ?)",
                    (learner_id, lesson_id, mastery, self._clock()),
                )
                seq = self._bump(db, learner_id)
                self._remember(db, learner_id, op, "completion", seq)
            elif mastery > before[0]:
                db.execute(
                    "UPDATE completions SET mastery = ? WHERE learner_id = ? AND lesson_id = ?",
                    (mastery, learner_id, lesson_id),
                )
                self._bump(db, learner_id)
            return CompletionResult(self._read(db, learner_id), newly_completed=before is None)

        return self._write("complete_lesson", body)

    def _set(
        self, learner_id: str, column: str, lesson_id: str | None, request_token: str | None
    ) -> LearnerProgress:
        check_key("learner id", learner_id)
        if lesson_id is not None:
            check_key("lesson id", lesson_id)
        assert column in ("current_lesson", "goal")
        op = operation_id(request_token, f"set_{column}", learner_id, lesson_id)

        def body(db: sqlite3.Connection) -> LearnerProgress:
            if not self._applied(db, learner_id, op):
                (version,) = db.execute(
                    f"INSERT INTO learners (learner_id, {column}, version) VALUES (?, ?, 1) "
                    f"ON CONFLICT (learner_id) DO UPDATE SET {column} = excluded.{column}, "
                    "version = version + 1 RETURNING version",
                    (learner_id, lesson_id),
                ).fetchone()
                self._remember(db, learner_id, op, "head", version)
            return self._read(db, learner_id)

        return self._write(f"set_{column}", body)

    def reset(self, learner_id: str, *, request_token: str | None = None) -> None:
        check_key("learner id", learner_id)
        op = operation_id(request_token, "reset", learner_id)

        def body(db: sqlite3.Connection) -> None:
            if self._applied(db, learner_id, op):
                return
            db.execute("DELETE FROM completions WHERE learner_id = ?", (learner_id,))
            db.execute(
                "DELETE FROM applied_requests WHERE learner_id = ? AND kind = 'completion'",
                (learner_id,),
            )
            db.execute(
                "UPDATE learners SET current_lesson = NULL, goal = NULL WHERE learner_id = ?",
                (learner_id,),
            )
            version = self._bump(db, learner_id)
            self._remember(db, learner_id, op, "head", version)

        self._write("reset", body)
