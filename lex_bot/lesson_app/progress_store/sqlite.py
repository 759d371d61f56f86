"""The embedded local default: progress in a SQLite file (``sqlite:///path/progress.db``).

Same semantics as the DynamoDB store: every change is one short ``BEGIN IMMEDIATE``
transaction, so concurrent writers (threads or processes) serialise instead of overwriting
each other; the file is in WAL mode and survives restarts of the local chat.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from lex_bot.lesson_app.progress_store.errors import (
    ProgressNotSavedError,
    ProgressUnavailableError,
    StoreConfigurationError,
)
from lex_bot.lesson_app.progress_store.model import (
    CompletedLesson,
    CompletionResult,
    LearnerProgress,
    check_key,
    check_mastery,
    ordered_completions,
    utc_now,
)

logger = logging.getLogger(__name__)

#: How long a writer waits for another writer's transaction before giving up.
BUSY_TIMEOUT_SECONDS = 10.0

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
"""


class SqliteProgressStore:
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
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._connection().executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise StoreConfigurationError(
                f"cannot open progress database {self.path}: {exc}"
            ) from exc

    def _connection(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
        return db

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        db = self._connection()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        else:
            db.execute("COMMIT")

    @contextmanager
    def _writing(self, learner_id: str, operation: str) -> Iterator[sqlite3.Connection]:
        try:
            with self._transaction() as db:
                yield db
        except sqlite3.Error as exc:
            logger.error(
                "progress not saved",
                extra={"store": "sqlite", "operation": operation, "error": str(exc)},
            )
            raise ProgressNotSavedError(f"{operation} failed: {exc}") from exc

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
            return self._read(self._connection(), learner_id)
        except sqlite3.Error as exc:
            logger.error("progress unavailable", extra={"store": "sqlite", "error": str(exc)})
            raise ProgressUnavailableError(f"reading progress failed: {exc}") from exc

    @staticmethod
    def _bump(db: sqlite3.Connection, learner_id: str) -> None:
        db.execute(
            "INSERT INTO learners (learner_id, version) VALUES (?, 1) "
            "ON CONFLICT (learner_id) DO UPDATE SET version = version + 1",
            (learner_id,),
        )

    def complete_lesson(
        self, learner_id: str, lesson_id: str, mastery: float = 1.0
    ) -> CompletionResult:
        check_key("learner id", learner_id)
        check_key("lesson id", lesson_id)
        mastery = check_mastery(mastery)
        with self._writing(learner_id, "complete_lesson") as db:
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
                self._bump(db, learner_id)
            elif mastery > before[0]:
                db.execute(
                    "UPDATE completions SET mastery = ? WHERE learner_id = ? AND lesson_id = ?",
                    (mastery, learner_id, lesson_id),
                )
                self._bump(db, learner_id)
            progress = self._read(db, learner_id)
        return CompletionResult(progress, newly_completed=before is None)

    def _set(self, learner_id: str, column: str, lesson_id: str | None) -> LearnerProgress:
        check_key("learner id", learner_id)
        if lesson_id is not None:
            check_key("lesson id", lesson_id)
        assert column in ("current_lesson", "goal")
        with self._writing(learner_id, f"set_{column}") as db:
            db.execute(
                f"INSERT INTO learners (learner_id, {column}, version) VALUES (?, ?, 1) "
                f"ON CONFLICT (learner_id) DO UPDATE SET {column} = excluded.{column}, "
                "version = version + 1",
                (learner_id, lesson_id),
            )
            return self._read(db, learner_id)

    def set_current_lesson(self, learner_id: str, lesson_id: str | None) -> LearnerProgress:
        return self._set(learner_id, "current_lesson", lesson_id)

    def set_goal(self, learner_id: str, lesson_id: str | None) -> LearnerProgress:
        return self._set(learner_id, "goal", lesson_id)

    def reset(self, learner_id: str) -> None:
        check_key("learner id", learner_id)
        with self._writing(learner_id, "reset") as db:
            db.execute("DELETE FROM completions WHERE learner_id = ?", (learner_id,))
            db.execute("DELETE FROM learners WHERE learner_id = ?", (learner_id,))
