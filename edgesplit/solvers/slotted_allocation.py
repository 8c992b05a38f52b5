"""Methods for ``slotted_allocation`` (003, GSPI).

- ``milp`` (exact): the time-indexed model of
  :func:`edgesplit.formulations.slotted_allocation.build_pyomo`, solved by HiGHS (through Pyomo,
  or built straight into highspy from numpy arrays for large instances) or by SCIP.
- ``gspi`` (heuristic): PPS (003 Alg. 1) and the greedy of 003 Alg. 2 with the re-planning of
  improvable tasks of Fig. 3.
- ``online`` (heuristic): 003 Alg. 3 with the waiting time of eq. 11.
- ``end-only``, ``server-only`` (baselines, 003 Sec. 4.2).

GSPI, PPS and the online algorithm are written here because they are the paper's algorithms;
each scores a candidate with the same queue rule as
:func:`~edgesplit.formulations.slotted_allocation.fifo_starts` and returns a solution that
``evaluate`` checks.
"""

from __future__ import annotations

import bisect
import tempfile
import time
from pathlib import Path
from typing import Any, Literal

import numpy as np

from edgesplit._highs import prepare_threads, silent_highs
from edgesplit.errors import InputError
from edgesplit.formulations import slotted_allocation as sa
from edgesplit.results import Result, Status, relative_gap
from edgesplit.solvers import register
from edgesplit.solvers._pyomo import DEFAULT_REL_GAP, solve_pyomo

__all__ = ["gspi_plan", "online_plan", "pps", "realize_jobs", "solve_milp"]

#: Above this many columns ``build="auto"`` builds the model directly in highspy.
DIRECT_BUILD_COLUMNS = 500


# ----------------------------------------------------------------------------- PPS (Alg. 1)
def pps(inst: sa.Instance, latency: float | None = None) -> list[int]:
    """Partition-Points-Selection, 003 Alg. 1.

    For every server ``k`` keep ``SP_k = {p : t_d(p) + t_t(p) + J_k(p) <= Latency}`` (the time
    without waiting), then ``SP = intersection of SP_k`` (a point must be good on every server),
    within the instance's candidates. ``p = v`` (all on the device) costs ``t_d(v)`` on every
    server.

    Parameters
    ----------
    inst
        The instance.
    latency
        003's *Latency*, in slots. Default: ``t_d(v)``, the all-local time (003 gives no value;
        with it a point is kept only if, without waiting, it is never slower than running the
        whole task on the device).

    Raises
    ------
    InputError
        If no point meets the latency.
    """
    tm = sa.timing(inst)
    lat = float(tm.T_loc if latency is None else latency)
    total = tm.c[None, :] + tm.J  # (u, v+1): T of Alg. 1 for each server and point
    total[:, tm.v] = tm.T_loc
    keep = [p for p in tm.sp if bool(np.all(total[:, p] <= lat + 1e-9))]
    if not keep:
        raise InputError("latency", f"PPS (003 Alg. 1) keeps no partition point at Latency = "
                                    f"{lat:g} slots; the fastest point needs "
                                    f"{float(total.max(axis=0).min()):g}")
    return keep


# ----------------------------------------------------------------------------- queues
class _FifoQueue:
    """One server's queue in arrival order with FGFS ties (003 eq. 7, Fig. 3).

    Keeps each queued task's completion slot as :func:`sa.fifo_starts` would compute it.
    """

    def __init__(self) -> None:
        self.keys: list[tuple[int, int, int]] = []
        self.tasks: list[int] = []
        self.arrival: list[int] = []
        self.dur: list[int] = []
        self.done: list[int] = []

    def start_if_inserted(self, key: tuple[int, int, int]) -> int:
        """Start slot a task with queue ``key`` (its arrival first) would get."""
        idx = bisect.bisect_left(self.keys, key)
        free = self.done[idx - 1] if idx else key[0]
        return max(key[0], free)

    def insert(self, key: tuple[int, int, int], m: int, dur: int) -> None:
        idx = bisect.bisect_left(self.keys, key)
        self.keys.insert(idx, key)
        self.tasks.insert(idx, m)
        self.arrival.insert(idx, key[0])
        self.dur.insert(idx, dur)
        self.done.insert(idx, 0)
        self._update(idx)

    def remove(self, m: int) -> None:
        idx = self.tasks.index(m)
        for seq in (self.keys, self.tasks, self.arrival, self.dur, self.done):
            del seq[idx]
        self._update(idx)

    def _update(self, idx: int) -> None:
        free = self.done[idx - 1] if idx else -(10**12)
        for q in range(idx, len(self.tasks)):
            free = max(self.arrival[q], free) + self.dur[q]
            self.done[q] = free

    def completion(self) -> dict[int, int]:
        return dict(zip(self.tasks, self.done, strict=True))


def _frames(tm: sa.Timing) -> list[list[int]]:
    """Tasks grouped by generation slot (003 Alg. 2's stack frames), device order within."""
    order = sorted(range(len(tm.j)), key=lambda m: (int(tm.j[m]), int(tm.i[m])))
    frames: dict[int, list[int]] = {}
    for m in order:
        frames.setdefault(int(tm.j[m]), []).append(m)
    return [frames[j] for j in sorted(frames)]


def _best_fifo(tm: sa.Timing, m: int, points: list[int],
               queues: list[_FifoQueue]) -> tuple[int, int, int]:
    """``argmin_{k, p} t(m)`` given the queues (003 Alg. 2 line 5): (t, p, k); k = -1 local.

    Ties keep the first option in the order local, then p ascending, then k ascending.
    """
    best = (10**18, tm.v, -1)
    if tm.v in points:
        best = (tm.T_loc, tm.v, -1)
    for p in points:
        if p == tm.v:
            continue
        arrival = int(tm.j[m] + tm.c[p])
        key = tm.fgfs_key(m, arrival)
        for k in range(tm.u):
            t = queues[k].start_if_inserted(key) + int(tm.J[k, p]) + tm.t_r - int(tm.j[m])
            if t < best[0]:
                best = (t, p, k)
    return best


def gspi_plan(inst: sa.Instance, points: list[int], max_rounds: int = 10
              ) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """003 Alg. 2 (GSPI) over the partition points ``points``: returns ``p``, ``k`` and stats.

    Step 1: tasks are taken frame by frame in generation order (the stack ``M``). Step 2: each
    task of a frame, in device order, takes ``argmin_{k in S, p in SP} t(m)`` given the servers'
    queues, where a server serves in arrival order with FGFS ties (eq. 7 with idle periods) and
    the task is inserted at its arrival position. Step 3 (Fig. 3): a queued task is improvable
    when a task planned after it now delays it (it reaches the same server earlier); all such
    tasks leave their queues and are planned again, in generation order, against the current
    queues. Step 3 repeats until no task is improvable or ``max_rounds`` re-plannings were
    made for the frame (003 does not say whether re-planning can cycle; the cap keeps it finite).
    """
    tm = sa.timing(inst)
    n = len(tm.j)
    p = np.full(n, tm.v, dtype=np.int64)
    k = np.full(n, -1, dtype=np.int64)
    planned_done = np.zeros(n, dtype=np.int64)
    queues = [_FifoQueue() for _ in range(tm.u)]
    replanned = 0

    def plan(m: int) -> None:
        t, pm, km = _best_fifo(tm, m, points, queues)
        if t >= 10**18:
            raise InputError("SP", "no partition point to choose from")
        p[m], k[m] = pm, km
        if km >= 0:
            queues[km].insert(tm.fgfs_key(m, int(tm.j[m] + tm.c[pm])), m, int(tm.J[km, pm]))
        planned_done[m] = int(tm.j[m]) + t - tm.t_r if km >= 0 else 0

    for frame in _frames(tm):
        for m in frame:
            plan(m)
        for _ in range(max_rounds):
            improvable = []
            for q in queues:
                for m, done in q.completion().items():
                    if done > planned_done[m]:
                        improvable.append(m)
            if not improvable:
                break
            for m in improvable:
                queues[k[m]].remove(m)
            for m in sorted(improvable, key=lambda m: (int(tm.j[m]), int(tm.i[m]))):
                plan(m)
            replanned += len(improvable)
    return p, k, {"replanned": replanned}


def online_plan(inst: sa.Instance, points: list[int]
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """003 Alg. 3 (online) over ``points``: returns ``p``, ``k`` and start slots.

    Slot by slot, each task generated in the slot (device order) takes ``argmin_{k, p} t(m)``
    where the waiting time follows eq. 11: the task waits for every task already assigned to the
    server (those generated up to slot ``j``), whatever their arrival; with idle periods counted,
    ``S = max(AS, completion of the last task assigned to k)``. Future tasks are unknown and no
    task is re-planned, so a server runs its tasks in the order they were assigned. (Alg. 3's
    auxiliary queue ``Q'`` only lets the tasks of one slot be answered together; decisions are
    the same.)
    """
    tm = sa.timing(inst)
    n = len(tm.j)
    p = np.full(n, tm.v, dtype=np.int64)
    k = np.full(n, -1, dtype=np.int64)
    start = np.full(n, -1, dtype=np.int64)
    free = np.full(tm.u, -(10**12), dtype=np.int64)
    for frame in _frames(tm):
        for m in frame:
            best = (10**18, tm.v, -1, -1)
            if tm.v in points:
                best = (tm.T_loc, tm.v, -1, -1)
            for pp in points:
                if pp == tm.v:
                    continue
                arrival = int(tm.j[m] + tm.c[pp])
                for kk in range(tm.u):
                    s = max(arrival, int(free[kk]))
                    t = s + int(tm.J[kk, pp]) + tm.t_r - int(tm.j[m])
                    if t < best[0]:
                        best = (t, pp, kk, s)
            _, p[m], k[m], start[m] = best
            if k[m] >= 0:
                free[k[m]] = start[m] + tm.J[k[m], p[m]]
    return p, k, start


def _solution(tm: sa.Timing, p: np.ndarray, k: np.ndarray,
              start: np.ndarray | None) -> dict[str, Any]:
    local = p == tm.v
    return {"p": [int(x) for x in p],
            "k": [None if local[m] else int(k[m]) for m in range(len(p))],
            "start": None if start is None else
            [None if local[m] else int(start[m]) for m in range(len(p))]}


def _heuristic_result(inst: sa.Instance, method: str, p: np.ndarray, k: np.ndarray,
                      start: np.ndarray | None, message: str | None = None,
                      info: dict[str, Any] | None = None) -> Result:
    tm = sa.timing(inst)
    if start is None:
        start = sa.fifo_starts(inst, p, k, tm)
    t = sa.task_times(inst, p, k, np.where(p == tm.v, 0, start), tm)
    return Result(sa.PROBLEM, method, Status.FEASIBLE, objective=float(t.mean()),
                  solution=_solution(tm, p, k, start), message=message, info=info or {})


@register(sa.PROBLEM, "gspi", kind="heuristic")
def solve_gspi(inst: sa.Instance, *, time_limit: float | None = None, seed: int = 0,
               latency: float | None = None, max_rounds: int = 10) -> Result:
    """PPS (003 Alg. 1) + greedy with re-planning of improvable tasks (Alg. 2, Fig. 3)."""
    if max_rounds < 0:
        raise InputError("max_rounds", f"must be >= 0 (got {max_rounds})")
    points = pps(inst, latency)
    p, k, stats = gspi_plan(inst, points, max_rounds)
    return _heuristic_result(inst, "gspi", p, k, None,
                             message=f"PPS kept partition points {points}; "
                                     f"{stats['replanned']} re-planning(s)",
                             info={"SP": points, **stats})


@register(sa.PROBLEM, "online", kind="heuristic")
def solve_online(inst: sa.Instance, *, time_limit: float | None = None, seed: int = 0,
                 latency: float | None = None,
                 queue: Literal["assigned", "arrival"] = "assigned") -> Result:
    """003 Alg. 3: slot-by-slot greedy with eq. 11's waiting time, no re-planning."""
    if queue not in ("assigned", "arrival"):
        raise InputError("queue", f"must be 'assigned' or 'arrival' (got {queue!r})")
    points = pps(inst, latency)
    p, k, start = online_plan(inst, points)
    note = ("servers run tasks in the order they were assigned" if queue == "assigned" else
            "servers run the online decisions first-come-first-served by arrival")
    return _heuristic_result(inst, "online", p, k, start if queue == "assigned" else None,
                             message=f"PPS kept partition points {points}; {note}",
                             info={"SP": points})


@register(sa.PROBLEM, "end-only", kind="baseline")
def solve_end_only(inst: sa.Instance, *, time_limit: float | None = None,
                   seed: int = 0) -> Result:
    """Every task runs wholly on its device (003 Sec. 4.2, P6)."""
    tm = sa.timing(inst)
    if tm.v not in tm.sp:
        return Result(sa.PROBLEM, "end-only", Status.ERROR,
                      message=f"p = v = {tm.v} (all on the device) is not in SP")
    n = inst.N
    return _heuristic_result(inst, "end-only", np.full(n, tm.v), np.full(n, -1),
                             np.full(n, -1))


@register(sa.PROBLEM, "server-only", kind="baseline")
def solve_server_only(inst: sa.Instance, *, time_limit: float | None = None,
                      seed: int = 0) -> Result:
    """Every task wholly on a server (P1), each on the server that finishes it first (003 Sec.
    4.2: GSPI's allocation without partition)."""
    tm = sa.timing(inst)
    if 0 not in tm.sp:
        return Result(sa.PROBLEM, "server-only", Status.ERROR,
                      message="p = 0 (all on the server) is not in SP")
    p, k, _ = gspi_plan(inst, [0])
    return _heuristic_result(inst, "server-only", p, k, None)


# ----------------------------------------------------------------------------- MILP
def realize_jobs(inst: sa.Instance, sc: sa.SlotColumns, values: np.ndarray,
                 fgfs: bool = True) -> dict[str, Any] | None:
    """Give every job of a form-"slots" solution its own task (a solution of the problem).

    Tasks of generation slot ``g`` may take a job with ``theta >= g`` (they have arrived, eq. 6);
    ``n_g - L[g]`` of them are offloaded. Any such matching has the form's objective. With
    ``fgfs``, two tasks from different slots that reach a server in the same slot must start in
    generation order (003 eq. 7): a small assignment MILP (HiGHS) finds a matching that keeps
    this, or returns None if there is none. Tasks of one slot are interchangeable: they are
    handed to their jobs in start order by device index, which keeps FGFS among them.
    """
    import highspy

    tm = sa.timing(inst)
    counts = np.rint(values[: sc.n_y]).astype(np.int64)
    job_cols = np.repeat(np.arange(sc.n_y), np.maximum(counts, 0))
    n_g = len(sc.g)
    local = np.rint(values[sc.n_y:]).astype(np.int64) if sc.local else np.zeros(n_g, np.int64)
    offloaded = sc.n_g - local
    n_jobs = len(job_cols)
    if n_jobs != int(offloaded.sum()):
        return None
    # eligible (slot group, job) pairs
    gi, xi = np.nonzero(sc.g[:, None] <= sc.theta[job_cols][None, :])
    n_z = len(gi)
    rows_r: list[np.ndarray] = [xi, n_jobs + gi]
    rows_c: list[np.ndarray] = [np.arange(n_z), np.arange(n_z)]
    lower = [np.ones(n_jobs), offloaded.astype(float)]
    upper = [np.ones(n_jobs), offloaded.astype(float)]
    n_rows = n_jobs + n_g
    if fgfs and n_z:
        pair = {(int(a), int(b)): z for z, (a, b) in enumerate(zip(gi, xi, strict=True))}
        c_job = tm.c[sc.p[job_cols]]
        conflicts = []
        for x in range(n_jobs):
            for y in range(n_jobs):
                if x == y or sc.k[job_cols[x]] != sc.k[job_cols[y]]:
                    continue
                if sc.s[job_cols[x]] <= sc.s[job_cols[y]] or c_job[x] <= c_job[y]:
                    continue
                # task from slot g on x and from slot g + c_x - c_y on y arrive together;
                # the first is generated earlier, so it must not start after the second
                for g_idx in range(n_g):
                    g2 = sc.g[g_idx] + c_job[x] - c_job[y]
                    h_idx = int(np.searchsorted(sc.g, g2))
                    if h_idx < n_g and sc.g[h_idx] == g2 and (g_idx, x) in pair \
                            and (h_idx, y) in pair:
                        conflicts.append((pair[g_idx, x], pair[h_idx, y]))
        if conflicts:
            arr = np.array(conflicts, dtype=np.int64)
            rr = np.repeat(np.arange(len(arr)), 2)
            rows_r.append(n_rows + rr)
            rows_c.append(arr.reshape(-1))
            lower.append(np.full(len(arr), -np.inf))
            upper.append(np.ones(len(arr)))
            n_rows += len(arr)
    assignment = np.zeros(n_z)
    if n_z:
        r_all, c_all = np.concatenate(rows_r), np.concatenate(rows_c)
        order = np.lexsort((r_all, c_all))
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = n_z, n_rows
        lp.col_cost_ = sc.g[gi].astype(float) * 0.0
        lp.col_lower_, lp.col_upper_ = np.zeros(n_z), np.ones(n_z)
        lp.row_lower_, lp.row_upper_ = np.concatenate(lower), np.concatenate(upper)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = np.searchsorted(c_all[order], np.arange(n_z + 1)).astype(np.int32)
        lp.a_matrix_.index_ = r_all[order].astype(np.int32)
        lp.a_matrix_.value_ = np.ones(len(order))
        lp.integrality_ = [highspy.HighsVarType.kInteger] * n_z
        h = silent_highs()
        h.passModel(lp)
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        assignment = np.rint(np.array(h.getSolution().col_value))
    n = inst.N
    p = np.full(n, tm.v, dtype=np.int64)
    k = np.full(n, -1, dtype=np.int64)
    start = np.full(n, -1, dtype=np.int64)
    by_slot: dict[int, list[int]] = {}
    for z in np.flatnonzero(assignment > 0.5):
        by_slot.setdefault(int(gi[z]), []).append(int(job_cols[xi[z]]))
    for g_idx, jobs in by_slot.items():
        tasks = sorted(np.flatnonzero(tm.j == sc.g[g_idx]).tolist(), key=lambda m: int(tm.i[m]))
        jobs.sort(key=lambda c: (int(sc.s[c]), int(sc.k[c]), int(sc.p[c])))
        for m, c in zip(tasks, jobs, strict=False):
            p[m], k[m], start[m] = sc.p[c], sc.k[c], sc.s[c]
    return _solution(tm, p, k, start)


def _run_highs(h: Any, time_limit: float | None, rel_gap: float, seed: int,
               threads: int | None, start: np.ndarray | None,
               options: dict[str, Any]) -> dict[str, Any]:
    """Solve a highspy model; returns status, values, objective and bound (model units)."""
    import highspy

    h.setOptionValue("mip_rel_gap", rel_gap)
    h.setOptionValue("random_seed", int(seed))
    if threads is not None:
        prepare_threads(threads)
        h.setOptionValue("threads", int(threads))
    if time_limit is not None:
        h.setOptionValue("time_limit", max(float(time_limit), 0.01))
    for key, value in options.items():
        h.setOptionValue(key, value)
    if start is not None:
        sol = highspy.HighsSolution()
        sol.col_value = list(start)
        sol.value_valid = True
        h.setSolution(sol)
    h.run()
    ms = h.getModelStatus()
    info = h.getInfo()
    has_solution = info.primal_solution_status == 2
    status = {highspy.HighsModelStatus.kOptimal: Status.OPTIMAL,
              highspy.HighsModelStatus.kTimeLimit: Status.TIME_LIMIT,
              highspy.HighsModelStatus.kInfeasible: Status.INFEASIBLE}.get(
        ms, Status.FEASIBLE if has_solution else Status.ERROR)
    bound = info.mip_dual_bound if np.isfinite(info.mip_dual_bound) else None
    return {"status": status, "has_solution": has_solution,
            "values": np.array(h.getSolution().col_value) if has_solution else None,
            "bound": bound, "solver_s": h.getRunTime(), "nodes": info.mip_node_count,
            "message": f"highs: {h.modelStatusToString(ms)}"}


def _run_scip(h: Any, time_limit: float | None, rel_gap: float, seed: int,
              start: np.ndarray | None) -> dict[str, Any]:
    """The model held by ``h`` (with names), written as MPS and solved by SCIP (pyscipopt)."""
    import pyscipopt

    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "model.mps")
        h.writeModel(path)
        scip = pyscipopt.Model()
        scip.hideOutput()
        scip.readProblem(path)
    scip.setParam("limits/gap", rel_gap)
    scip.setParam("randomization/randomseedshift", int(seed))
    if time_limit is not None:
        scip.setParam("limits/time", max(float(time_limit), 0.01))
    names = h.getLp().col_names_
    by_name = {var.name: var for var in scip.getVars()}
    if start is not None:
        sol = scip.createSol()
        for c in np.flatnonzero(start > 0.5):
            scip.setSolVal(sol, by_name[names[c]], float(start[c]))
        scip.addSol(sol, free=True)
    scip.optimize()
    st = scip.getStatus()
    has_solution = scip.getNSols() > 0
    values = None
    if has_solution:
        best = scip.getBestSol()
        values = np.array([scip.getSolVal(best, by_name[nm]) for nm in names])
    if st == "optimal" or (st == "gaplimit" and has_solution):
        status = Status.OPTIMAL
    else:
        status = {"timelimit": Status.TIME_LIMIT, "infeasible": Status.INFEASIBLE}.get(
            st, Status.FEASIBLE if has_solution else Status.ERROR)
    bound = scip.getDualbound()
    return {"status": status, "has_solution": has_solution, "values": values,
            "bound": bound if np.isfinite(bound) else None,
            "solver_s": scip.getSolvingTime(), "nodes": scip.getNNodes(),
            "message": f"scip: {st}"}


def _run_pyomo(inst: sa.Instance, form: str, backend: str, time_limit: float | None,
               rel_gap: float, threads: int | None, options: dict[str, Any]) -> dict[str, Any]:
    import pyomo.environ as pyo

    model = sa.build_pyomo(inst, form=form)  # type: ignore[arg-type]
    out = solve_pyomo(model, backend, time_limit=time_limit, rel_gap=rel_gap,  # type: ignore[arg-type]
                      threads=threads, solver_options=options if backend == "highs" else None)
    values = None
    if out.has_solution:
        if form == "tasks":
            parts = [model.x[i] for i in model.X]
            parts += [model.local[m] for m in model.M] if hasattr(model, "local") else []
        else:  # y and L only (form "flow"'s idle and H are not solution columns)
            parts = [model.y[i] for i in model.Y]
            parts += [model.L[g] for g in model.G] if hasattr(model, "L") else []
        values = np.array([pyo.value(v) for v in parts], dtype=float)
    return {"status": out.status, "has_solution": out.has_solution, "values": values,
            "bound": out.bound,
            "solver_s": out.runtime_s, "nodes": None, "message": out.message}


def _solve_form(inst: sa.Instance, form: str, backend: str, build: str,
                time_limit: float | None, rel_gap: float, seed: int, threads: int | None,
                start: dict[str, Any] | None, options: dict[str, Any]) -> dict[str, Any]:
    """Build and solve one form; values in column order, bound in model units (total time)."""
    t0 = time.perf_counter()
    if build == "pyomo":
        cols = (sa.task_columns if form == "tasks" else sa.slot_columns)(inst)
        out = _run_pyomo(inst, form, backend, time_limit, rel_gap, threads, options)
        out.update(cols=cols, build_s=None, rows=None, nnz=None, model_cols=None)
        return out
    h, cols = sa.build_highspy(inst, form=form, names=backend == "scip")  # type: ignore[arg-type]
    build_s = time.perf_counter() - t0
    values0 = None
    if start is not None:
        try:
            values0 = (sa.task_column_values if form == "tasks" else sa.slot_column_values)(
                inst, cols, start)  # type: ignore[arg-type]
            if form == "flow":
                values0 = sa.flow_values(cols, values0)  # type: ignore[arg-type]
        except ValueError:
            values0 = None
    remaining = None if time_limit is None else time_limit - (time.perf_counter() - t0)
    if backend == "highs":
        # HiGHS 1.16 mis-scores a MIP start after presolve (its objective loses presolve's
        # offset, and the start may be returned as optimal): the caller keeps the start instead
        out = _run_highs(h, remaining, rel_gap, seed, threads, None, options)
    else:
        out = _run_scip(h, remaining, rel_gap, seed, values0)
    if out["values"] is not None:  # form "flow": drop its idle and H columns
        out["values"] = out["values"][: cols.n_cols]
    out.update(cols=cols, build_s=build_s, rows=h.getNumRow(), nnz=h.getNumNz(),
               model_cols=h.getNumCol())
    return out


def _fifo_repair(inst: sa.Instance, solution: dict[str, Any]) -> dict[str, Any]:
    """A solution that keeps FGFS: servers first-come-first-served by arrival (eq. 7-8), tasks
    that would finish no earlier than on their device moved there."""
    tm = sa.timing(inst)
    p = np.array(solution["p"], dtype=np.int64)
    k = np.array([-1 if x is None else x for x in solution["k"]], dtype=np.int64)
    for _ in range(inst.N + 1):
        start = sa.fifo_starts(inst, p, k, tm)
        t = sa.task_times(inst, p, k, np.where(p == tm.v, 0, start), tm)
        late = (p < tm.v) & (t >= tm.T_loc) if tm.local_allowed else np.zeros(len(p), bool)
        if not late.any():
            return _solution(tm, p, k, start)
        p[late], k[late] = tm.v, -1
    return _solution(tm, p, k, sa.fifo_starts(inst, p, k, tm))


def _heuristic_start(inst: sa.Instance) -> dict[str, Any] | None:
    """The better of the online and GSPI schedules (PPS at its default); tasks that would not
    beat their device are moved there (never worse: see :func:`sa.task_columns`)."""
    try:
        points = pps(inst)
    except InputError:
        return None
    tm = sa.timing(inst)
    p, k, start = online_plan(inst, points)
    candidates = [(p, k, start)]
    p, k, _ = gspi_plan(inst, points)
    candidates.append((p, k, sa.fifo_starts(inst, p, k, tm)))
    best = None
    for p, k, start in candidates:
        if tm.local_allowed:
            t = sa.task_times(inst, p, k, np.where(p == tm.v, 0, start), tm)
            late = (p < tm.v) & (t >= tm.T_loc)
            p, k, start = np.where(late, tm.v, p), np.where(late, -1, k), \
                np.where(late, -1, start)
        sol = _solution(tm, p, k, start)
        if best is None or _mean_time(inst, sol) < _mean_time(inst, best):
            best = sol
    return best


#: HiGHS options for form "slots": restarts cost more than they save on these models (measured
#: on 003's Table 2 instances; benchmarks/bench_slotted_allocation.py).
SLOTS_HIGHS_OPTIONS: dict[str, Any] = {"mip_allow_restart": False}


@register(sa.PROBLEM, "milp", kind="exact")
def solve_milp(inst: sa.Instance, *, time_limit: float | None = None, seed: int = 0,
               form: Literal["flow", "slots", "tasks"] = "flow",
               backend: Literal["highs", "scip"] = "highs",
               build: Literal["auto", "pyomo", "direct"] = "auto", warm_start: bool = True,
               rel_gap: float = DEFAULT_REL_GAP, threads: int | None = None) -> Result:
    """Time-indexed MILP of 003 eq. 1-10 with pruned start windows (HiGHS or SCIP).

    Parameters
    ----------
    form
        ``"flow"`` (default) or ``"slots"``: the task-free job-slot model (``"flow"`` writes
        its rows as a network: same optimum, a seventh of the nonzeros, faster), then tasks
        matched to its jobs with FGFS kept (:func:`realize_jobs`); if no such matching exists,
        the FIFO repair of its schedule is improved with form ``"tasks"`` in the remaining
        time, the job-slot optimum remaining the bound. ``"tasks"``: the task-indexed model
        with FGFS rows alone.
    backend
        ``"highs"`` or ``"scip"``.
    build
        ``"pyomo"`` (the Pyomo model of ``build_pyomo``), ``"direct"`` (the same model from
        numpy arrays into highspy; SCIP reads it as MPS), or ``"auto"``: Pyomo up to
        :data:`DIRECT_BUILD_COLUMNS` columns, direct above.
    warm_start
        Start from the better of the online and GSPI schedules (direct build only): SCIP gets
        it as a first incumbent; for HiGHS it is kept and returned if the solver stops (time
        limit) with nothing better, since HiGHS 1.16 mis-scores MIP starts after presolve.
    rel_gap
        Relative gap at which the solver stops and calls the solution optimal.
    threads
        HiGHS threads (None: its default).
    """
    if form not in sa.FORMS:
        raise InputError("form", f"must be 'flow', 'slots' or 'tasks' (got {form!r})")
    if backend not in ("highs", "scip"):
        raise InputError("backend", f"must be 'highs' or 'scip' (got {backend!r})")
    if build not in ("auto", "pyomo", "direct"):
        raise InputError("build", f"must be 'auto', 'pyomo' or 'direct' (got {build!r})")
    if not 0 <= rel_gap < 1:
        raise InputError("rel_gap", f"must be in [0, 1) (got {rel_gap})")
    t0 = time.perf_counter()
    n = inst.N
    if build == "auto":
        cols = (sa.task_columns if form == "tasks" else sa.slot_columns)(inst)
        build = "direct" if cols.n_cols > DIRECT_BUILD_COLUMNS else "pyomo"
    options = {} if form == "tasks" else SLOTS_HIGHS_OPTIONS
    start = _heuristic_start(inst) if warm_start and build == "direct" else None
    left = None if time_limit is None else time_limit - (time.perf_counter() - t0)
    out = _solve_form(inst, form, backend, build, left, rel_gap, seed, threads, start, options)
    info: dict[str, Any] = {"form": form, "build": build, "backend": backend,
                            "columns": out["cols"].n_cols, "model_columns": out["model_cols"],
                            "rows": out["rows"],
                            "nonzeros": out["nnz"], "build_s": out["build_s"],
                            "solver_s": out["solver_s"], "nodes": out["nodes"]}
    cols = out["cols"]
    pruned_part = (cols.unpruned_x, cols.n_x) if form == "tasks" else (cols.unpruned_y, cols.n_y)
    info["unpruned_columns"] = cols.n_cols - pruned_part[1] + pruned_part[0]
    bound = None if out["bound"] is None else max(out["bound"] / n, _trivial_bound(inst))
    status, message = out["status"], out["message"] or f"{backend}: {out['status']}"
    if out["values"] is None:
        if start is None:
            return Result(sa.PROBLEM, "milp", status, bound=bound, message=message, info=info)
        objective = _mean_time(inst, start)
        return Result(sa.PROBLEM, "milp", status, objective=objective, bound=bound,
                      gap=relative_gap(objective, bound), solution=start, info=info,
                      message=f"{message}; best schedule: the heuristic start")
    offset = 0.0 if form == "tasks" else out["cols"].offset
    model_obj = (float(np.rint(out["values"]) @ out["cols"].cost) + offset) / n
    if form == "tasks":
        solution = sa.solution_from_task_columns(inst, out["cols"], out["values"])
    else:
        solution = realize_jobs(inst, out["cols"], out["values"])
        info["fgfs_matching"] = solution is not None
        if solution is None:
            # no FGFS-keeping matching for this job set: repair, then improve with form "tasks"
            loose = realize_jobs(inst, out["cols"], out["values"], fgfs=False)
            if loose is None:  # pragma: no cover - Hall's condition makes a matching exist
                return Result(sa.PROBLEM, "milp", Status.ERROR, bound=bound, info=info,
                              message=message + "; the job-slot solution has no matching")
            solution = _fifo_repair(inst, loose)
            remaining = None if time_limit is None else time_limit - (time.perf_counter() - t0)
            message += "; no matching keeps FGFS: repaired and improved with form 'tasks'"
            if remaining is None or remaining > 1.0:
                fb = _solve_form(inst, "tasks", backend, "direct", remaining, rel_gap, seed,
                                 threads, solution, {})
                info["fallback"] = {k: fb[k] for k in ("status", "solver_s", "nodes")}
                if fb["values"] is not None:
                    cand = sa.solution_from_task_columns(inst, fb["cols"], fb["values"])
                    if _mean_time(inst, cand) <= _mean_time(inst, solution):
                        solution = cand
                if fb["bound"] is not None:
                    bound = max(bound or -np.inf, fb["bound"] / n)
            model_obj = _mean_time(inst, solution)
            status = Status.TIME_LIMIT if time_limit is not None and \
                time.perf_counter() - t0 >= time_limit else Status.FEASIBLE
    objective = model_obj
    if start is not None and _mean_time(inst, start) < objective - 1e-9:
        solution, objective = start, _mean_time(inst, start)
        message += "; best schedule: the heuristic start"
        if status == Status.OPTIMAL:  # pragma: no cover - a solver claiming a worse optimum
            status = Status.FEASIBLE
    if bound is not None:
        bound = min(bound, objective)
    gap = relative_gap(objective, bound)
    if status == Status.FEASIBLE and gap is not None and gap <= max(rel_gap, 1e-9):
        status = Status.OPTIMAL
    return Result(sa.PROBLEM, "milp", status, objective=objective, bound=bound, gap=gap,
                  solution=solution, message=message or None, info=info)


def _trivial_bound(inst: sa.Instance) -> float:
    """No task is faster than its best option without waiting (a bound before any LP)."""
    tm = sa.timing(inst)
    best = [tm.T_loc] if tm.local_allowed else []
    best += [int(tm.c[p] + tm.J[k, p] + tm.t_r) for p in tm.offload_points for k in range(tm.u)]
    return float(min(best))


def _mean_time(inst: sa.Instance, solution: dict[str, Any]) -> float:
    tm = sa.timing(inst)
    p = np.array(solution["p"], dtype=np.int64)
    k = np.array([-1 if x is None else x for x in solution["k"]], dtype=np.int64)
    start = np.array([-1 if x is None else x for x in solution["start"]], dtype=np.int64)
    return float(sa.task_times(inst, p, k, np.where(p == tm.v, 0, start), tm).mean())
