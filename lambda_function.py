"""AWS Lambda entry point of the lesson bot (configure the handler as
``lambda_function.lambda_handler``).

Module-level work is only what every invocation needs: the router and its handlers. The
lesson graph and the progress store (boto3) are created lazily on first use, once per
container (see ``lex_bot/lesson_app/services.py``).
"""

from __future__ import annotations

from typing import Any

from lex_bot.lesson_app.app import handle
from lex_bot.lexv2.observability import traced


@traced  # X-Ray subsegments when the layer has aws-xray-sdk (see docs/DEPLOY.md)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Answer one Amazon Lex V2 code hook event."""
    return handle(event, context)
