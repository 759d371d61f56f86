"""``python -m transitions_aggregator``: see :mod:`transitions_aggregator.cli`."""

from transitions_aggregator.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
