"""Errors of the progress store.

Each is mapped to a polite answer by ``lex_bot.lesson_app.intents.errors``.
"""

from __future__ import annotations


class ProgressStoreError(Exception):
    """Base class: something went wrong reading or writing learner progress."""


class ProgressNotSavedError(ProgressStoreError):
    """A write was not applied (after retries); the learner must be told to say it again."""


class ProgressNotConfirmedError(ProgressNotSavedError):
    """A write whose outcome is unknown: it failed, and reading back could not tell whether
    it was applied. Saying it again is safe: writes are idempotent."""


class ProgressUnavailableError(ProgressStoreError):
    """Progress could not be read right now (after retries)."""


class StoreConfigurationError(ProgressStoreError, ValueError):
    """``PROGRESS_STORE`` is missing or malformed (a deployment mistake, not a learner's)."""


class InvalidProgressKeyError(ProgressStoreError, ValueError):
    """A learner id or lesson id that the store refuses to use as a key."""
