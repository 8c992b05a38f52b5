"""Running a sweep: one run per (instance, method) on local processes or on Dask.

:func:`run_one` is what a worker executes: build the instance, ``solve`` it, and return the
row; it never raises, so a failing run is a row with status ``error`` and its reason. The
parent process is the only writer of the results folder: it appends each row as it arrives
(:class:`~edgesplit.sweeps.store.ResultStore`), so a sweep killed at any moment keeps every
finished run, and running the same spec again skips them.

Executors: ``serial`` (this process; for debugging), ``local`` (a
:class:`concurrent.futures.ProcessPoolExecutor`, default, all cores) and ``dask`` (a
``distributed.Client`` on a scheduler address or an existing cluster). A local worker that
dies (a segfault, the out-of-memory killer) breaks the process pool: the runs in flight are
run again one at a time on a fresh pool, and a run that kills its worker twice on its own is
recorded as an error.
Dask handles worker deaths itself (``distributed.scheduler.allowed-failures``) and reports
the run as ``KilledWorker``, which is recorded the same way.
"""

from __future__ import annotations

import functools
import json
import math
import os
import socket
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from edgesplit.errors import InputError
from edgesplit.sweeps.spec import Run, Spec, import_plugins, load_spec, plan
from edgesplit.sweeps.store import ResultStore, instance_sha

__all__ = ["STATUSES", "SweepSummary", "default_results_path", "run_one", "run_sweep"]

STATUSES = ("optimal", "feasible", "infeasible", "time_limit", "error")
#: A run that kills its local worker process this many times alone is recorded as an error.
MAX_CRASHES = 2
#: Seconds to wait for a Dask scheduler before giving up.
DASK_CONNECT_TIMEOUT_S = 20
#: Rows appended between two compactions of the results folder.
COMPACT_EVERY = 2000

Row = dict[str, Any]


# ----------------------------------------------------------------------------- one run
@functools.cache
def versions() -> str:
    """JSON of the versions that can change a result: edgesplit, Python, solver libraries."""
    import platform
    from importlib import metadata

    out = {"python": platform.python_version()}
    for dist in ("edgesplit", "numpy", "scipy", "pyomo", "highspy", "pyscipopt", "cvxpy",
                 "networkx", "pymoo", "stable-baselines3", "torch"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return json.dumps(out, sort_keys=True)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _json(value: Any) -> str | None:
    if value is None:
        return None
    from edgesplit.results import _clean

    return json.dumps(_clean(value), sort_keys=True, allow_nan=False)


def _finite(x: Any) -> float | None:
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def count_numbers(data: Any) -> int:
    """How many numbers an instance holds (its ``meta`` aside): the size axis of reports."""
    if isinstance(data, bool):
        return 0
    if isinstance(data, (int, float)):
        return 1
    if isinstance(data, dict):
        return sum(count_numbers(v) for k, v in data.items() if k != "meta")
    if isinstance(data, (list, tuple)):
        return sum(count_numbers(v) for v in data)
    return 0


def base_row(run: Run) -> Row:
    """The part of a row known before the run: its identity and parameters."""
    gen = run.source.get("generate")
    return {
        "run_key": run.key, "sweep": run.sweep, "instance_id": run.instance_id,
        "problem": run.problem,
        "size": gen["size"] if gen else None,
        "instance_seed": gen["seed"] if gen else None,
        "params": _json(run.params()),
        "instance_file": run.source.get("file"),
        "method": run.method, "method_name": run.method_name,
        "options": _json(run.options), "time_limit": run.time_limit, "seed": run.seed,
        "status": "error", "worker": f"{socket.gethostname()}:{os.getpid()}",
        "versions": versions(),
    }


def error_row(run: Run, error: str) -> Row:
    """A row for a run that never returned (its worker died); times are the parent's."""
    from edgesplit.solvers import get_method

    now = _now()
    try:
        kind = get_method(run.problem, run.method_name).kind
    except InputError:
        kind = None
    return {**base_row(run), "kind": kind, "error": error, "message": error,
            "started_at": now, "finished_at": now, "worker": None}


def build_instance(run: Run) -> Any:
    """The run's instance: generated from its seed, size and parameters, or parsed."""
    from edgesplit.formulations import get_problem
    from edgesplit.io import load_instance

    gen = run.source.get("generate")
    if gen is not None:
        return get_problem(run.problem).generate(gen["seed"], gen["size"], **gen["params"])
    return load_instance(json.loads(run.source["text"]))


def run_one(run: Run) -> Row:
    """Run one (instance, method) pair and return its row; never raises an ``Exception``.

    Anything that goes wrong (the generator, a bad option, the solver, ``evaluate``) makes a
    row with status ``error`` whose ``error`` says why (``"Type: text"`` for an exception);
    ``error`` is set exactly on the rows with status ``error``.
    """
    from edgesplit.solvers import get_method, solve

    row = base_row(run)
    row["started_at"] = _now()
    start = time.perf_counter()
    try:
        import_plugins(run.plugins)
        inst = build_instance(run)
        row["instance_name"] = inst.name
        row["instance_sha"] = instance_sha(inst)
        row["instance_size"] = count_numbers(inst.model_dump(mode="json"))
        row["kind"] = get_method(run.problem, run.method_name).kind
        result = solve(inst, run.method_name, time_limit=run.time_limit, seed=run.seed,
                       **run.options)
        row.update(
            status=str(result.status), objective=_finite(result.objective),
            objectives=_json(result.objectives), bound=_finite(result.bound),
            own_gap=_finite(result.gap), runtime_s=float(result.runtime_s),
            message=result.message, solution=_json(result.solution))
        if result.status == "error":
            row["error"] = result.message or "the method returned status error"
    except Exception as exc:
        text = f"{type(exc).__name__}: {exc}"
        row.update(status="error", error=text, message=text)
    row["wall_s"] = time.perf_counter() - start
    row["finished_at"] = _now()
    return row


# ----------------------------------------------------------------------------- executors
Record = Callable[[Row], None]


def execute_serial(runs: Iterable[Run], record: Record) -> None:
    """Run every run in this process, one after the other."""
    for run in runs:
        record(run_one(run))


def execute_local(runs: Iterable[Run], record: Record, workers: int) -> None:
    """Run on a pool of ``workers`` local processes (spawned, so no state leaks in).

    At most ``2 * workers`` runs are in flight. When a worker process dies, the pool breaks
    and every run in flight is a suspect; suspects then run one at a time on a fresh pool,
    so the run that kills its worker is found. A run that kills its worker
    :data:`MAX_CRASHES` times on its own is recorded as an error (``WorkerDied``).
    """
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    queue = deque(runs)
    suspects: deque[Run] = deque()
    alone: Counter[str] = Counter()
    while queue or suspects:
        pool = ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn"))
        finished = False
        try:
            implicated = _drive_pool(pool, queue, suspects, record, 2 * workers)
            finished = True
        finally:
            pool.shutdown(wait=finished, cancel_futures=True)
        if len(implicated) == 1:  # it ran alone, or the others finished: it is the killer
            run = implicated[0]
            alone[run.key] += 1
            if alone[run.key] >= MAX_CRASHES:
                record(error_row(run, f"WorkerDied: the worker process died {alone[run.key]} "
                                      "times while running this run alone"))
            else:
                suspects.appendleft(run)
        else:
            suspects.extend(implicated)


def _drive_pool(pool: Any, queue: deque[Run], suspects: deque[Run], record: Record,
                window: int) -> list[Run]:
    """Feed the pool until everything ran (return ``[]``) or it broke (return the runs that
    were in flight and did not finish)."""
    from concurrent.futures import FIRST_COMPLETED, Future, wait
    from concurrent.futures.process import BrokenProcessPool

    inflight: dict[Future[Row], Run] = {}
    while queue or suspects or inflight:
        if suspects:
            if not inflight:
                run = suspects.popleft()
                inflight[pool.submit(run_one, run)] = run
        else:
            while queue and len(inflight) < window:
                run = queue.popleft()
                inflight[pool.submit(run_one, run)] = run
        done, _ = wait(inflight, return_when=FIRST_COMPLETED)
        broken: list[Run] = []
        for fut in done:
            run = inflight.pop(fut)
            try:
                row = fut.result()
            except BrokenProcessPool:
                broken.append(run)
                continue
            record(row)
        if broken:
            for fut in wait(inflight).done:  # the pool is dead: the rest fail at once
                run = inflight.pop(fut)
                try:
                    record(fut.result())
                except BrokenProcessPool:
                    broken.append(run)
            return broken
    return []


def dask_client(scheduler: Any) -> tuple[Any, bool]:
    """A ``distributed.Client`` for an address, a cluster or a client; and whether we own it.

    Raises
    ------
    InputError
        If no scheduler answers at the address within :data:`DASK_CONNECT_TIMEOUT_S`.
    """
    from distributed import Client

    if isinstance(scheduler, Client):
        return scheduler, False
    try:
        return Client(scheduler, timeout=DASK_CONNECT_TIMEOUT_S), True
    except OSError as exc:
        raise InputError("scheduler", f"cannot reach the Dask scheduler {scheduler!r}: {exc}") \
            from None


def execute_dask(runs: Iterable[Run], record: Record, client: Any) -> None:
    """Run on Dask distributed through ``client`` (see :func:`dask_client`).

    Each run is one task keyed by its run key. A task that raises (a worker killed too
    often, ``KilledWorker``) is recorded as an error row.
    """
    from distributed import as_completed

    futures = {}
    try:
        for run in runs:
            fut = client.submit(run_one, run, key=f"edgesplit-run-{run.key}", pure=False)
            futures[fut.key] = (fut, run)
        for fut in as_completed([f for f, _ in futures.values()]):
            run = futures[fut.key][1]
            try:
                row = fut.result()
            except Exception as exc:
                row = error_row(run, f"{type(exc).__name__}: {exc}")
            record(row)
            fut.release()
    finally:
        unfinished = [f for f, _ in futures.values() if not f.done()]
        if unfinished:  # interrupted: free the cluster
            client.cancel(unfinished)


# ----------------------------------------------------------------------------- progress
class _Progress:
    """A rich progress bar whose line shows the counts by status."""

    COLOURS: ClassVar[dict[str, str]] = {
        "optimal": "green", "feasible": "cyan", "infeasible": "yellow", "time_limit": "magenta",
        "error": "red"}

    def __init__(self, total: int, enabled: bool, console: Any = None) -> None:
        self.counts: Counter[str] = Counter()
        self.enabled = enabled and total > 0
        if not self.enabled:
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.progress = Progress(
            TextColumn("[bold]sweep"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            TextColumn("eta"), TimeRemainingColumn(), TextColumn("{task.fields[counts]}"),
            console=console or Console(stderr=True), transient=False)
        self.task = self.progress.add_task("sweep", total=total, counts="")

    def __enter__(self) -> _Progress:
        if self.enabled:
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.enabled:
            self.progress.stop()

    def advance(self, status: str) -> None:
        self.counts[status] += 1
        if self.enabled:
            text = "  ".join(f"[{self.COLOURS.get(s, 'white')}]{s} {self.counts[s]}[/]"
                             for s in STATUSES if self.counts[s])
            self.progress.update(self.task, advance=1, counts=text)


# ----------------------------------------------------------------------------- the sweep
@dataclass
class SweepSummary:
    """What a sweep did.

    Attributes
    ----------
    results
        The results folder.
    total, skipped, ran
        Runs in the spec, runs already finished before (skipped), runs done now.
    counts
        Runs done now, by status.
    rows
        Every row of the spec's runs (old and new) with gaps recomputed (pandas DataFrame).
    warnings
        Notes such as skipped instance files.
    """

    results: Path
    total: int
    skipped: int
    ran: int
    counts: dict[str, int]
    rows: Any = field(repr=False)
    warnings: list[str] = field(default_factory=list)


def default_results_path(spec: Spec) -> Path:
    """The spec's ``results`` (relative to its file), else ``out/sweeps/<name>``."""
    if spec.results:
        return Path(os.path.normpath(Path(spec.base_dir) / spec.results))
    return Path("out") / "sweeps" / (spec.name or "sweep")


def run_sweep(spec: str | os.PathLike[str] | dict[str, Any] | Spec,
              results: str | os.PathLike[str] | None = None, *,
              workers: int | None = None, scheduler: Any = None, serial: bool = False,
              retry_errors: bool = False, fsync: bool = False, progress: bool = False,
              console: Any = None, on_row: Record | None = None,
              dry_run: bool = False) -> SweepSummary:
    """Run every (instance, method) pair of a spec that is not finished yet.

    Parameters
    ----------
    spec
        A spec file (YAML or JSON), its dictionary, or a :class:`Spec`.
    results
        The results folder (default: :func:`default_results_path`).
    workers
        Local worker processes (default: every core). Ignored with ``scheduler``.
    scheduler
        Dask scheduler address (``tcp://host:8786``), ``distributed.Client`` or cluster.
    serial
        Run in this process (no pool); for debugging.
    retry_errors
        Run again the runs whose stored row is an error (their new row replaces it).
    fsync
        Flush every row to the disk (see :class:`~edgesplit.sweeps.store.ResultStore`).
    progress
        Show a live progress bar with counts by status (on stderr).
    console
        A ``rich.console.Console`` for the progress bar.
    on_row
        Called with every new row after it is stored.
    dry_run
        Plan and count, run nothing.

    Returns
    -------
    SweepSummary

    Raises
    ------
    InputError
        For a bad spec, an unreachable scheduler, or a results folder in use.
    """
    spec = load_spec(spec)
    warnings: list[str] = []
    runs = plan(spec, warnings)
    store = ResultStore(results if results is not None else default_results_path(spec),
                        fsync=fsync)
    if workers is not None and workers < 1:
        raise InputError("workers", f"must be at least 1 (got {workers})")
    keys = {r.key for r in runs}
    if dry_run:
        done = store.finished_keys(include_errors=not retry_errors) \
            if store.path.is_dir() else set()
        pending = [r for r in runs if r.key not in done]
        return SweepSummary(store.path, len(runs), len(runs) - len(pending), 0, {},
                            _rows_of(store, keys), warnings)
    client, own_client = dask_client(scheduler) if scheduler is not None else (None, False)
    try:
        with store.lock():
            store.compact()  # fold in what a killed sweep left in the journal
            done = store.finished_keys(include_errors=not retry_errors)
            pending = [r for r in runs if r.key not in done]
            with _Progress(len(pending), progress, console) as bar:
                writer = _Writer(store, bar, on_row)
                try:
                    _execute(pending, writer, client, workers, serial)
                finally:
                    store.compact()
    finally:
        if own_client:
            client.close()
    return SweepSummary(store.path, len(runs), len(runs) - len(pending),
                        sum(writer.counts.values()), dict(writer.counts), _rows_of(store, keys),
                        warnings)


class _Writer:
    """Stores each row as it arrives, advances the progress bar, compacts now and then."""

    def __init__(self, store: ResultStore, bar: _Progress, on_row: Record | None) -> None:
        self.store, self.bar, self.on_row = store, bar, on_row
        self.counts: Counter[str] = Counter()
        self.since_compaction = 0

    def __call__(self, row: Row) -> None:
        self.store.append(row)
        self.counts[row["status"]] += 1
        self.bar.advance(row["status"])
        if self.on_row is not None:
            self.on_row(row)
        self.since_compaction += 1
        if self.since_compaction >= COMPACT_EVERY:
            self.store.compact()
            self.since_compaction = 0


def _execute(pending: list[Run], record: Record, client: Any, workers: int | None,
             serial: bool) -> None:
    if not pending:
        return
    if client is not None:
        execute_dask(pending, record, client)
    elif serial:
        execute_serial(pending, record)
    else:
        execute_local(pending, record, min(workers or os.cpu_count() or 1, len(pending)))


def _rows_of(store: ResultStore, keys: set[str]) -> Any:
    frame = store.load()
    return frame[frame["run_key"].isin(keys)].reset_index(drop=True)


def print_summary(summary: SweepSummary, console: Any, dry_run: bool = False) -> None:
    """Print what a sweep did and a table per (problem, method) (rich)."""
    from rich.table import Table

    from edgesplit.report import summarise

    for note in summary.warnings:
        console.print(f"[yellow]warning:[/] {note}")
    verb = "would run" if dry_run else "ran"
    pending = summary.total - summary.skipped
    console.print(f"{summary.total} runs in the spec: {summary.skipped} already finished, "
                  f"{verb} {pending if dry_run else summary.ran}; results in {summary.results}")
    if summary.rows is None or not len(summary.rows):
        return
    table = Table(title="runs of this spec", caption="opt/feas/inf/t.l./err: runs by status; "
                  "gap: to the best proven bound of the instance; time: mean solve seconds")
    for col in ("problem", "method", "runs", "opt", "feas", "inf", "t.l.", "err", "gap mean",
                "gap max", "time"):
        table.add_column(col, justify="left" if col in ("problem", "method") else "right",
                         no_wrap=True)

    def fmt(x: Any, pct: bool = False) -> str:
        if x is None or (isinstance(x, float) and not math.isfinite(x)):
            return "-"
        return f"{100 * x:.2f}%" if pct else f"{x:.3g}"

    for r in summarise(summary.rows).to_dict("records"):
        table.add_row(r["problem"], r["method"], str(r["runs"]),
                      *(str(r[s]) for s in STATUSES), fmt(r["gap_mean"], True),
                      fmt(r["gap_max"], True), fmt(r["runtime_mean"]))
    console.print(table)
