"""The lesson bot: intent handlers, the turn they get, messages, progress storage, services.

``app.py`` joins one router per intent module (``intents/``); ``lambda_function`` calls
``app.handle``.
"""
