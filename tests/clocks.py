"""A clock the test sets by hand, for the loaders' and the publisher's time checks."""

from __future__ import annotations


class ManualClock:
    """A monotonic clock that moves only when the test moves it (``now``, :meth:`advance`)
    or when the code under test sleeps (:meth:`sleep`, which records the wait).

    Example
    -------
    >>> clock = ManualClock(10.0)
    >>> clock.advance(5); clock.sleep(1.5); clock(), clock.sleeps
    (16.5, [1.5])
    """

    def __init__(self, now: float = 0.0) -> None:
        self.now = now
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
