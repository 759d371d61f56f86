"""Structured logs and per-intent metrics (Powertools for AWS Lambda), with redaction.

* One JSON log line per turn, correlated by the Lex ``sessionId`` and the Lambda request id.
* Metrics in CloudWatch Embedded Metric Format: ``Turns`` and ``Errors`` (count) and
  ``TurnLatency`` (milliseconds), dimensioned by intent; and the same for the whole bot
  (dimension ``service`` only) plus ``Fallbacks`` (turns of the ``FallbackIntent``), which
  the stack's alarms and dashboard read. ``Errors`` counts the turns answered with a problem
  reply after an error ("the course isn't available right now", "something went wrong").
  No transcript, slot value or learner id ever goes into a metric.
* Transcripts and slot values are redacted in logs unless ``LOG_TRANSCRIPTS=true``.

Example:
    >>> redact("I finished loops")
    '<redacted:16 chars>'
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from aws_lambda_powertools import Logger, Metrics

SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME", "lessonbot")
NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "Lessonbot")
FALLBACK_INTENT = "FallbackIntent"


def transcripts_enabled() -> bool:
    """Whether learners' words may appear in logs (``LOG_TRANSCRIPTS``, off by default)."""
    return os.environ.get("LOG_TRANSCRIPTS", "").strip().lower() in ("1", "true", "yes")


def redact(text: str | None) -> str | None:
    """``text`` itself when transcripts may be logged, else a placeholder with its length."""
    if text is None:
        return None
    if transcripts_enabled():
        return text[:200]
    return f"<redacted:{len(text)} chars>"


def pseudonym(value: str | None) -> str | None:
    """A short stable hash of an identifier, so logs correlate without exposing it.

    Example:
        >>> pseudonym("session-1")
        '84097828fc31'
    """
    if not value:
        return None
    return hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()[:12]


_shared_logger_names: set[str] = set()


def share_logger_config(*names: str) -> None:
    """Give the standard-library loggers ``names`` (and their children) the JSON output.

    Library modules log with ``logging.getLogger(__name__)`` and stay free of Powertools;
    the app names their package roots here, and each gets the process-wide logger's
    handler and level, so every line is one JSON object with its ``extra`` fields (and the
    logger's ``name``) instead of a bare message on stderr. Cheap: nothing is imported
    until :func:`get_logger` first runs.

    We do this ourselves rather than with Powertools'
    ``logging.utils.copy_config_to_registered_loggers``: that helper configures only
    loggers that already exist when it is called (our store and loader modules are imported
    lazily, after the first turn) and turns their propagation off, unlike the Powertools
    logger itself, which propagates.
    """
    _shared_logger_names.update(names)
    if get_logger.cache_info().currsize:
        _share(get_logger(), names)


def _share(source: Logger, names: set[str] | tuple[str, ...]) -> None:
    for name in names:
        target = logging.getLogger(name)
        for handler in source.handlers:
            if handler not in target.handlers:
                target.addHandler(handler)
        target.setLevel(source.log_level)


@cache
def get_logger() -> Logger:
    """The process-wide Powertools logger (JSON to stdout; level from ``LOG_LEVEL``)."""
    from aws_lambda_powertools import Logger

    logger = Logger(service=SERVICE, level=os.environ.get("LOG_LEVEL", "INFO"))
    logger.append_keys(name="%(name)s")
    _share(logger, _shared_logger_names)
    return logger


@cache
def get_metrics() -> Metrics:
    """The process-wide Powertools metrics (EMF); disable with ``POWERTOOLS_METRICS_DISABLED``."""
    from aws_lambda_powertools import Metrics

    return Metrics(namespace=NAMESPACE, service=SERVICE)


def _metrics_disabled() -> bool:
    """``POWERTOOLS_METRICS_DISABLED`` is set (Powertools then keeps but never clears them)."""
    return os.environ.get("POWERTOOLS_METRICS_DISABLED", "").strip().lower() in ("1", "true")


def record_turn_metrics(intent: str, latency_ms: float, *, error: bool) -> None:
    """Emit this turn's metrics now (one EMF blob per turn, dimensioned by intent)."""
    if _metrics_disabled():
        return
    from aws_lambda_powertools.metrics import MetricUnit

    metrics = get_metrics()
    # Powertools drops (with a warning) a dimension whose value is blank after stripping.
    metrics.add_dimension(name="intent", value=intent.strip()[:100] or "unknown")
    metrics.add_metric(name="Turns", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="TurnLatency", unit=MetricUnit.Milliseconds, value=round(latency_ms, 3))
    if error:
        metrics.add_metric(name="Errors", unit=MetricUnit.Count, value=1)
    metrics.flush_metrics()
    # The whole bot (no intent dimension): alarms cannot sum over dimension values.
    metrics.add_metric(name="Turns", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="TurnLatency", unit=MetricUnit.Milliseconds, value=round(latency_ms, 3))
    metrics.add_metric(name="Errors", unit=MetricUnit.Count, value=1 if error else 0)
    metrics.add_metric(
        name="Fallbacks", unit=MetricUnit.Count, value=int(intent == FALLBACK_INTENT)
    )
    metrics.flush_metrics()


def traced(handler: Callable[..., Any]) -> Callable[..., Any]:
    """``handler`` wrapped in Powertools Tracer (X-Ray subsegments) when it can trace.

    Only on Lambda (``AWS_LAMBDA_FUNCTION_NAME``), with ``aws-xray-sdk`` importable (the
    layer has it) and ``POWERTOOLS_TRACE_DISABLED`` not true (the template sets it true unless
    tracing is Active: loading the tracer costs about 0.3 s of CPU per cold start); otherwise
    ``handler`` itself, so local runs work unchanged (the function's segment still comes from
    Lambda's tracing).
    """
    from importlib.util import find_spec

    if (
        not os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        or os.environ.get("POWERTOOLS_TRACE_DISABLED", "").strip().lower() in ("1", "true")
        or find_spec("aws_xray_sdk") is None
    ):
        return handler
    from aws_lambda_powertools import Tracer

    return Tracer(service=SERVICE).capture_lambda_handler(handler)


def count_metric(name: str) -> None:
    """Count one ``name`` (EMF, unit Count) in this turn's metrics, flushed with them."""
    if _metrics_disabled():
        return
    from aws_lambda_powertools.metrics import MetricUnit

    get_metrics().add_metric(name=name, unit=MetricUnit.Count, value=1)


def log_fields(**fields: Any) -> dict[str, Any]:
    """Drop ``None`` values so log lines stay short."""
    return {k: v for k, v in fields.items() if v is not None}
