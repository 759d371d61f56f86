"""Small statistics helpers for latency samples (nanoseconds in, milliseconds out)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def summary_ms(samples_ns: Sequence[int]) -> dict[str, float]:
    """p50, p99 and mean of ``samples_ns`` in milliseconds, with the sample count.

    Example
    -------
    >>> summary_ms([1_000_000, 2_000_000, 3_000_000])["p50"]
    2.0
    """
    values = np.asarray(samples_ns, dtype=float) / 1e6
    return {
        "n": int(values.size),
        "p50": float(np.percentile(values, 50)),
        "p99": float(np.percentile(values, 99)),
        "mean": float(values.mean()),
    }
