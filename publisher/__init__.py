"""S3-triggered publisher of lesson files (see publisher/handler.py); not part of the bot."""
