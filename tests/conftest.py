"""Shared test fixtures."""

from __future__ import annotations

import os

import pytest

# keep solver and torch threads from oversubscribing the CI's 2 cores under pytest-xdist
os.environ.setdefault("OMP_NUM_THREADS", "1")


@pytest.fixture
def cli(capsys):
    """Run the CLI in-process: ``code, out, err = cli("solve", path, "-m", "enumerate")``."""
    from edgesplit.cli import run

    def _run(*args: str) -> tuple[int, str, str]:
        code = run([str(a) for a in args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return _run
