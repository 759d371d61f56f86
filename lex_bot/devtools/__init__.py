"""Developer tools, never shipped to Lambda: local chat and NLU, the Lex contract validator,
replay, the shared Lex event factory, slot-value generation and the ``python -m lex_bot`` CLI.
"""
