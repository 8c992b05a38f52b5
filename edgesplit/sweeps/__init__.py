"""Sweeps: many instances x many methods, resumable, on local processes or on Dask.

``edgesplit sweep SPEC`` (docs/sweeps.md) expands a spec (:mod:`edgesplit.sweeps.spec`) into
runs, one per (instance, method, time limit, seed), runs those not finished yet
(:mod:`edgesplit.sweeps.runner`) and appends each finished run as one row to a results folder
(:mod:`edgesplit.sweeps.store`); ``edgesplit report RESULTS`` (:mod:`edgesplit.report`)
summarises it.

>>> from edgesplit.sweeps import run_sweep, load_results        # doctest: +SKIP
>>> summary = run_sweep("examples/sweep_split_pareto.yaml", workers=2)
>>> rows = load_results(summary.results)                          # a pandas DataFrame
"""

from __future__ import annotations

from edgesplit.sweeps.runner import STATUSES, SweepSummary, default_results_path, run_one, run_sweep
from edgesplit.sweeps.spec import Run, Spec, load_spec, plan
from edgesplit.sweeps.store import COLUMNS, DERIVED_COLUMNS, ResultStore, add_gaps, load_results

__all__ = [
    "COLUMNS",
    "DERIVED_COLUMNS",
    "STATUSES",
    "ResultStore",
    "Run",
    "Spec",
    "SweepSummary",
    "add_gaps",
    "default_results_path",
    "load_results",
    "load_spec",
    "plan",
    "run_one",
    "run_sweep",
]
