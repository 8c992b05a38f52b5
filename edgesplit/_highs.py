"""A silent ``highspy.Highs`` for models built directly from numpy arrays.

HiGHS prints its banner to the process's standard output (file descriptor 1, below Python's
``sys.stdout``) when the first ``Highs`` object of a process is made, before any option can
switch output off. That would corrupt ``edgesplit solve --json``, whose standard output must be
one JSON object, so the construction runs with descriptor 1 pointed at ``/dev/null``.
"""

from __future__ import annotations

import os
import sys
from typing import Any

__all__ = ["prepare_threads", "silent_highs"]


def silent_highs() -> Any:
    """A ``highspy.Highs`` with output off, made without printing the banner."""
    import highspy

    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            h = highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    h.silent()
    return h


def prepare_threads(threads: int | None) -> None:
    """Let the next HiGHS solve of this process use ``threads`` threads.

    HiGHS keeps one global task scheduler per process, sized by the first solve; a later solve
    that sets another ``threads`` value fails (Pyomo reports it as termination "unknown" with
    no solution). When a thread count is asked for, the scheduler is reset first, so that solves
    with and without ``threads`` can follow each other in one process (as they do in the test
    suite and in a sweep worker). Solves must not run concurrently in threads of one process.
    """
    if threads is None:
        return
    import highspy

    highspy.Highs.resetGlobalScheduler(True)
