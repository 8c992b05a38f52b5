"""Exact ``conv_split`` by time levels over server groups: the default model of ``milp``.

Our own exact algorithm (not 004's): the compact MILP of 004 eq. 5
(:func:`edgesplit.formulations.conv_split.build_pyomo`) treats the M servers one by one, so
that on 004's setting, where the servers are identical but for their link rates, HiGHS and
SCIP spend their time on symmetric and near-symmetric thread allocations and stop with a gap
of about 2 % on AlexNet. Here:

- **Levels.** Conv i picks a time level ``T_{i,l}`` (binary ``v[i,l]``), one of the times a
  server can take for some rows and threads; with ``kappa`` threads a server can do
  ``r_l(kappa) = #{d >= 1 : t(d, kappa) <= T_{i,l}}`` rows of conv i within it. The conv's time
  is the slowest server's (004 eq. 6), so the objective is ``sum_{i,l} T_{i,l} v[i,l]``.
- **Groups, no symmetry.** Identical servers (same per-thread speed, threads and link) form
  a group. A server's thread vector (``k^i >= 1``, ``sum_i k^i = K``, 004 eq. 5d, 5f) is a path
  through a layered graph (layer i, threads used so far); ``n_g`` units of integer flow
  ``f`` give the group's multiset of thread vectors, without an order among its servers.
- **Linking.** ``a[g,i,kappa,l] >= 0`` counts the group's servers that give conv i ``kappa``
  threads if conv i is at level l::

      sum_l a[g,i,kappa,l] = sum_s f[g,i,s,kappa]                  (threads_by_level)
      sum_kappa a[g,i,kappa,l] = n_g v[i,l]                         (servers_at_level)
      sum_{g,kappa} r_{g,l}(kappa) a[g,i,kappa,l] >= b_i v[i,l]     (eq5e_rows_within_level)
      sum_{g,kappa} kappa a[g,i,kappa,l] >= Theta_i(l) v[i,l]       (thread_floor)

  ``Theta_i(l)`` is the least number of threads that covers conv i's rows within level l
  (:func:`.search.least_threads`); the row is implied by the others for integer ``a`` and
  tightens the relaxation. With exact groups the model is exact.
- **Near-identical servers** (004's links of 605-635 Gb/s): servers that differ only in their
  link and whose times differ by at most ``merge_tol`` (relative) are merged into one group
  with the smallest of their times, a relaxation (the *master*). A master optimum fixes a
  level vector ``T*``; its *slice* (every solution whose merged-time levels are ``T*``) is
  solved exactly with the true groups, capping rows at the merged levels and taking as levels
  the true times at or above ``T*``. The slice's optimum is a solution at least as good as any
  in the slice; the slice is then cut from the master (a no-good on ``v``) and the master
  solved again, until its bound reaches the incumbent: then the incumbent is optimal.
- **Level filter.** A level is dropped when even the pooled-budget bound of the other convs
  (:func:`.search.aggregated_bound`'s dynamic programme) cannot bring the total under the
  incumbent; the master is rebuilt when the incumbent improves.

Servers with different per-thread speeds each form their own group; with many such groups the
model grows large and ``milp`` uses the compact model instead (see :func:`use_levels`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from edgesplit._highs import prepare_threads, silent_highs
from edgesplit.formulations import conv_split as cs
from edgesplit.solvers.conv_split.search import (
    cheapest_per_budget,
    least_threads,
    min_plus,
    minmax_split,
    thread_search,
    time_grid,
)

__all__ = ["Group", "LevelModel", "LevelResult", "master_groups", "solve_levels",
           "use_levels"]

#: Time unit of the level models: microseconds.
UNIT = 1e-6
#: Relative tolerance at which the incumbent counts as proven optimal.
PROOF_TOL = 1e-9


@dataclass(frozen=True)
class Group:
    """Servers treated alike: their indices, threads ``K`` and largest count per conv."""

    members: tuple[int, ...]
    K: int
    kmax: int


@dataclass
class LevelResult:
    """Outcome of :func:`solve_levels`: rows ``d``, threads ``k``, objective and proven lower
    bound (seconds), whether the bound meets the objective, and solver figures."""

    d: np.ndarray
    k: np.ndarray
    objective: float
    bound: float
    proven: bool
    info: dict[str, Any] = field(default_factory=dict)


# ----------------------------------------------------------------------------- tables
def _time_tables(inst: cs.Instance) -> tuple[list[np.ndarray], int]:
    """Per conv, the times (model units) of every server for ``d = 0..b_i`` rows and ``kappa =
    0..kk`` threads, shape ``(M, b_i + 1, kk + 1)``; ``inf`` for ``kappa = 0`` or above the
    server's largest count (:func:`.search.time_grid`). Returns the tables and ``kk``."""
    tables = []
    for i in range(inst.N):
        t = np.transpose(time_grid(inst, i) / UNIT, (2, 0, 1))  # (M, b + 1, kk)
        full = np.full((t.shape[0], t.shape[1], t.shape[2] + 1), np.inf)
        full[:, :, 1:] = t
        tables.append(full)
    return tables, tables[0].shape[2] - 1


def _row_caps(t: np.ndarray, levels: np.ndarray, cap: np.ndarray | None = None) -> np.ndarray:
    """``r[l, kappa]``: rows a server with times ``t[d, kappa]`` does within ``levels[l]``
    (times grow with d), at most ``cap[kappa]`` if given; 0 for ``kappa = 0``."""
    r = (t[None, 1:, :] <= levels[:, None, None]).sum(axis=1)
    if cap is not None:
        r = np.minimum(r, cap[None, :])
    r[:, 0] = 0
    return r.astype(np.int64)


def _thread_floor(caps: list[np.ndarray], b: int) -> np.ndarray:
    """``Theta(l)``: least threads in all that cover ``b`` rows within level l, given each
    server's row caps ``caps[m][l, kappa]``."""
    kk = caps[0].shape[1] - 1
    kneed = np.full((caps[0].shape[0], b + 1, len(caps)), np.inf)
    rows = np.arange(b + 1)
    for m, r in enumerate(caps):
        for kap in range(kk, 0, -1):
            kneed[:, :, m][rows[None, :] <= r[:, kap][:, None]] = kap
    kneed[:, 0, :] = 1.0
    return least_threads(kneed)


def _groups(inst: cs.Instance, key: Any) -> list[Group]:
    """Servers grouped by ``key(m)``, in order of first member."""
    found: dict[Any, list[int]] = {}
    for m in range(inst.M):
        found.setdefault(key(m), []).append(m)
    return [Group(tuple(mem), inst.K[mem[0]], cs.max_threads(inst, mem[0]))
            for mem in found.values()]


def _spread(tables: list[np.ndarray], groups: list[Group]) -> float:
    """Largest relative difference between the times of two servers of one group."""
    out = 0.0
    for g in groups:
        for t in tables:
            part = t[list(g.members)][:, 1:, 1:]
            lo, hi = part.min(axis=0), part.max(axis=0)
            ok = np.isfinite(lo)
            if ok.any():
                out = max(out, float(((hi[ok] - lo[ok]) / lo[ok]).max()))
    return out


def master_groups(inst: cs.Instance, tables: list[np.ndarray] | None = None,
                  merge_tol: float = 1e-2) -> tuple[list[Group], list[Group], float]:
    """The master's groups, the exact groups and the spread of the merged ones.

    Exact groups hold servers with the same per-thread speed, threads and link (identical).
    Servers with the same speed and threads are merged for the master when their times differ
    by at most ``merge_tol`` (relative); otherwise the master uses the exact groups.
    """
    tables = tables if tables is not None else _time_tables(inst)[0]
    exact = _groups(inst, lambda m: (inst.eta[m], inst.K[m], inst.ra[m]))
    merged = _groups(inst, lambda m: (inst.eta[m], inst.K[m]))
    spread = _spread(tables, merged)
    return (merged if spread <= merge_tol else exact), exact, spread


def use_levels(inst: cs.Instance, merge_tol: float = 1e-2) -> bool:
    """Whether ``milp`` should use this module: the master has fewer groups than there are
    servers (some servers are identical, or near-identical within ``merge_tol``). With one
    group per server the level model is large and the compact model does better."""
    return len(master_groups(inst, merge_tol=merge_tol)[0]) < inst.M


# ----------------------------------------------------------------------------- the model
class LevelModel:
    """The level MILP (module docstring) for given groups, levels and row caps, in highspy.

    ``levels[i]`` are conv i's levels (model units, ascending), ``caps[g][i][l, kappa]`` the
    rows one server of group g does within them, ``floor[i][l]`` the thread floor.
    """

    def __init__(self, inst: cs.Instance, groups: list[Group], levels: list[np.ndarray],
                 caps: list[list[np.ndarray]], floor: list[np.ndarray],
                 threads: int | None = 1) -> None:
        self.inst, self.groups, self.levels = inst, groups, levels
        self._cost: list[float] = []
        self._upper: list[float] = []
        self._integer: list[bool] = []
        self._rows: list[tuple[float, float, list[int], list[float]]] = []
        self.v = [[self._col(float(t), 1, True) for t in levels[i]] for i in range(inst.N)]
        self.f: list[dict[tuple[int, int, int], int]] = []
        self._add_eq5d_eq5f_thread_paths()
        self._add_one_level_per_conv()
        self._add_levels_linking(caps, floor)
        self.h = self._highs(threads)

    def _col(self, cost: float, upper: float, integer: bool) -> int:
        self._cost.append(cost)
        self._upper.append(upper)
        self._integer.append(integer)
        return len(self._cost) - 1

    def _row(self, lower: float, upper: float, cols: list[int], vals: list[float]) -> None:
        self._rows.append((lower, upper, cols, vals))

    def _add_eq5d_eq5f_thread_paths(self) -> None:
        """Thread vectors as paths (004 eq. 5d, 5f): arc ``f[g,i,s,kappa]`` from node (i, s) to
        (i + 1, s + kappa), ``1 <= kappa <= kmax``, leaving at least one thread per later conv
        and ending at ``K``; ``n_g`` units leave (0, 0), the flow is conserved elsewhere."""
        n = self.inst.N
        for g in self.groups:
            arcs: dict[tuple[int, int, int], int] = {}
            for i in range(n):
                for s in range(i, g.K - (n - i) + 1):
                    for kap in range(1, g.kmax + 1):
                        end = s + kap
                        if (i == n - 1 and end != g.K) or end > g.K - (n - 1 - i):
                            continue
                        arcs[i, s, kap] = self._col(0.0, len(g.members), True)
            self.f.append(arcs)
            out: dict[tuple[int, int], list[int]] = {}
            into: dict[tuple[int, int], list[int]] = {}
            for (i, s, kap), col in arcs.items():
                out.setdefault((i, s), []).append(col)
                into.setdefault((i + 1, s + kap), []).append(col)
            for node, cols in out.items():
                ins = into.get(node, [])
                rhs = float(len(g.members)) if node == (0, 0) else 0.0
                self._row(rhs, rhs, cols + ins, [1.0] * len(cols) + [-1.0] * len(ins))

    def _add_one_level_per_conv(self) -> None:
        """``sum_l v[i,l] = 1``."""
        for cols in self.v:
            self._row(1.0, 1.0, list(cols), [1.0] * len(cols))

    def _add_levels_linking(self, caps: list[list[np.ndarray]], floor: list[np.ndarray]) -> None:
        """Rows ``threads_by_level``, ``servers_at_level``, ``eq5e_rows_within_level`` and
        ``thread_floor`` of the module docstring."""
        inst = self.inst
        for i in range(inst.N):
            n_lv = len(self.levels[i])
            rows_in = [([self.v[i][lv]], [-float(inst.b[i])]) for lv in range(n_lv)]
            threads_in = [([self.v[i][lv]], [-float(floor[i][lv])]) for lv in range(n_lv)]
            for g, grp in enumerate(self.groups):
                at_level = [([self.v[i][lv]], [-float(len(grp.members))]) for lv in range(n_lv)]
                r = np.minimum(caps[g][i], inst.b[i])
                for kap in range(1, grp.kmax + 1):
                    arcs = [c for (ii, _, kp), c in self.f[g].items() if ii == i and kp == kap]
                    if not arcs:
                        continue
                    a = [self._col(0.0, len(grp.members), False) for _ in range(n_lv)]
                    for lv, col in enumerate(a):
                        at_level[lv][0].append(col)
                        at_level[lv][1].append(1.0)
                        threads_in[lv][0].append(col)
                        threads_in[lv][1].append(float(kap))
                        if r[lv, kap] > 0:
                            rows_in[lv][0].append(col)
                            rows_in[lv][1].append(float(r[lv, kap]))
                    self._row(0.0, 0.0, a + arcs, [1.0] * len(a) + [-1.0] * len(arcs))
                for cols, vals in at_level:
                    self._row(0.0, 0.0, cols, vals)
            for cols, vals in rows_in + threads_in:
                self._row(0.0, np.inf, cols, vals)

    def _highs(self, threads: int | None) -> Any:
        import highspy

        n_cols, n_rows = len(self._cost), len(self._rows)
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = n_cols, n_rows
        lp.col_cost_ = np.array(self._cost)
        lp.col_lower_ = np.zeros(n_cols)
        lp.col_upper_ = np.array(self._upper, dtype=float)
        lp.row_lower_ = np.array([r[0] for r in self._rows], dtype=float)
        lp.row_upper_ = np.array([min(r[1], highspy.kHighsInf) for r in self._rows], dtype=float)
        starts = np.cumsum([0] + [len(r[2]) for r in self._rows])
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = n_cols, n_rows
        lp.a_matrix_.start_ = starts.astype(np.int32)
        lp.a_matrix_.index_ = np.array([c for r in self._rows for c in r[2]], dtype=np.int32)
        lp.a_matrix_.value_ = np.array([x for r in self._rows for x in r[3]], dtype=float)
        lp.integrality_ = [highspy.HighsVarType.kInteger if x else
                           highspy.HighsVarType.kContinuous for x in self._integer]
        h = silent_highs()
        self._threads = threads
        if threads is not None:
            h.setOptionValue("threads", int(threads))
        h.setOptionValue("mip_rel_gap", 1e-10)
        h.setOptionValue("mip_abs_gap", 1e-7)
        h.setOptionValue("random_seed", 0)
        # measured on 004's AlexNet (links 605-635 Gb/s, seeds 0-3): HiGHS' presolve costs more
        # than it saves on these models (27-41 s to the proof without, 31-54 s with)
        h.setOptionValue("presolve", "off")
        if h.passModel(lp) != highspy.HighsStatus.kOk:  # pragma: no cover - a bug here
            raise RuntimeError("HiGHS refused the level model")
        return h

    @property
    def n_cols(self) -> int:
        """Columns of the model."""
        return len(self._cost)

    def exclude(self, chosen: list[int]) -> None:
        """No-good: not all convs at the levels ``chosen`` (indices) again."""
        import highspy

        cols = np.array([self.v[i][lv] for i, lv in enumerate(chosen)], dtype=np.int32)
        self.h.addRow(-highspy.kHighsInf, float(len(cols) - 1), len(cols), cols,
                      np.ones(len(cols)))

    def solve(self, time_limit: float, cutoff: float | None = None,
              max_nodes: int | None = None) -> tuple[str, float, np.ndarray | None]:
        """Run HiGHS; returns ``"optimal"``, ``"infeasible"`` (nothing below ``cutoff``) or
        ``"stopped"`` (time or ``max_nodes``), the dual bound (model units) and the column
        values if any."""
        import highspy

        self.h.setOptionValue("time_limit", max(0.01, float(time_limit)))
        self.h.setOptionValue("mip_max_nodes", 2**31 - 1 if max_nodes is None else max_nodes)
        prepare_threads(self._threads)
        if cutoff is not None:
            self.h.setOptionValue("objective_bound", float(cutoff))
        self.h.run()
        st = self.h.getModelStatus()
        info = self.h.getInfo()
        values = np.array(self.h.getSolution().col_value) \
            if info.primal_solution_status == 2 else None
        if st in (highspy.HighsModelStatus.kInfeasible, highspy.HighsModelStatus.kObjectiveBound):
            return "infeasible", np.inf, None
        status = "optimal" if st == highspy.HighsModelStatus.kOptimal else "stopped"
        return status, float(info.mip_dual_bound), values

    def extract(self, values: np.ndarray) -> tuple[list[int], np.ndarray]:
        """Level index per conv and threads ``k`` (N x M): the flow of each group decomposed
        into paths, one per member."""
        inst = self.inst
        chosen = [int(np.argmax(values[cols])) for cols in self.v]
        k = np.zeros((inst.N, inst.M), dtype=np.int64)
        for g, grp in enumerate(self.groups):
            left = {key: int(np.rint(values[c])) for key, c in self.f[g].items()}
            for m in grp.members:
                s = 0
                for i in range(inst.N):
                    kap = next(kp for (ii, ss, kp), q in left.items()
                               if ii == i and ss == s and q > 0)
                    left[i, s, kap] -= 1
                    k[i, m] = kap
                    s += kap
        return chosen, k


# ----------------------------------------------------------------------------- algorithm
def _split(inst: cs.Instance, k: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Best rows for threads ``k`` (:func:`.search.minmax_split`) and the objective."""
    d = np.vstack([minmax_split(inst, i, k[i])[0] for i in range(inst.N)])
    return d, k, cs.evaluate(inst, cs.Solution(d=d.tolist(), k=k.tolist())).objective


def _slice(inst: cs.Instance, tables: list[np.ndarray], exact: list[Group],
           merged_of: dict[int, np.ndarray], t_star: list[float], time_limit: float,
           threads: int | None) -> tuple[tuple[np.ndarray, np.ndarray, float] | None, bool]:
    """Best solution whose servers all keep their merged times within ``t_star``, with true
    groups; returns it (or None) and whether it was proven best in the slice.

    ``merged_of[m][i]`` is the merged time table of server m's master group for conv i.
    """
    levels, caps = [], [[np.zeros(0)] * inst.N for _ in exact]
    floor = []
    for i in range(inst.N):
        values = [t_star[i]]
        limit = {}
        for e, g in enumerate(exact):
            m = g.members[0]
            cap = (merged_of[m][i][1:, :] <= t_star[i]).sum(axis=0)
            cap[0] = 0
            limit[e] = cap
            t = tables[i][m][1:, :]
            allowed = (np.arange(1, t.shape[0] + 1)[:, None] <= cap[None, :]) & np.isfinite(t)
            values += t[allowed & (t > t_star[i])].tolist()
        lv = np.unique(np.array(values))
        per_server = [_row_caps(tables[i][g.members[0]], lv, cap=limit[e])
                      for e, g in enumerate(exact) for _ in g.members]
        fl = _thread_floor(per_server, inst.b[i])
        ok = fl <= sum(inst.K)  # levels at which the rows can be covered at all
        levels.append(lv[ok])
        floor.append(fl[ok])
        for e, g in enumerate(exact):
            caps[e][i] = _row_caps(tables[i][g.members[0]], lv[ok], cap=limit[e])
    model = LevelModel(inst, exact, levels, caps, floor, threads=threads)
    status, _, values = model.solve(time_limit)
    if values is None:
        return None, False
    _, k = model.extract(values)
    return _split(inst, k), status == "optimal"


def solve_levels(inst: cs.Instance, *, time_limit: float | None = None, seed: int = 0,
                 merge_tol: float = 1e-2, threads: int | None = 1, starts: int = 6,
                 first_nodes: int = 200, rel_gap: float = PROOF_TOL) -> LevelResult:
    """Solve ``inst`` exactly by time levels (module docstring).

    Parameters
    ----------
    inst
        The instance.
    time_limit
        Seconds in all; on expiry the best solution and the proven bound are returned.
    seed
        Seed of the first incumbent's thread search (:func:`.search.thread_search` with
        ``starts`` random restarts, deterministic for the seed).
    merge_tol
        Servers with the same per-thread speed and threads whose times differ by at most this
        (relative) share one master group (the slice loop); otherwise the master's groups are
        exact and one master solve proves the optimum.
    threads
        HiGHS threads.
    starts
        Random restarts of the first incumbent's thread search.
    first_nodes
        Node limit of the first master solve: its best point (and slice) usually improves the
        incumbent, which shrinks the rebuilt master (0: no limit).
    rel_gap
        Stop when the incumbent is within this relative gap of the proven bound.

    Returns
    -------
    LevelResult
    """
    t0 = time.perf_counter()
    deadline = np.inf if time_limit is None else t0 + time_limit
    n = inst.N
    const = cs.cloud_constant(inst)
    tables, _ = _time_tables(inst)
    best = _split(inst, thread_search(inst, seed=seed, starts=starts)[1])
    info: dict[str, Any] = {"first_incumbent": best[2], "master_solves": 0, "slices": 0}

    groups, exact, info["spread"] = master_groups(inst, tables, merge_tol)
    merged = len(groups) < len(exact)
    info["groups"] = [list(g.members) for g in groups]
    # the master's time tables: the smallest time of the group's members (a relaxation)
    t_master = [[tables[i][list(g.members)].min(axis=0) for i in range(n)] for g in groups]
    merged_of = {m: t_master[q] for q, g in enumerate(groups) for m in g.members}

    budget = int(sum(inst.K))
    levels, caps, floor, cheapest = [], [], [], []
    for i in range(n):
        lv = np.concatenate([t_master[q][i][1:, 1:].ravel() for q in range(len(groups))])
        lv = np.unique(lv[np.isfinite(lv)])
        c_g = [_row_caps(t_master[q][i], lv) for q in range(len(groups))]
        per_server = [c_g[q] for q, g in enumerate(groups) for _ in g.members]
        fl = _thread_floor(per_server, inst.b[i])
        levels.append(lv)
        caps.append(c_g)
        floor.append(fl)
        cheapest.append(cheapest_per_budget(lv, fl, budget))
    others = []  # pooled-budget least time of all convs but i
    for i in range(n):
        acc = np.zeros(budget + 1)
        for j in range(n):
            if j != i:
                acc = min_plus(acc, cheapest[j])
        others.append(acc)
    pooled = min_plus(others[0], cheapest[0])[budget]
    lower = pooled * UNIT + const
    excluded: list[list[float]] = []

    def build() -> tuple[LevelModel, list[np.ndarray]]:
        """The master with the levels that can still beat the incumbent, and the no-goods."""
        cap_obj = (best[2] - const) / UNIT * (1 + PROOF_TOL)
        keep = []
        for i in range(n):
            fl = floor[i]
            rest = others[i][np.clip(budget - fl, 0, budget).astype(np.int64)]
            keep.append(np.flatnonzero((fl <= budget) & (levels[i] + rest <= cap_obj)))
        lv = [levels[i][keep[i]] for i in range(n)]
        model = LevelModel(inst, groups, lv,
                           [[caps[i][q][keep[i]] for i in range(n)] for q in range(len(groups))],
                           [floor[i][keep[i]] for i in range(n)], threads=threads)
        for t_star in excluded:
            idx = [int(np.searchsorted(lv[i], t_star[i])) for i in range(n)]
            if all(j < len(lv[i]) and lv[i][j] == t_star[i] for i, j in enumerate(idx)):
                model.exclude(idx)
        return model, lv

    master, lv = build()
    info["master_columns"] = master.n_cols
    while time.perf_counter() < deadline:
        cap_obj = (best[2] - const) / UNIT
        first = info["master_solves"] == 0 and first_nodes > 0
        status, bound, values = master.solve(deadline - time.perf_counter(),
                                             cutoff=cap_obj * (1 - 1e-10),
                                             max_nodes=first_nodes if first else None)
        info["master_solves"] += 1
        if status == "infeasible":  # nothing left below the incumbent
            lower = best[2]
            break
        if np.isfinite(bound):
            lower = max(lower, min(best[2], bound * UNIT + const))
        if values is None or (status != "optimal" and not first):
            if first and time.perf_counter() < deadline:
                continue
            break
        if status == "optimal" and bound >= cap_obj * (1 - 1e-10):
            lower = best[2]
            break
        chosen, k = master.extract(values)
        t_star = [float(lv[i][chosen[i]]) for i in range(n)]
        if merged:
            info["slices"] += 1
            candidate, covered = _slice(inst, tables, exact, merged_of, t_star,
                                        deadline - time.perf_counter(), threads)
        else:  # exact master: its thread vectors are a solution within its levels
            candidate, covered = _split(inst, k), True
        improved = candidate is not None and candidate[2] < best[2]
        if improved:
            best = candidate  # type: ignore[assignment]
        if best[2] - lower <= rel_gap * best[2] or not covered:
            break
        excluded.append(t_star)
        if improved:
            master, lv = build()
        else:
            master.exclude(chosen)
    lower = min(lower, best[2])
    info["runtime_s"] = time.perf_counter() - t0
    return LevelResult(d=best[0], k=best[1], objective=best[2], bound=lower,
                       proven=best[2] - lower <= max(rel_gap, PROOF_TOL) * best[2], info=info)
