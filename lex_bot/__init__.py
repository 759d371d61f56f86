"""Amazon Lex V2 code hook for the lesson bot: typed protocol, router, handlers, storage."""
