"""The knowledge graph is tested on its own: no bot services are set up for these tests."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def services():
    """Overrides the bot-level fixture: nothing to set up for library tests."""
    yield None
