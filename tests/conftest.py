"""Pytest set-up: the fixture modules in tests/fixtures/ load as plugins.

tests/ is a package, so pytest puts the repository root on sys.path and test files import
their helpers as ``tests.helpers.<module>``; no test edits sys.path.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

pytest_plugins = ["tests.fixtures.zoo", "tests.fixtures.viewer", "tests.fixtures.runtimes"]
