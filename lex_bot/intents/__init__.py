"""Intent handlers, one module per intent or small family (registered by ``lex_bot.app``)."""
