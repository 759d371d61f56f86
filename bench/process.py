"""What every measuring process of the benchmark shares: its environment and its memory readings.

Example
-------
>>> peak_rss_mb() >= resident_mb() > 0
True
"""

from __future__ import annotations

import os
import resource


def quiet_environment() -> None:
    """What a measuring process runs with: the in-memory store, no metrics, errors only in
    the log. Called before the handler is imported, never at import of a module, so that
    collecting doctests changes nothing for other tests."""
    os.environ.setdefault("PROGRESS_STORE", "memory://")
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    os.environ.setdefault("LOG_LEVEL", "ERROR")


def peak_rss_mb() -> float:
    """The process's peak resident memory so far, in MB (``ru_maxrss``, KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def resident_mb() -> float:
    """The process's resident memory now, in MB (``VmRSS`` of ``/proc/self/status``; 0
    where ``/proc`` is absent)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0
