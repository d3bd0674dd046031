"""Helpers shared by the test suites: free ports, PostgreSQL and Redis, server processes, Chromium.

Import them as ``from tests.support.server import ServerProcess`` (pytest puts the repository root
on ``sys.path``). The fixtures built on them live in ``tests/conftest.py``.
"""
