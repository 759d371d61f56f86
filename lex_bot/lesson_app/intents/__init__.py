"""Intent handlers, one module per intent or small family, each with its own ``router``.

``lex_bot.lesson_app.app`` joins the routers.
"""
