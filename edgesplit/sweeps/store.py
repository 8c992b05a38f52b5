"""The results folder of a sweep: a journal of finished runs and a compacted Parquet file.

Layout of a results folder ``R``::

    R/results.parquet     every row compacted so far (rewritten atomically)
    R/runs/<key>.json     one file per run finished since the last compaction
    R/.lock               held by the sweep that writes to R

Why this design (docs/sweeps.md): a finished run is written as its own file, first to a
temporary name and then renamed, and a rename is atomic, so a kill at any moment loses no
finished row and never leaves a half-written one. Compaction reads the Parquet file and the
journal, writes a new Parquet file under a temporary name, renames it over the old one and
only then deletes the journal files it absorbed; a kill in between leaves rows in both places,
which reading deduplicates by key. Readers never see a torn file: a journal file that does
not parse (a crash of the whole machine before the data reached the disk) is ignored, and its
run is simply run again.

Rows hold what one run measured. What depends on other runs of the same instance (the best
proven bound and the gap to it) is recomputed every time rows are read
(:func:`add_gaps`), because bounds arrive over time.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from edgesplit.errors import InputError

__all__ = [
    "COLUMNS",
    "DERIVED_COLUMNS",
    "ResultStore",
    "add_gaps",
    "compare_gaps",
    "instance_sha",
    "load_results",
]

#: Stored columns and their Arrow types (docs/sweeps.md, "Results schema").
COLUMNS: dict[str, str] = {
    "run_key": "string",         # identity of the run (spec.run_key)
    "sweep": "string",           # the spec's name
    "instance_id": "string",     # problem/size/seed=S[,param=value] or file@sha
    "problem": "string",
    "size": "string",            # generator size (null for files)
    "instance_seed": "int64",    # generator seed (null for files)
    "params": "string",          # JSON of extra generator parameters
    "instance_file": "string",   # the file's path as the spec found it (null if generated)
    "instance_name": "string",
    "instance_sha": "string",    # sha256 of the instance JSON, first 16 hex digits
    "instance_size": "int64",    # count of numbers in the instance (the size axis of plots)
    "method": "string",          # label (the registry name unless the spec gave a label)
    "method_name": "string",     # registry name
    "kind": "string",            # exact | heuristic | baseline
    "options": "string",         # JSON of method options
    "time_limit": "float64",
    "seed": "int64",             # method seed
    "status": "string",          # optimal | feasible | infeasible | time_limit | error
    "objective": "float64",
    "objectives": "string",      # JSON of named objectives
    "bound": "float64",          # the method's own proven lower bound
    "own_gap": "float64",        # the method's own gap (objective vs its bound)
    "runtime_s": "float64",      # solve() wall time
    "wall_s": "float64",         # the whole run: instance built, solved, verified
    "message": "string",
    "error": "string",           # why the run failed; set exactly when status is error
    "solution": "string",        # JSON of the solution
    "worker": "string",          # host:pid
    "started_at": "string",      # ISO 8601, UTC
    "finished_at": "string",
    "versions": "string",        # JSON: edgesplit, python and solver library versions
}

#: Columns recomputed from all rows of an instance whenever rows are read (:func:`add_gaps`).
DERIVED_COLUMNS: dict[str, str] = {
    "best_bound": "float64",     # best proven lower bound over every run of the instance
    "best_objective": "float64", # best objective found by any run of the instance
    "gap": "float64",            # (objective - best_bound) / |best_bound|
    "gap_to_best": "float64",    # (objective - best_objective) / |best_objective|
}

#: Statuses whose objective and bound are trusted for the best bound and best objective.
_TRUSTED = ("optimal", "feasible", "time_limit")
_EPS = 1e-12


def _schema() -> Any:
    import pyarrow as pa

    types = {"string": pa.string(), "int64": pa.int64(), "float64": pa.float64()}
    return pa.schema([(name, types[t]) for name, t in {**COLUMNS, **DERIVED_COLUMNS}.items()])


def _atomic_write(path: Path, data: bytes, fsync: bool) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        if fsync:
            fh.flush()
            os.fsync(fh.fileno())
    os.replace(tmp, path)


class ResultStore:
    """A results folder (see the module docstring): append rows, list finished runs, compact.

    Parameters
    ----------
    path
        The folder; created on first write.
    fsync
        Also flush every journal file to the disk before renaming it, so that a crash of the
        whole machine (not just of the sweep) loses no row. Off by default: a killed process
        loses nothing without it, and it costs about a millisecond per row.
    """

    PARQUET = "results.parquet"
    JOURNAL = "runs"

    def __init__(self, path: str | os.PathLike[str], fsync: bool = False) -> None:
        self.path = Path(path)
        self.fsync = fsync
        if self.path.exists() and not self.path.is_dir():
            raise InputError("results", f"{self.path}: exists and is not a folder")

    @property
    def parquet(self) -> Path:
        """The compacted Parquet file."""
        return self.path / self.PARQUET

    @property
    def journal(self) -> Path:
        """The folder of runs finished since the last compaction."""
        return self.path / self.JOURNAL

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the folder for one writing sweep; a second one gets an :class:`InputError`.

        The lock is the operating system's (``flock``): it goes away with the process, so a
        killed sweep leaves no stale lock.
        """
        import fcntl

        self.journal.mkdir(parents=True, exist_ok=True)
        with open(self.path / ".lock", "a+") as fh:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise InputError("results", f"{self.path}: another sweep is writing to this "
                                            "folder") from None
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    def append(self, row: dict[str, Any]) -> Path:
        """Write one finished run atomically as ``runs/<run_key>.json``."""
        self.journal.mkdir(parents=True, exist_ok=True)
        path = self.journal / f"{row['run_key']}.json"
        data = json.dumps(row, allow_nan=False, separators=(",", ":")).encode()
        _atomic_write(path, data, self.fsync)
        return path

    def _journal_rows(self) -> tuple[list[dict[str, Any]], list[Path]]:
        """Rows of the journal and the files read (torn files included: compaction drops
        them, and their runs count as not finished)."""
        rows, files = [], []
        if not self.journal.is_dir():
            return rows, files
        for path in sorted(self.journal.glob("*.json")):
            try:
                row = json.loads(path.read_bytes())
            except FileNotFoundError:
                raise _VanishedError from None
            except (ValueError, OSError):
                row = None  # torn by a machine crash: the run is not finished
            if isinstance(row, dict) and "run_key" in row:
                rows.append(row)
            files.append(path)
        return rows, files

    def read(self) -> Any:
        """All stored rows as a pandas DataFrame, one row per run key (the latest finished).

        Derived gap columns are not recomputed here; see :func:`load_results`.
        """
        for _ in range(20):  # a compaction may move journal files while we read them
            try:
                frame, _ = self._read_once()
                return frame
            except _VanishedError:
                continue
        raise InputError("results", f"{self.path}: rows keep moving; is a sweep compacting?")

    def _read_once(self) -> tuple[Any, list[Path]]:
        import pandas as pd

        rows, files = self._journal_rows()
        parts = []
        if self.parquet.is_file():
            parts.append(pd.read_parquet(self.parquet))
        if rows:
            parts.append(_frame(rows))
        frame = pd.concat(parts, ignore_index=True) if parts else _frame([])
        frame = _normalise(frame)
        frame = frame.sort_values(["finished_at", "run_key"], kind="stable")
        frame = frame.drop_duplicates("run_key", keep="last").reset_index(drop=True)
        return frame, files

    def load(self) -> Any:
        """All stored rows with the derived gap columns recomputed (an empty folder: none)."""
        return compare_gaps(add_gaps(self.read()))

    def finished_keys(self, include_errors: bool = True) -> set[str]:
        """Run keys with a stored row (optionally leaving out runs that ended in error)."""
        frame = self.read()
        if not include_errors:
            frame = frame[frame["status"] != "error"]
        return set(frame["run_key"])

    def compact(self) -> int:
        """Fold the journal into ``results.parquet`` (atomically); return the row count.

        Call it only while holding :meth:`lock`.
        """
        frame, files = self._read_once()
        if not files and self.parquet.is_file():
            return len(frame)
        import pyarrow as pa
        import pyarrow.parquet as pq

        frame = add_gaps(frame)
        table = pa.Table.from_pandas(frame, schema=_schema(), preserve_index=False)
        self.path.mkdir(parents=True, exist_ok=True)
        tmp = self.path / f".{self.PARQUET}.{os.getpid()}.tmp"
        pq.write_table(table, tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, self.parquet)
        for path in files:
            path.unlink(missing_ok=True)
        for stale in self.path.glob(f".{self.PARQUET}.*.tmp"):
            stale.unlink(missing_ok=True)  # left by a sweep killed while compacting
        for stale in self.journal.glob(".*.tmp"):
            stale.unlink(missing_ok=True)
        return len(frame)


class _VanishedError(Exception):
    """A journal file disappeared while it was read (moved by a compaction)."""


def _frame(rows: list[dict[str, Any]]) -> Any:
    import pandas as pd

    return pd.DataFrame(rows, columns=list(COLUMNS))


def _normalise(frame: Any) -> Any:
    """Every stored column present, with its dtype (nullable integers, floats, strings)."""
    for name, kind in COLUMNS.items():
        if name not in frame.columns:
            frame[name] = None
        if kind == "float64":
            frame[name] = frame[name].astype("float64")
        elif kind == "int64":
            frame[name] = frame[name].astype("Int64")
        else:
            frame[name] = frame[name].astype("object").where(frame[name].notna(), None)
    return frame[list(COLUMNS)].copy()


def add_gaps(frame: Any) -> Any:
    """Add the columns of :data:`DERIVED_COLUMNS`, from every row of the same instance.

    For an instance (rows with equal ``problem``, ``instance_id`` and ``instance_sha``):

    - ``best_bound``: the largest proven lower bound over its runs whose status is optimal,
      feasible or time_limit: a run's ``bound``, or its objective when it is ``optimal`` and
      reports no bound (an exact enumeration proves its optimum without a separate bound);
    - ``best_objective``: the smallest objective of those runs;
    - ``gap = (objective - best_bound) / max(|best_bound|, 1e-12)``, the convention of
      :func:`edgesplit.gaps.compare_results`; an upper bound on the true gap, and the true
      gap when some run proved the optimum. Null without a bound or an objective;
    - ``gap_to_best = (objective - best_objective) / max(|best_objective|, 1e-12)``.

    Problems are minimisations (DESIGN.md); a problem that defines ``compare`` gets its gaps
    from it instead (:func:`compare_gaps`).
    """
    import numpy as np

    frame = frame.copy()
    trusted = frame["status"].isin(_TRUSTED)
    proven = frame["bound"].where(trusted)
    optimal_no_bound = (frame["status"] == "optimal") & frame["bound"].isna()
    proven = proven.where(~optimal_no_bound, frame["objective"])
    objective = frame["objective"].where(trusted)
    keys = [frame[c].fillna("") for c in ("problem", "instance_id", "instance_sha")]
    frame["best_bound"] = proven.groupby(keys).transform("max").astype("float64")
    frame["best_objective"] = objective.groupby(keys).transform("min").astype("float64")
    obj = frame["objective"]
    bb, bo = frame["best_bound"], frame["best_objective"]
    frame["gap"] = ((obj - bb) / np.maximum(bb.abs(), _EPS)).where(trusted)
    frame["gap_to_best"] = ((obj - bo) / np.maximum(bo.abs(), _EPS)).where(trusted)
    return frame


def compare_gaps(frame: Any) -> Any:
    """Gaps of problems whose module defines ``compare`` (docs/developing.md), from it.

    A problem whose gap is not a relative difference of minimised objectives (bi-objective
    split_pareto compares Pareto fronts; offload_position maximises) defines
    ``compare(instance, exact, heuristic)``. For such a problem the bound-based columns of
    :func:`add_gaps` mean nothing and are cleared, and ``gap`` of every row with a solution
    is ``compare``'s, through :func:`edgesplit.gaps.compare_results`, against a run of the
    same instance that an exact method proved optimal (the first by method label). The
    instance is generated again from the row, or read back from its file if the file is
    still there and unchanged; rows without such an exact run or instance keep a null gap.
    """
    from edgesplit.gaps import compare_results

    frame = frame.copy()
    for problem in frame["problem"].dropna().unique():
        module = _problem_module(problem)
        if module is None or not hasattr(module, "compare"):
            continue
        mask = frame["problem"] == problem
        frame.loc[mask, list(DERIVED_COLUMNS)] = float("nan")
        rows = frame[mask & frame["status"].isin(_TRUSTED) & frame["solution"].notna()]
        for _, group in rows.groupby(["instance_id", "instance_sha"], sort=False, dropna=False):
            ref = group[(group["kind"] == "exact") & (group["status"] == "optimal")]
            if ref.empty:
                continue
            ref_row = ref.sort_values("method").iloc[0]
            inst = _instance_of(module, ref_row)
            if inst is None:
                continue
            exact = _result_of(ref_row)
            for idx, row in group.iterrows():
                value = compare_results(inst, exact, _result_of(row)).get("gap")
                if isinstance(value, (int, float)) and math.isfinite(value):
                    frame.loc[idx, "gap"] = float(value)
    return frame


def _problem_module(problem: str) -> Any:
    from edgesplit.formulations import get_problem

    try:
        return get_problem(problem)
    except InputError:
        return None


def instance_sha(instance: Any) -> str:
    """sha256 of an instance's compact JSON, first 16 hex digits (the ``instance_sha``)."""
    import hashlib

    return hashlib.sha256(instance.to_json(indent=None).encode()).hexdigest()[:16]


def _instance_of(module: Any, row: Any) -> Any:
    """The row's instance, generated again or read from its file; None if it changed."""
    from edgesplit.io import load_instance

    try:
        if row["size"] is not None:
            inst = module.generate(int(row["instance_seed"]), row["size"],
                                   **json.loads(row["params"] or "{}"))
        elif row["instance_file"] and Path(row["instance_file"]).is_file():
            inst = load_instance(row["instance_file"])
        else:
            return None
    except Exception:  # a generator that changed its parameters, a file that went bad
        return None
    return inst if instance_sha(inst) == row["instance_sha"] else None


def _result_of(row: Any) -> Any:
    """The :class:`~edgesplit.results.Result` a row was made from (solution included)."""
    from edgesplit.results import Result

    def _num(x: Any) -> float | None:
        return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)

    return Result(
        problem=row["problem"], method=row["method_name"], status=row["status"],
        objective=_num(row["objective"]),
        objectives=json.loads(row["objectives"]) if row["objectives"] else None,
        bound=_num(row["bound"]), gap=_num(row["own_gap"]),
        runtime_s=float(row["runtime_s"]) if _num(row["runtime_s"]) is not None else 0.0,
        solution=json.loads(row["solution"]) if row["solution"] else None,
        message=row["message"])


def load_results(source: str | os.PathLike[str]) -> Any:
    """Read a results folder (or a ``results.parquet`` file) with gaps recomputed.

    Parameters
    ----------
    source
        A sweep's results folder, or a Parquet file written by one.

    Returns
    -------
    pandas.DataFrame
        One row per run (columns :data:`COLUMNS`), plus :data:`DERIVED_COLUMNS` recomputed
        from all rows of each instance.

    Raises
    ------
    InputError
        If ``source`` is neither.
    """
    import pandas as pd

    path = Path(source)
    if path.is_file():
        if path.suffix != ".parquet":
            raise InputError("results", f"{path}: expected a results folder or a .parquet file")
        try:
            frame = _normalise(pd.read_parquet(path))
        except Exception as exc:  # pyarrow raises several types for a bad file
            raise InputError("results", f"{path}: not a readable Parquet file ({exc})") \
                from None
    elif path.is_dir():
        store = ResultStore(path)
        if not store.parquet.is_file() and not store.journal.is_dir():
            raise InputError("results", f"{path}: not a sweep results folder (no "
                                        f"{store.PARQUET} and no {store.JOURNAL}/)")
        return store.load()
    else:
        raise InputError("results", f"{path}: no such file or folder")
    return compare_gaps(add_gaps(frame))
