"""Methods for ``task_assignment`` (001, ATSA): ``milp``, ``atsa``, ``aco``, ``pso``, ``fcfs``.

``milp`` is exact (Pyomo + HiGHS, :func:`edgesplit.formulations.task_assignment.build_pyomo`).
``atsa`` is 001's adaptive task scheduling algorithm (Alg. 1, eq. 2-4) and ``aco`` the basic
ant system it improves on; both run on one colony routine, :func:`ant_colony`, written here
because 001's algorithm is the point. ``pso`` is a small global-best particle swarm with a
documented discretisation and ``fcfs`` first-come-first-served dispatching (001 ref. [24]).
Every method scores assignments with
:func:`edgesplit.formulations.task_assignment.objective_values`, the helper ``evaluate`` uses.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from edgesplit.errors import InputError
from edgesplit.formulations import task_assignment as ta
from edgesplit.results import Result, Status
from edgesplit.solvers import register

__all__ = [
    "ColonyRun",
    "ant_colony",
    "lpt_local_search",
    "solve_aco",
    "solve_atsa",
    "solve_fcfs",
    "solve_milp",
    "solve_pso",
]


def _infeasible(inst: ta.Instance, method: str) -> Result | None:
    """The Result for an instance where some task fits no node's memory (001 eq. 4)."""
    bad = ta.unplaceable_tasks(inst)
    if not bad:
        return None
    i = bad[0]
    return Result(ta.PROBLEM, method, Status.INFEASIBLE,
                  message=f"task {i} needs {inst.P_cur[i]:.4g} B, more than any node's memory "
                          f"(largest {max(inst.P):.4g} B; 001 eq. 4); {len(bad)} such task(s)")


def _heuristic_result(inst: ta.Instance, method: str, assign: np.ndarray, message: str,
                      info: dict) -> Result:
    value = ta.objective_values(inst, assign)
    return Result(ta.PROBLEM, method, Status.FEASIBLE, objective=float(value),
                  solution={"assign": [int(j) for j in assign]}, message=message, info=info)


def _check_positive(**values: float) -> None:
    for name, v in values.items():
        if not v > 0:
            raise InputError(name, f"must be positive (got {v})")


# ----------------------------------------------------------------------------- exact
def lpt_local_search(inst: ta.Instance, objective: str | None = None,
                     max_rounds: int = 10_000) -> np.ndarray:
    """A good assignment fast: longest task first to the earliest-finishing node, then moves.

    Not one of 001's methods: :func:`solve_milp` starts from it (Pyomo's HiGHS interface takes
    no MIP start, so the better of this and HiGHS' incumbent is returned with HiGHS' bound).
    For ``"total"`` every task goes to its fastest allowed node, which is optimal. For the
    makespan, tasks in decreasing work go to the allowed node where they finish first (LPT for
    uniform machines), then the busiest node repeatedly gives a task to (or swaps one with)
    another node while that lowers the makespan.
    """
    et = ta.execution_times(inst)
    allow = ta.allowed_nodes(inst)
    big = np.where(allow, et, np.inf)
    if (objective or inst.objective) == "total":
        return np.argmin(big, axis=1)
    k, x = et.shape
    assign = np.empty(k, dtype=np.int64)
    loads = np.zeros(x)
    for i in np.argsort(-np.asarray(inst.Zt), kind="stable"):
        j = int(np.argmin(loads + big[i]))
        assign[i] = j
        loads[j] += et[i, j]
    for _ in range(max_rounds):
        top = int(np.argmax(loads))
        cmax = loads[top]
        mine = np.flatnonzero(assign == top)
        # moves: task i from the busiest node to node j
        new_j = loads[None, :] + big[mine]  # (|mine|, x)
        new_j[:, top] = np.inf
        by_load = np.argsort(-loads, kind="stable")
        second = loads[by_load[1]] if x > 1 else 0.0
        third = loads[by_load[2]] if x > 2 else 0.0
        # the largest load among the nodes a move or swap with node j leaves untouched
        untouched = np.where(np.arange(x) == (by_load[1] if x > 1 else -1), third, second)
        after = np.maximum(np.maximum(new_j, cmax - et[mine, top][:, None]), untouched[None, :])
        # swaps: task i of the busiest node with task s of node assign[s]
        others = np.flatnonzero(assign != top)
        best_move = np.unravel_index(np.argmin(after), after.shape) if mine.size else None
        move_val = after[best_move] if best_move is not None else np.inf
        swap_val, swap = np.inf, None
        if others.size and mine.size:
            js = assign[others]
            top_after = cmax - et[mine, top][:, None] + big[others, top][None, :]
            other_after = (loads[js][None, :] - et[others, js][None, :] + big[mine][:, js])
            pair = np.maximum(np.maximum(top_after, other_after), untouched[js][None, :])
            flat = int(np.argmin(pair))
            swap_val = pair.flat[flat]
            swap = np.unravel_index(flat, pair.shape)
        if min(move_val, swap_val) >= cmax * (1 - 1e-12):
            break
        if move_val <= swap_val:
            i, j = int(mine[best_move[0]]), int(best_move[1])
            loads[top] -= et[i, top]
            loads[j] += et[i, j]
            assign[i] = j
        else:
            i, s = int(mine[swap[0]]), int(others[swap[1]])
            j = int(assign[s])
            loads[top] += et[s, top] - et[i, top]
            loads[j] += et[i, j] - et[s, j]
            assign[i], assign[s] = j, top
    return assign


@register(ta.PROBLEM, "milp", kind="exact")
def solve_milp(inst: ta.Instance, *, time_limit: float | None = None, seed: int = 0,
               backend: Literal["highs", "scip"] = "highs", rel_gap: float = 1e-7,
               threads: int | None = None, start: bool = True) -> Result:
    """Pyomo MILP of 001 Sec. 2.3 (eq. 1, 4) for the instance's objective, HiGHS by default.

    With ``start`` (default), an LPT + local-search assignment (:func:`lpt_local_search`) is
    computed first and the LP relaxation of the model is solved: if the assignment is within
    ``rel_gap`` of that bound it is returned as optimal (to ``rel_gap``) without branching.
    Otherwise the MILP is solved, and the better of the two incumbents is returned with the
    larger of the two bounds (Pyomo's HiGHS interface takes no MIP start).
    """
    import pyomo.environ as pyo

    from edgesplit.solvers._pyomo import solve_pyomo

    if (bad := _infeasible(inst, "milp")) is not None:
        return bad
    if not 0 <= rel_gap < 1:
        raise InputError("rel_gap", f"must be in [0, 1) (got {rel_gap})")
    t0 = time.perf_counter()
    model = ta.build_pyomo(inst)
    info: dict = {"build_s": time.perf_counter() - t0, "n_binaries": inst.K * inst.x}
    assign, objective, bound, source = None, None, None, None
    if start:
        assign = lpt_local_search(inst)
        objective = float(ta.objective_values(inst, assign))
        source = "lpt_local_search"
        relaxed = model.clone()
        pyo.TransformationFactory("core.relax_integer_vars").apply_to(relaxed)
        lp = solve_pyomo(relaxed, backend, time_limit=time_limit, threads=threads)
        info["lp_bound"] = lp.objective if lp.status == Status.OPTIMAL else None
        bound = info["lp_bound"]
        if bound is not None and objective - bound <= rel_gap * abs(objective):
            return _milp_result(inst, Status.OPTIMAL, assign, objective, bound, source,
                                "LPT + local search is within rel_gap of the LP relaxation's "
                                "bound", info)
    remaining = None if time_limit is None else max(time_limit - (time.perf_counter() - t0),
                                                    1.0)
    out = solve_pyomo(model, backend, time_limit=remaining, rel_gap=rel_gap, threads=threads)
    info.update(solver_s=out.runtime_s, raw=out.raw)
    if out.has_solution:
        mine = np.asarray(ta.solution_from_pyomo(model), dtype=np.int64)
        value = float(ta.objective_values(inst, mine))
        if objective is None or value <= objective:
            assign, objective, source = mine, value, backend
    if out.bound is not None:
        bound = out.bound if bound is None else max(bound, out.bound)
    if assign is None:
        return Result(ta.PROBLEM, "milp", out.status, bound=bound, message=out.message,
                      info=info)
    status = out.status if out.status in (Status.OPTIMAL, Status.TIME_LIMIT) \
        else Status.FEASIBLE
    if bound is not None and objective - bound <= rel_gap * abs(objective) + 1e-12:
        status = Status.OPTIMAL
    message = out.message
    if source != backend:
        message = "; ".join(m for m in [message, f"incumbent from LPT + local search (better "
                                                  f"than {backend}'s)"] if m)
    return _milp_result(inst, status, assign, objective, bound, source, message, info)


def _milp_result(inst: ta.Instance, status: Status, assign: np.ndarray, objective: float,
                 bound: float | None, source: str | None, message: str | None,
                 info: dict) -> Result:
    if bound is not None:
        bound = min(bound, objective)
    gap = None if bound is None else (objective - bound) / max(abs(objective), 1e-12)
    info["incumbent_from"] = source
    return Result(ta.PROBLEM, "milp", status, objective=objective, bound=bound, gap=gap,
                  solution={"assign": [int(j) for j in assign]}, message=message, info=info)


# ----------------------------------------------------------------------------- ant colonies
@dataclass
class ColonyRun:
    """Outcome of :func:`ant_colony`."""

    assign: np.ndarray
    value: float
    history: list[float] = field(default_factory=list)
    iterations: int = 0


def ant_colony(inst: ta.Instance, *, seed: int, ants: int, iterations: int, alpha: float,
               beta: float, rho: float, Q: float, heuristic: Literal["memory", "time"],
               local_update: bool, random_start: bool, xi: float = 0.1, delta: float = 1.0,
               eta_floor: float = 1e-3, score: Literal["objective", "total"] = "objective",
               time_limit: float | None = None) -> ColonyRun:
    """One ant colony for task assignment; ATSA (001 Alg. 1) and basic ACO are settings of it.

    Every iteration, each of ``ants`` ants assigns the tasks ``a_1..a_K`` in window order. Ant
    ``n_y`` sends task ``a_i`` to node ``v_j`` with probability (001 eq. 2)::

        P_ij = tau_ij^alpha eta_ij^beta / sum_{j allowed} tau_ij^alpha eta_ij^beta

    over the nodes whose memory fits the task (001 eq. 4). Pheromone starts at "the
    reciprocal of the average execution time of the processor" (001 Sec. 2.3), read per node:
    ``tau_ij(0) = tau0_j = 1 / mean_i et_ij``, so faster nodes start with more. After all ants
    have built their assignments it evaporates and receives every ant's deposit (001 eq. 3)::

        tau_ij <- (1 - rho) tau_ij + sum_y [ant y sent a_i to v_j] Q / Z_y

    Parameters
    ----------
    heuristic
        ``"memory"`` (ATSA, 001 eq. 4): ``eta_ij = delta (1 - mu_j')`` where
        ``mu_j' = mu_j + P_cur_i / Pv_j`` is node j's running memory usage of this ant once the
        task is added; 001 does not say what happens when the usage passes 1 (it does after a
        few tasks on any node), so eta is floored at ``delta * eta_floor``. ``"time"`` (basic
        ant system for scheduling): ``eta_ij = 1 / et_ij``.
    local_update
        001 Alg. 1 line 8 "update local pheromone", with no formula: we use the ant colony
        system's rule ``tau_ij <- (1 - xi) tau_ij + xi tau0_j`` on every pair just chosen. Ants
        move in lockstep (all ants place task i, then task i + 1), so the rule applies once per
        task and chosen pair.
    random_start
        001 Alg. 1 line 5 "put ants in a random node": each ant's first task goes to a random
        allowed node.
    score
        ``Z_y`` of the deposit: ``"objective"`` (the instance's objective) or ``"total"``
        (001's literal ``Z_y``, the total execution time, whatever the instance optimises).
    time_limit
        Stop after the iteration that passes it.

    Returns
    -------
    ColonyRun
        The best assignment by the instance's objective, with the best value after each
        iteration (the convergence curve of 001 Fig. 7).
    """
    _check_positive(ants=ants, iterations=iterations, Q=Q, delta=delta, eta_floor=eta_floor)
    if not 0 < rho < 1:
        raise InputError("rho", f"001 eq. 3 needs 0 < rho < 1 (got {rho})")
    if alpha < 0 or beta < 0:
        raise InputError("alpha", f"alpha and beta must be >= 0 (got {alpha}, {beta})")
    if not 0 <= xi <= 1:
        raise InputError("xi", f"must be in [0, 1] (got {xi})")
    start = time.perf_counter()
    rng = np.random.default_rng(seed)
    et = ta.execution_times(inst)
    allow = ta.allowed_nodes(inst)
    k, x = et.shape
    tau0 = 1.0 / np.maximum(et.mean(axis=0), 1e-300)  # per node: 1 / its mean time
    tau = np.broadcast_to(tau0, (k, x)).copy()
    usage = np.asarray(inst.P_cur, dtype=float)[:, None] / np.asarray(inst.P, dtype=float)[None]
    # eta = 1 / et, scaled per task by its shortest time (a factor eq. 2 cancels) so that
    # eta^beta stays in [0, 1] whatever the units
    fastest = np.where(allow, et, np.inf).min(axis=1, keepdims=True)
    eta_time = np.where(allow, fastest / np.maximum(et, 1e-300), 0.0) ** beta
    rows = np.arange(ants)
    best_assign, best_value, history = None, np.inf, []
    it = 0
    for it in range(1, iterations + 1):  # noqa: B007 - `it` is reported
        assign = np.empty((ants, k), dtype=np.int64)
        mu = np.zeros((ants, x))
        for i in range(k):
            if i == 0 and random_start:
                w = np.broadcast_to(allow[i].astype(float), (ants, x))
            else:
                if heuristic == "memory":
                    eta = delta * np.maximum(1.0 - (mu + usage[i]), eta_floor)
                    w = tau[i] ** alpha * eta ** beta * allow[i]
                else:
                    w = np.broadcast_to(tau[i] ** alpha * eta_time[i], (ants, x))
            cum = np.cumsum(w, axis=1)
            dead = cum[:, -1] <= 0  # every weight underflowed: choose among allowed nodes
            if dead.any():
                cum[dead] = np.cumsum(allow[i].astype(float))
            u = (1.0 - rng.random(ants))[:, None] * cum[:, -1:]  # in (0, total]
            pick = np.minimum((cum < u).sum(axis=1), x - 1)
            assign[:, i] = pick
            mu[rows, pick] += usage[i, pick]
            if local_update:
                chosen = np.unique(pick)
                tau[i, chosen] = (1 - xi) * tau[i, chosen] + xi * tau0[chosen]
        values = ta.objective_values(inst, assign, et=et)
        deposit_z = values if score == "objective" else ta.objective_values(
            inst, assign, "total", et=et)
        delta_tau = np.zeros((k, x))
        np.add.at(delta_tau, (np.broadcast_to(np.arange(k), (ants, k)), assign),
                  (Q / np.maximum(deposit_z, 1e-300))[:, None])
        tau = (1 - rho) * tau + delta_tau  # 001 eq. 3
        y = int(np.argmin(values))
        if values[y] < best_value:
            best_value, best_assign = float(values[y]), assign[y].copy()
        history.append(best_value)
        if time_limit is not None and time.perf_counter() - start > time_limit:
            break
    assert best_assign is not None
    return ColonyRun(best_assign, best_value, history, it)


@register(ta.PROBLEM, "atsa", kind="heuristic", randomized=True)
def solve_atsa(inst: ta.Instance, *, time_limit: float | None = None, seed: int = 0,
               ants: int = 20, iterations: int = 100, alpha: float = 1.0, beta: float = 5.0,
               rho: float = 0.5, Q: float = 5.0, xi: float = 0.1, delta: float = 1.0,
               eta_floor: float = 1e-3,
               score: Literal["objective", "total"] = "objective") -> Result:
    """001's ATSA (Alg. 1, eq. 2-4): ant colony, memory-usage heuristic, local + global update."""
    if (bad := _infeasible(inst, "atsa")) is not None:
        return bad
    run = ant_colony(inst, seed=seed, ants=ants, iterations=iterations, alpha=alpha, beta=beta,
                     rho=rho, Q=Q, heuristic="memory", local_update=True, random_start=True,
                     xi=xi, delta=delta, eta_floor=eta_floor, score=score,
                     time_limit=time_limit)
    return _heuristic_result(inst, "atsa", run.assign,
                             f"{run.iterations} iterations x {ants} ants",
                             {"history": run.history, "iterations": run.iterations})


@register(ta.PROBLEM, "aco", kind="baseline", randomized=True)
def solve_aco(inst: ta.Instance, *, time_limit: float | None = None, seed: int = 0,
              ants: int = 20, iterations: int = 100, alpha: float = 1.0, beta: float = 5.0,
              rho: float = 0.5, Q: float = 5.0,
              score: Literal["objective", "total"] = "objective") -> Result:
    """Basic ant system (001 ref. [25]): eta = 1 / et_ij, global update of eq. 3 only."""
    if (bad := _infeasible(inst, "aco")) is not None:
        return bad
    run = ant_colony(inst, seed=seed, ants=ants, iterations=iterations, alpha=alpha, beta=beta,
                     rho=rho, Q=Q, heuristic="time", local_update=False, random_start=False,
                     score=score, time_limit=time_limit)
    return _heuristic_result(inst, "aco", run.assign,
                             f"{run.iterations} iterations x {ants} ants",
                             {"history": run.history, "iterations": run.iterations})


# ----------------------------------------------------------------------------- PSO
@register(ta.PROBLEM, "pso", kind="baseline", randomized=True)
def solve_pso(inst: ta.Instance, *, time_limit: float | None = None, seed: int = 0,
              particles: int = 30, iterations: int = 100, w: float = 0.729,
              c1: float = 1.49445, c2: float = 1.49445) -> Result:
    """Global-best particle swarm; a task's coordinate picks a node by speed rank.

    Discretisation (001 names PSO without details): particle coordinate ``i`` lies in
    ``[0, x)`` and task ``a_i`` goes to the node of speed rank ``floor(coordinate)`` (nodes
    sorted by F, so neighbouring values mean similar nodes); a node whose memory the task does
    not fit (001 eq. 4) is replaced by the allowed node nearest in rank. Inertia and
    acceleration default to Clerc's constriction values; velocities are clamped to
    ``+-x/2``; positions stay in ``[0, x)``.
    """
    if (bad := _infeasible(inst, "pso")) is not None:
        return bad
    _check_positive(particles=particles, iterations=iterations)
    start = time.perf_counter()
    rng = np.random.default_rng(seed)
    et = ta.execution_times(inst)
    allow = ta.allowed_nodes(inst)
    k, x = et.shape
    order = np.argsort(np.asarray(inst.F), kind="stable")  # rank -> node
    allow_rank = allow[:, order]
    # nearest allowed rank for every (task, rank)
    ranks = np.arange(x)
    dist = np.abs(ranks[None, :, None] - ranks[None, None, :]) + np.where(
        allow_rank[:, None, :], 0.0, np.inf)  # (K, rank, candidate)
    repair = order[np.argmin(dist, axis=2)]  # (K, x): node for each decoded rank

    def decode(pos: np.ndarray) -> np.ndarray:
        r = np.minimum(pos.astype(np.int64), x - 1)
        return repair[np.arange(k)[None, :], r]

    pos = rng.uniform(0, x, size=(particles, k))
    vmax = x / 2.0
    vel = rng.uniform(-vmax, vmax, size=(particles, k))
    assign = decode(pos)
    values = ta.objective_values(inst, assign, et=et)
    pbest, pbest_val = pos.copy(), values.copy()
    g = int(np.argmin(values))
    gbest, gbest_val, gbest_assign = pos[g].copy(), float(values[g]), assign[g].copy()
    history = [gbest_val]
    it = 0
    for it in range(1, iterations + 1):  # noqa: B007 - `it` is reported
        r1, r2 = rng.random((particles, k)), rng.random((particles, k))
        vel = np.clip(w * vel + c1 * r1 * (pbest - pos) + c2 * r2 * (gbest - pos), -vmax, vmax)
        pos = np.clip(pos + vel, 0.0, np.nextafter(x, 0))
        assign = decode(pos)
        values = ta.objective_values(inst, assign, et=et)
        better = values < pbest_val
        pbest[better], pbest_val[better] = pos[better], values[better]
        g = int(np.argmin(pbest_val))
        if pbest_val[g] < gbest_val:
            gbest, gbest_val = pbest[g].copy(), float(pbest_val[g])
            gbest_assign = decode(gbest[None])[0]
        history.append(gbest_val)
        if time_limit is not None and time.perf_counter() - start > time_limit:
            break
    return _heuristic_result(inst, "pso", gbest_assign,
                             f"{it} iterations x {particles} particles",
                             {"history": history[1:], "iterations": it})


# ----------------------------------------------------------------------------- FCFS
@register(ta.PROBLEM, "fcfs", kind="baseline")
def solve_fcfs(inst: ta.Instance, *, time_limit: float | None = None, seed: int = 0) -> Result:
    """First come, first served (001 ref. [24]): each task in arrival order to the node that
    becomes free first (lowest index on ties) among those its memory fits; speed is ignored."""
    if (bad := _infeasible(inst, "fcfs")) is not None:
        return bad
    et = ta.execution_times(inst)
    allow = ta.allowed_nodes(inst)
    free = np.zeros(inst.x)
    assign = np.empty(inst.K, dtype=np.int64)
    for i in range(inst.K):
        j = int(np.argmin(np.where(allow[i], free, np.inf)))
        assign[i] = j
        free[j] += et[i, j]
    return _heuristic_result(inst, "fcfs", assign, "tasks in arrival order to the first free "
                             "node", {})
