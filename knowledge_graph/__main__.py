"""``python -m knowledge_graph``: the authoring command line (see :mod:`knowledge_graph.cli`)."""

from knowledge_graph.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
