"""Methods for ``split_pareto`` (000, CECMS).

Exact:

- ``enumerate``: with N + 1 split points, evaluating every one and keeping the non-dominated
  feasible ones is the whole Pareto front of 000 eq. 13.
- ``epsilon-milp``: the epsilon-constraint method on the MILP of 000 eq. 13
  (:func:`edgesplit.formulations.split_pareto.build_pyomo`) solved by HiGHS, tracing the whole
  front; it gives the same front as ``enumerate`` (tested).

Paper heuristic:

- ``mtmgmo``: 000's MTMGMO, several NSGA-III populations (pymoo), one thread per population,
  their fronts merged and filtered for dominance. ``threads=1`` is 000's single-thread
  multi-population variant (Tables 4 and 6).

Baselines (one split each, ``front`` is null): ``adc`` (000's adaptation of ADC: the minimum
completion time by traversing every split), ``dads`` (DADS' s-t minimum cut on the chain graph,
networkx), ``cloud-only`` (split 0), ``edge-only`` (split N). A baseline ignores C3; a split that
violates it is reported with status ``infeasible``, not hidden.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from edgesplit.errors import InputError
from edgesplit.formulations import split_pareto as sp
from edgesplit.results import Result, Status
from edgesplit.solvers import register

__all__ = [
    "front_result",
    "solve_adc",
    "solve_cloud_only",
    "solve_dads",
    "solve_edge_only",
    "solve_enumerate",
    "solve_epsilon_milp",
    "solve_mtmgmo",
]

#: 000's MTMGMO setting (Experiments and analysis): four populations, 500 iterations.
PAPER_POPULATIONS = (100, 200, 300, 400)
PAPER_GENERATIONS = 500


def front_result(inst: sp.Instance, method: str, front: list[int], *, status: Status,
                 rule: str = "knee", weight: float = 0.5, tol: float = 0.05,
                 message: str | None = None, info: dict[str, Any] | None = None) -> Result:
    """A Result holding a Pareto front and the split chosen from it by ``rule``."""
    if not front:
        return Result(sp.PROBLEM, method, Status.INFEASIBLE, message=message or
                      _infeasible_reason(inst), info=dict(info or {}))
    front = sorted(front)
    chosen = sp.select(inst, front, rule=rule, weight=weight, tol=tol)
    table = sp.objective_table(inst)
    return Result(
        sp.PROBLEM, method, status,
        objectives={"T": float(table[chosen, 0]), "memory_unused": float(table[chosen, 1])},
        solution={"split": chosen, "front": front},
        message=message or f"{len(front)} non-dominated split(s); chosen by rule {rule!r}",
        info={"table": table, "rule": rule, **(info or {})},
    )


def _infeasible_reason(inst: sp.Instance) -> str:
    m = np.asarray(inst.m)
    k = int(m.argmin())
    return (f"no split satisfies C3 (000 eq. 13): the least memory, at split {k}, is "
            f"{m[k]:.4g} B > M_total = {inst.M_total:.4g} B")


def _check_rule(inst: sp.Instance, rule: str, weight: float, tol: float) -> None:
    """Reject a bad selection option before any work is done."""
    sp.select(inst, [0], rule=rule, weight=weight, tol=tol)


# ----------------------------------------------------------------------------- enumerate
@register(sp.PROBLEM, "enumerate", kind="exact")
def solve_enumerate(inst: sp.Instance, *, time_limit: float | None = None, seed: int = 0,
                    rule: str = "knee", weight: float = 0.5, tol: float = 0.05) -> Result:
    """Evaluate all N + 1 splits and return the exact Pareto front of 000 eq. 13."""
    _check_rule(inst, rule, weight, tol)
    front = sp.pareto_front(sp.objective_table(inst), sp.feasible_splits(inst))
    return front_result(inst, "enumerate", front, status=Status.OPTIMAL, rule=rule,
                        weight=weight, tol=tol)


# ----------------------------------------------------------------------------- epsilon-milp
#: Solver options that make one MILP solve exact to the last distinguishable value: no
#: relative or absolute gap, feasibility and optimality tolerances well below the half-gaps
#: between distinct objective values that the epsilon steps leave.
_EXACT_OPTIONS: dict[str, dict[str, Any]] = {
    "highs": {"mip_abs_gap": 0.0, "mip_feasibility_tolerance": 1e-9,
              "primal_feasibility_tolerance": 1e-9, "dual_feasibility_tolerance": 1e-9},
    "scip": {"limits/absgap": 0.0, "numerics/feastol": 1e-9},
}


def _midpoint_below(levels: np.ndarray, value: float) -> float | None:
    """Half-way between ``value`` and the next smaller distinct level (None if none)."""
    lower = levels[levels < value]
    return None if len(lower) == 0 else 0.5 * (float(lower[-1]) + value)


def _midpoint_above(levels: np.ndarray, value: float) -> float | None:
    """Half-way between ``value`` and the next larger distinct level (None if none)."""
    upper = levels[levels > value]
    return None if len(upper) == 0 else 0.5 * (float(upper[0]) + value)


class _EpsilonRun:
    """The MILP solves of one epsilon-constraint run, against one deadline."""

    def __init__(self, inst: sp.Instance, backend: str, deadline: float | None) -> None:
        from edgesplit.solvers._pyomo import solve_pyomo

        self.inst, self.backend, self.deadline = inst, backend, deadline
        self.solve_pyomo = solve_pyomo
        self.log: list[dict[str, Any]] = []

    def solve(self, stage: str, **build: Any) -> tuple[Status, int | None, str | None]:
        """Build and solve one MILP; return its status, its split and the solver's message."""
        remaining = None
        if self.deadline is not None:
            remaining = self.deadline - time.perf_counter()
            if remaining <= 0:
                return Status.TIME_LIMIT, None, "time limit reached between MILP solves"
        model = sp.build_pyomo(self.inst, **build)
        out = self.solve_pyomo(model, self.backend, time_limit=remaining, rel_gap=0.0,
                               solver_options=_EXACT_OPTIONS[self.backend])
        k = sp.solution_from_pyomo(model) if out.has_solution else None
        self.log.append({"stage": stage, **{a: b for a, b in build.items() if b is not None},
                         "status": str(out.status), "split": k, "runtime_s": out.runtime_s})
        return out.status, k, out.message


@register(sp.PROBLEM, "epsilon-milp", kind="exact")
def solve_epsilon_milp(inst: sp.Instance, *, time_limit: float | None = None, seed: int = 0,
                       backend: str = "highs", rule: str = "knee", weight: float = 0.5,
                       tol: float = 0.05) -> Result:
    """Trace the Pareto front of 000 eq. 13 with the epsilon-constraint MILP (Pyomo + HiGHS).

    Each front point takes three kinds of MILP solve of :func:`~edgesplit.formulations.
    split_pareto.build_pyomo`:

    1. ``min T`` subject to C1-C4 and ``1 - R_memory <= eps`` (``eps`` absent at first);
       infeasible means the front is complete. Its split has time ``T*``.
    2. Lexicographic second stage: ``min (1 - R_memory)`` subject to the same and ``T <=
       T*+``, so that the point found, ``(T*, u*)``, is not weakly dominated.
    3. Ties: ``min T`` with ``T <= T*+``, ``1 - R_memory <= u*+`` and the splits found so far
       fixed to 0, until infeasible: every split with the objective vector ``(T*, u*)``
       (``enumerate`` keeps them all).

    Then ``eps`` steps below ``u*``. ``T*+`` (``u*+``) is half-way between ``T*`` (``u*``) and
    the next larger distinct value of ``T`` (of ``1 - R_memory``) over all splits, and the
    next ``eps`` half-way between ``u*`` and the next smaller one: the steps skip no front
    point and never ask the solver to separate two values closer than half their gap. Every
    solve runs with no MIP gap (``rel_gap = 0``, ``mip_abs_gap = 0``).

    Parameters
    ----------
    backend
        ``"highs"`` (default) or ``"scip"``.
    rule, weight, tol
        How the one split is chosen from the front (:func:`~edgesplit.formulations.
        split_pareto.select`).
    """
    if backend not in _EXACT_OPTIONS:
        raise InputError("backend", f"must be 'highs' or 'scip' (got {backend!r})")
    _check_rule(inst, rule, weight, tol)
    deadline = None if time_limit is None else time.perf_counter() + time_limit
    table = sp.objective_table(inst)
    t_levels, u_levels = np.unique(table[:, 0]), np.unique(table[:, 1])
    run = _EpsilonRun(inst, backend, deadline)
    front: list[int] = []
    eps: float | None = None
    stop_status, stop_message = Status.OPTIMAL, None
    while True:
        status, k1, msg = run.solve("min T", epsilon=eps)
        if status == Status.INFEASIBLE:
            break  # no split has less unused memory: the front is complete
        if status != Status.OPTIMAL:
            stop_status, stop_message = status, msg
            break
        t_bound = _midpoint_above(t_levels, float(table[k1, 0]))
        status, k2, msg = run.solve("min unused | T", epsilon=eps, objective="memory_unused",
                                    time_bound=t_bound)
        if status != Status.OPTIMAL:
            stop_status, stop_message = status, msg
            break
        t_star, u_star = float(table[k2, 0]), float(table[k2, 1])
        if table[k2, 0] != table[k1, 0] or (eps is not None and u_star >= eps):
            stop_status = Status.ERROR
            stop_message = (f"the MILP solves disagree with the objective table at split {k2}"
                            f" (solver tolerance?)")
            break
        group = [k2]
        u_bound = _midpoint_above(u_levels, u_star)
        while True:  # every other split with the same objective vector
            status, k3, msg = run.solve("ties", epsilon=u_bound, time_bound=t_bound,
                                        exclude=tuple(group))
            if status != Status.OPTIMAL:
                break
            if table[k3, 0] != t_star or table[k3, 1] != u_star:
                status, msg = Status.ERROR, f"tie search returned split {k3} with another vector"
                break
            group.append(k3)
        front += group
        if status != Status.INFEASIBLE:  # the tie search failed or ran out of time
            stop_status, stop_message = status, msg
            break
        eps = _midpoint_below(u_levels, u_star)
        if eps is None:
            break  # no split uses more memory: the front is complete
    info = {"milp_solves": run.log, "n_solves": len(run.log),
            "model_size": {"binaries": inst.N + 1, "rows_at_most": 5}}
    if stop_status == Status.OPTIMAL:
        return front_result(inst, "epsilon-milp", front, status=Status.OPTIMAL, rule=rule,
                            weight=weight, tol=tol, info=info,
                            message=f"{len(front)} non-dominated split(s) from {len(run.log)} "
                                    f"MILP solves ({backend}); chosen by rule {rule!r}")
    note = (f"stopped after {len(run.log)} MILP solves ({stop_message}); the "
            f"{len(front)} split(s) found are on the front, more may be missing")
    if not front:
        return Result(sp.PROBLEM, "epsilon-milp", stop_status, message=note, info=info)
    return front_result(inst, "epsilon-milp", front, status=stop_status, rule=rule,
                        weight=weight, tol=tol, message=note, info=info)


# ----------------------------------------------------------------------------- mtmgmo
def _split_problem(inst: sp.Instance) -> Any:
    """000 eq. 13 as a pymoo problem: one integer variable ``split`` in 0..N (C1, C2), the two
    objectives from :func:`~edgesplit.formulations.split_pareto.objective_table` and C3, C4 as
    inequality constraints ``g <= 0`` (pymoo's constraint handling, no penalty)."""
    from pymoo.core.problem import Problem

    table = sp.objective_table(inst)
    g = sp.constraint_table(inst) - sp.FEAS_TOL  # feasible for pymoo iff feasible_splits

    class SplitProblem(Problem):
        def __init__(self) -> None:
            super().__init__(n_var=1, n_obj=2, n_ieq_constr=g.shape[1], xl=0, xu=inst.N,
                             vtype=int)

        def _evaluate(self, X: np.ndarray, out: dict[str, Any], *args: Any,
                      **kwargs: Any) -> None:
            k = np.clip(np.rint(X[:, 0]).astype(int), 0, inst.N)
            out["F"] = table[k]
            out["G"] = g[k]

    return SplitProblem()


def _deadline_termination(deadline: float | None) -> Any:
    from pymoo.core.termination import Termination

    class Deadline(Termination):
        """Stop at a wall-clock deadline shared by every population."""

        def _update(self, algorithm: Any) -> float:
            if deadline is None:
                return 0.0
            return 1.0 if time.perf_counter() >= deadline else 0.0

    return Deadline()


def _run_population(inst: sp.Instance, size: int, generations: int, seed: int,
                    deadline: float | None, eta: float) -> dict[str, Any]:
    """One NSGA-III population (pymoo) from a seeded random initial population."""
    from pymoo.algorithms.moo.nsga3 import NSGA3
    from pymoo.core.termination import TerminateIfAny
    from pymoo.operators.crossover.sbx import SBX
    from pymoo.operators.mutation.pm import PM
    from pymoo.operators.repair.rounding import RoundingRepair
    from pymoo.optimize import minimize
    from pymoo.termination.max_gen import MaximumGenerationTermination
    from pymoo.util.ref_dirs import get_reference_directions

    start = time.perf_counter()
    rng = np.random.default_rng(seed)
    x0 = rng.integers(0, inst.N + 1, size=(size, 1))
    algorithm = NSGA3(
        ref_dirs=get_reference_directions("das-dennis", 2, n_partitions=size - 1),
        pop_size=size,
        sampling=x0.astype(float),
        crossover=SBX(prob=1.0, eta=eta, vtype=float, repair=RoundingRepair()),
        mutation=PM(prob=1.0, eta=eta, vtype=float, repair=RoundingRepair()),
        eliminate_duplicates=False,  # a population of 400 over ~20 splits must hold repeats
    )
    termination = TerminateIfAny(MaximumGenerationTermination(generations),
                                 _deadline_termination(deadline))
    res = minimize(_split_problem(inst), algorithm, termination, seed=seed, verbose=False)
    final = np.rint(res.pop.get("X")[:, 0]).astype(int)
    opt = res.opt.get("X") if res.opt is not None else np.empty((0, 1))
    return {
        "size": size, "seed": seed, "generations": int(res.algorithm.n_gen or 0),
        "runtime_s": time.perf_counter() - start,
        "initial_distribution": np.bincount(x0[:, 0], minlength=inst.N + 1).tolist(),
        "final_distribution": np.bincount(final, minlength=inst.N + 1).tolist(),
        "front": sorted({round(float(x)) for x in np.ravel(opt)}),
    }


@register(sp.PROBLEM, "mtmgmo", kind="heuristic", randomized=True)
def solve_mtmgmo(inst: sp.Instance, *, time_limit: float | None = None, seed: int = 0,
                 populations: list[int] | tuple[int, ...] = PAPER_POPULATIONS,
                 generations: int = PAPER_GENERATIONS, threads: int | None = None,
                 eta: float = 3.0, rule: str = "knee", weight: float = 0.5,
                 tol: float = 0.05) -> Result:
    """000's MTMGMO: NSGA-III populations (pymoo) in threads, fronts merged (000 Alg. 1).

    Each population is an NSGA-III run (pymoo) over the integer split with the two objectives
    of 000 eq. 13 scored by ``objective_table`` and C3, C4 as constraints; its random initial
    population and its run are seeded from ``seed`` (``numpy.random.SeedSequence(seed)``),
    so the answer depends on the seed only, not on the threads. The fronts of all populations
    are merged and filtered for dominance over the feasible splits.

    Parameters
    ----------
    populations
        Population sizes, one run each (000: 100, 200, 300, 400).
    generations
        Generations per population (000: 500 iterations).
    threads
        Worker threads: ``None`` (default) one per population, as 000's MTMGMO; ``1`` runs
        the populations one after the other, 000's single-thread multi-population variant.
    eta
        Distribution index of the SBX crossover and polynomial mutation (rounded to integers;
        000 gives no operator settings, 3 is pymoo's setting for discrete variables).
    rule, weight, tol
        How the one split is chosen from the merged front.

    Notes
    -----
    With a ``time_limit`` every population stops at one shared deadline; the result then
    depends on the machine's speed, and its status is ``time_limit``.
    """
    sizes = list(populations) if isinstance(populations, (list, tuple)) else None
    if not sizes or any(not isinstance(s, int) or isinstance(s, bool) or s < 4 for s in sizes):
        raise InputError("populations", f"must be a non-empty list of integers >= 4 "
                                        f"(got {populations!r})")
    if not isinstance(generations, int) or isinstance(generations, bool) or generations < 1:
        raise InputError("generations", f"must be an integer >= 1 (got {generations!r})")
    if threads is not None and (not isinstance(threads, int) or threads < 1):
        raise InputError("threads", f"must be an integer >= 1 or null (got {threads!r})")
    if not eta > 0:
        raise InputError("eta", f"must be > 0 (got {eta!r})")
    _check_rule(inst, rule, weight, tol)
    deadline = None if time_limit is None else time.perf_counter() + time_limit
    seeds = [int(s) for s in np.random.SeedSequence(seed).generate_state(len(sizes))]
    workers = len(sizes) if threads is None else threads
    jobs = list(zip(sizes, seeds, strict=True))
    if workers == 1:
        runs = [_run_population(inst, n, generations, s, deadline, eta) for n, s in jobs]
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            runs = list(pool.map(lambda job: _run_population(inst, job[0], generations,
                                                             job[1], deadline, eta), jobs))
    found = sorted({k for r in runs for k in r["front"]})
    mask = np.zeros(inst.N + 1, dtype=bool)
    mask[found] = True
    mask &= sp.feasible_splits(inst)
    front = sp.pareto_front(sp.objective_table(inst), mask)
    stopped = any(r["generations"] < generations for r in runs)
    info = {"populations": runs, "threads": workers, "generations": generations}
    status = Status.TIME_LIMIT if stopped else Status.FEASIBLE
    message = (f"{len(front)} non-dominated split(s) from {len(sizes)} NSGA-III populations "
               f"({'+'.join(map(str, sizes))}) in {workers} thread(s)"
               + (f", stopped at the time limit of {time_limit} s" if stopped else
                  f", {generations} generations") + f"; chosen by rule {rule!r}")
    if not front:
        if not sp.feasible_splits(inst).any():
            return Result(sp.PROBLEM, "mtmgmo", Status.INFEASIBLE,
                          message=_infeasible_reason(inst), info=info)
        return Result(sp.PROBLEM, "mtmgmo", Status.ERROR if not stopped else status,
                      message="no population found a split satisfying C3", info=info)
    return front_result(inst, "mtmgmo", front, status=status, rule=rule, weight=weight,
                        tol=tol, message=message, info=info)


# ----------------------------------------------------------------------------- baselines
def _single_split(inst: sp.Instance, method: str, k: int, how: str,
                  info: dict[str, Any] | None = None) -> Result:
    """A baseline's one split; status ``infeasible`` (and why) if it violates C3 or C4."""
    table = sp.objective_table(inst)
    ok = bool(sp.feasible_splits(inst)[k])
    message = how if ok else (f"{how}; split {k} violates C3 (000 eq. 13): m_k = "
                              f"{inst.m[k]:.4g} B > M_total = {inst.M_total:.4g} B")
    return Result(sp.PROBLEM, method, Status.FEASIBLE if ok else Status.INFEASIBLE,
                  objectives={"T": float(table[k, 0]), "memory_unused": float(table[k, 1])},
                  solution={"split": int(k)}, message=message, info=dict(info or {}))


@register(sp.PROBLEM, "adc", kind="baseline")
def solve_adc(inst: sp.Instance, *, time_limit: float | None = None, seed: int = 0) -> Result:
    """ADC as 000 adapts it: the split of least completion time, by traversing every split."""
    times = sp.completion_times(inst)
    k = int(np.argmin(times))  # the first of equal minima, in traversal order
    return _single_split(inst, "adc", k, f"least completion time over the {inst.N + 1} "
                                         "splits (ADC with its first split at 0, as in 000)")


def chain_graph(inst: sp.Instance) -> Any:
    """DADS' graph of the chain (networkx ``DiGraph``): an s-t cut is a split and its value is
    the split's completion time ``T_k`` (000 eq. 8-10).

    Nodes ``"edge"`` (source), ``"cloud"`` (sink), ``0`` (the input, on the edge) and ``1..N``
    (the layers). Edge ``edge -> i`` has capacity ``t_{c,i}`` (paid when layer ``i`` runs in the
    cloud), ``i -> cloud`` capacity ``t_{e,i}`` (paid when it runs on the edge), ``i -> i+1``
    capacity ``t_{total,i}`` (paid when the cut falls after ``i``); ``edge -> 0`` and the
    reverse edges ``i+1 -> i`` have no capacity attribute, i.e. infinite capacity, so the
    input stays on the edge and no layer after a cloud layer returns to the edge.
    """
    import networkx as nx

    f = np.asarray(inst.f, dtype=float)
    t_e, t_c = inst.num * f / inst.F_e, inst.num * f / inst.F_c
    t_total = sp.transfer_times(inst)
    g = nx.DiGraph()
    g.add_edge("edge", 0)
    for i in range(1, inst.N + 1):
        g.add_edge("edge", i, capacity=float(t_c[i - 1]))
        g.add_edge(i, "cloud", capacity=float(t_e[i - 1]))
    for i in range(inst.N):
        g.add_edge(i, i + 1, capacity=float(t_total[i]))
        g.add_edge(i + 1, i)
    return g


@register(sp.PROBLEM, "dads", kind="baseline")
def solve_dads(inst: sp.Instance, *, time_limit: float | None = None, seed: int = 0) -> Result:
    """DADS (light load): an s-t minimum cut of the chain graph with networkx."""
    import networkx as nx

    cut_value, (edge_side, _) = nx.minimum_cut(chain_graph(inst), "edge", "cloud")
    layers = sorted(i for i in edge_side if isinstance(i, int) and i > 0)
    k = len(layers)
    if layers != list(range(1, k + 1)):  # pragma: no cover - prevented by the reverse edges
        return Result(sp.PROBLEM, "dads", Status.ERROR,
                      message=f"the minimum cut is not a chain split: edge layers {layers}")
    return _single_split(inst, "dads", k, "s-t minimum cut of the chain graph (DADS, light "
                                          "load; the DAG version is dag_partition's mincut)",
                         info={"cut_value": float(cut_value)})


@register(sp.PROBLEM, "cloud-only", kind="baseline")
def solve_cloud_only(inst: sp.Instance, *, time_limit: float | None = None,
                     seed: int = 0) -> Result:
    """Everything in the cloud: split 0 (the raw input is sent, 000 eq. 9)."""
    return _single_split(inst, "cloud-only", 0, "split 0: every layer in the cloud")


@register(sp.PROBLEM, "edge-only", kind="baseline")
def solve_edge_only(inst: sp.Instance, *, time_limit: float | None = None,
                    seed: int = 0) -> Result:
    """Everything on the edge: split N (nothing is sent, 000 eq. 10)."""
    return _single_split(inst, "edge-only", inst.N, f"split {inst.N}: every layer on the edge")
