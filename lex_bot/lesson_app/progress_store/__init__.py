"""Durable learner progress: one interface, three stores chosen by ``PROGRESS_STORE``.

=====================================  ==================================================
``PROGRESS_STORE``                     store
=====================================  ==================================================
``dynamodb://TableName``               :class:`DynamoDBProgressStore` (deployed Lambda)
``sqlite:///absolute/path/progress.db``  :class:`SqliteProgressStore` (``sqlite://rel.db``
                                       is relative to the working directory)
``memory://``                          :class:`MemoryProgressStore` (tests, benchmarks)
unset                                  ``sqlite://.lessonbot/progress.db`` locally; an error
                                       inside Lambda, where a local file would be lost
=====================================  ==================================================

Example
-------
>>> store = open_progress_store("memory://")
>>> store.set_goal("ana", "py/recursion").goal
'py/recursion'
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Any

from lex_bot.lesson_app.progress_store.base import ProgressStore, RequestBoundStore
from lex_bot.lesson_app.progress_store.errors import (
    InvalidProgressKeyError,
    ProgressNotConfirmedError,
    ProgressNotSavedError,
    ProgressStoreError,
    ProgressUnavailableError,
    StoreConfigurationError,
)
from lex_bot.lesson_app.progress_store.model import (
    CompletedLesson,
    CompletionResult,
    LearnerProgress,
)

if TYPE_CHECKING:  # pragma: no cover
    from lex_bot.lesson_app.progress_store.dynamodb import DynamoDBProgressStore
    from lex_bot.lesson_app.progress_store.memory import MemoryProgressStore
    from lex_bot.lesson_app.progress_store.sqlite import SqliteProgressStore

__all__ = [
    "DEFAULT_LOCAL_STORE",
    "CompletedLesson",
    "CompletionResult",
    "DynamoDBProgressStore",
    "InvalidProgressKeyError",
    "LearnerProgress",
    "MemoryProgressStore",
    "ProgressNotConfirmedError",
    "ProgressNotSavedError",
    "ProgressStore",
    "ProgressStoreError",
    "ProgressUnavailableError",
    "RequestBoundStore",
    "SqliteProgressStore",
    "StoreConfigurationError",
    "open_progress_store",
]

#: Where progress goes locally when ``PROGRESS_STORE`` is unset.
DEFAULT_LOCAL_STORE = "sqlite://.lessonbot/progress.db"

_TABLE_NAME = re.compile(r"^[A-Za-z0-9_.-]{3,255}$")
_LAZY = {
    "DynamoDBProgressStore": "lex_bot.lesson_app.progress_store.dynamodb",
    "MemoryProgressStore": "lex_bot.lesson_app.progress_store.memory",
    "SqliteProgressStore": "lex_bot.lesson_app.progress_store.sqlite",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def open_progress_store(url: str | None = None) -> ProgressStore:
    """Open the store named by ``url`` (default: the ``PROGRESS_STORE`` variable).

    Parameters
    ----------
    url : str, optional
        ``dynamodb://Table``, ``sqlite:///abs/path.db``, ``sqlite://relative.db`` or
        ``memory://``.

    Returns
    -------
    ProgressStore
        The store; nothing is contacted before its first use (DynamoDB) beyond creating
        the SQLite file.

    Raises
    ------
    StoreConfigurationError
        For an unknown scheme, a bad table name, or no setting inside AWS Lambda.

    Example
    -------
    >>> type(open_progress_store("memory://")).__name__
    'MemoryProgressStore'
    """
    if url is None:
        url = os.environ.get("PROGRESS_STORE", "").strip()
        if not url:
            if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
                raise StoreConfigurationError(
                    "PROGRESS_STORE is not set; in Lambda it must name the DynamoDB table "
                    "(dynamodb://TableName)"
                )
            url = DEFAULT_LOCAL_STORE
    scheme, separator, rest = url.partition("://")
    if not separator:
        raise StoreConfigurationError(
            f"PROGRESS_STORE={url!r} is not a store URL "
            "(expected dynamodb://Table, sqlite:///path.db or memory://)"
        )
    scheme = scheme.lower()
    if scheme == "memory":
        from lex_bot.lesson_app.progress_store.memory import MemoryProgressStore

        return MemoryProgressStore()
    if scheme == "sqlite":
        if not rest:
            raise StoreConfigurationError("sqlite:// needs a file path, e.g. sqlite:///data/p.db")
        from lex_bot.lesson_app.progress_store.sqlite import SqliteProgressStore

        return SqliteProgressStore(rest)
    if scheme == "dynamodb":
        table, _, query = rest.partition("?")
        if not _TABLE_NAME.match(table):
            raise StoreConfigurationError(
                f"PROGRESS_STORE={url!r}: {table!r} is not a DynamoDB table name"
            )
        region = None
        for pair in filter(None, query.split("&")):
            key, _, value = pair.partition("=")
            if key != "region" or not value:
                raise StoreConfigurationError(f"PROGRESS_STORE={url!r}: unknown option {pair!r}")
            region = value
        from lex_bot.lesson_app.progress_store.dynamodb import DynamoDBProgressStore

        return DynamoDBProgressStore(table, region=region)
    raise StoreConfigurationError(
        f"PROGRESS_STORE={url!r}: unknown store {scheme!r} (dynamodb, sqlite or memory)"
    )
