"""A small framework for Amazon Lex V2 Lambda code hooks, independent of any one bot.

Typed events (:mod:`.events`), response builders that cannot break Lex's contract
(:mod:`.responses`, :mod:`.limits`), typed session attributes (:mod:`.session_attributes`),
the router, its ``Turn`` and ``Router`` groups (:mod:`.router`), structured logs and metrics
(:mod:`.observability`) and turn recording (:mod:`.recording`). It imports nothing of the
lesson application or of ``knowledge_graph``.
"""
