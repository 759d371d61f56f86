"""Amazon Lex V2 code hook for the lesson bot, in three rooms.

* :mod:`lex_bot.lexv2`: a generic Lex V2 framework (typed events, response builders, limits,
  session attributes, the router and its ``Turn``, observability, recording); it imports
  nothing of the lesson application or of ``knowledge_graph``.
* :mod:`lex_bot.lesson_app`: the lesson bot itself (intents, one module each; the turn its
  handlers get; messages per locale; the progress store; services).
* :mod:`lex_bot.devtools`: developer tools never shipped to Lambda (local chat and NLU, the
  Lex contract validator, replay, the event factory, slot-value generation, the CLI).
"""
