"""``python -m lex_bot <command>``: the developer tools (see :mod:`lex_bot.devtools.cli`)."""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__":  # pragma: no cover
    root = str(Path(__file__).resolve().parent.parent)
    if root not in sys.path:  # run from elsewhere: the repository root holds the packages
        sys.path.insert(0, root)
    from lex_bot.devtools.cli import main

    raise SystemExit(main())
