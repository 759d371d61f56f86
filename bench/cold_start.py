"""One cold start, run as a fresh process by ``bench.run``: ``python -m bench.cold_start``.

Imports ``lambda_function`` and answers one RecommendNextLesson event for a new learner,
as the first invocation of a new Lambda container does (the graph loads on that turn).
Environment: ``LESSON_GRAPH_PATH``, ``PROGRESS_STORE=memory://``,
``POWERTOOLS_METRICS_DISABLED=true``, ``LOG_LEVEL=ERROR``. Writes
``{"import_s", "first_turn_s", "maxrss_mb"}`` to the file named by the only argument.

The floor it is compared with is ``python -c "import numpy, networkx, pydantic, boto3"``.
"""

from __future__ import annotations

import time

_START = time.perf_counter()

import json  # noqa: E402
import sys  # noqa: E402

from bench.process import peak_rss_mb  # noqa: E402

FLOOR_CODE = "import numpy, networkx, pydantic, boto3"


def main() -> None:
    """Cold-start the bot once and record where the time went."""
    import lambda_function
    from bench.events import recommend_event

    imported = time.perf_counter()
    response = lambda_function.lambda_handler(recommend_event("cold-start-learner"), None)
    answered = time.perf_counter()
    if response["sessionState"]["dialogAction"]["type"] != "Close":
        raise SystemExit(f"unexpected response: {response}")
    with open(sys.argv[1], "w", encoding="utf-8") as out:
        json.dump(
            {
                "import_s": imported - _START,
                "first_turn_s": answered - imported,
                "maxrss_mb": peak_rss_mb(),
            },
            out,
        )


if __name__ == "__main__":
    main()
