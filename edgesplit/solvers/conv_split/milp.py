"""``milp``: 004 eq. 5 solved exactly, by the time-level model over server groups
(:mod:`.levels`, default where servers share a speed) or by the compact model
(:func:`edgesplit.formulations.conv_split.build_pyomo`) with HiGHS (or SCIP) through Pyomo."""

from __future__ import annotations

import time

from edgesplit.errors import InputError
from edgesplit.formulations import conv_split as cs
from edgesplit.results import Result, Status
from edgesplit.solvers import register
from edgesplit.solvers._pyomo import DEFAULT_REL_GAP, solve_pyomo
from edgesplit.solvers.conv_split.levels import solve_levels, use_levels
from edgesplit.solvers.conv_split.search import aggregated_bound, thread_search

__all__ = ["solve_milp"]


@register(cs.PROBLEM, "milp", kind="exact")
def solve_milp(inst: cs.Instance, *, time_limit: float | None = None, seed: int = 0,
               backend: str = "highs", tighten: bool = True, rel_gap: float = DEFAULT_REL_GAP,
               threads: int | None = 1, cuts: bool = True, form: str = "auto") -> Result:
    """004 eq. 5 solved exactly: the time-level model (:mod:`.levels`) or the compact MILP
    (thread counts as binaries, rows as integers; Pyomo + HiGHS or SCIP).

    Parameters
    ----------
    inst
        The instance.
    time_limit
        Seconds for the solver; the best solution found and the bound are returned.
    seed
        Seed of the warm start's random restarts.
    form
        ``"levels"`` (:func:`.levels.solve_levels`: groups of servers with the same speed, no
        symmetry between them; HiGHS only), ``"compact"`` (the model ``edgesplit export``
        writes, :func:`~edgesplit.formulations.conv_split.build_pyomo`), or ``"auto"``:
        ``"levels"`` when some servers share a per-thread speed and thread count
        (:func:`.levels.use_levels`) and the backend is HiGHS, else ``"compact"``. The
        options ``tighten`` and ``cuts`` apply to the compact model only.
    backend
        ``"highs"`` or ``"scip"``.
    tighten
        First run the thread local search of :mod:`.search` (up to 30 % of the time limit,
        stopping after 100 restarts without improvement, or 6
        restarts without one) and use its objective as an upper bound that caps every conv's
        time in the model (:func:`~edgesplit.formulations.conv_split.conv_time_caps`); its
        solution is returned
        if the solver finds nothing better. Also compute the pooled-budget lower bound
        (:func:`.search.aggregated_bound`), which the result's bound never falls below.
    rel_gap
        Relative gap at which the solver stops and reports optimality.
    threads
        Solver threads (default 1, so that runs on a shared machine stay comparable).
    cuts
        Add the speed cuts of :func:`~edgesplit.formulations.conv_split.build_pyomo`.
    """
    if backend not in ("highs", "scip"):
        raise InputError("backend", f"must be 'highs' or 'scip' (got {backend!r})")
    if form not in ("auto", "levels", "compact"):
        raise InputError("form", f"must be 'auto', 'levels' or 'compact' (got {form!r})")
    if form == "levels" and backend != "highs":
        raise InputError("form", "'levels' is solved with HiGHS only (use backend 'highs')")
    if form == "levels" or (form == "auto" and backend == "highs" and use_levels(inst)):
        return _solve_levels(inst, time_limit, seed, threads, rel_gap)
    start = time.perf_counter()
    incumbent, lower = None, None
    if tighten:
        budget = None if time_limit is None else 0.3 * time_limit
        d0, k0 = thread_search(inst, seed=seed, time_budget=budget)
        sol0 = cs.Solution(d=d0.tolist(), k=k0.tolist())
        ev0 = cs.evaluate(inst, sol0)
        incumbent = (sol0.model_dump(exclude_none=True), ev0.objective, ev0.objectives)
        lower = aggregated_bound(inst)
    upper = incumbent[1] if incumbent is not None else None
    model = cs.build_pyomo(inst, upper_bound=upper, cuts=cuts)
    remaining = None if time_limit is None else max(1.0, time_limit - (time.perf_counter()
                                                                        - start))
    out = solve_pyomo(model, backend, time_limit=remaining, rel_gap=rel_gap,  # type: ignore[arg-type]
                      threads=threads)
    info = {"form": "compact", "model_vars": model.nvariables(),
            "model_constraints": model.nconstraints(),
            "binaries": len(model.y) + len(model.u), "solver_runtime_s": out.runtime_s,
            "warm_start_objective": upper, "aggregated_bound": lower,
            "solver_bound": None if out.bound is None else out.bound * cs.MODEL_TIME_UNIT,
            "termination": out.raw}
    status, message = out.status, out.message
    bound = info["solver_bound"]
    best = incumbent
    if out.has_solution:
        sol = cs.solution_from_pyomo(model, inst)
        ev = cs.evaluate(inst, sol)
        info["model_objective"] = out.objective * cs.MODEL_TIME_UNIT
        if best is None or ev.objective < best[1]:
            best = (sol.model_dump(exclude_none=True), ev.objective, ev.objectives)
    elif best is not None and status == Status.INFEASIBLE:
        # the capped model is infeasible only if no solution beats the warm start
        status, bound = Status.OPTIMAL, best[1]
        message = "no solution is better than the warm start (the capped model is infeasible)"
    if best is None:
        return Result(cs.PROBLEM, "milp", status, bound=bound, message=message, info=info)
    if lower is not None:
        bound = lower if bound is None else max(bound, lower)
    if bound is not None:
        bound = min(bound, best[1])
    if status == Status.ERROR:
        status = Status.FEASIBLE
    return Result(cs.PROBLEM, "milp", status, objective=best[1], objectives=best[2],
                  bound=bound, solution=best[0], message=message, info=info)


def _solve_levels(inst: cs.Instance, time_limit: float | None, seed: int,
                  threads: int | None, rel_gap: float) -> Result:
    """``milp`` with the time-level model (:func:`.levels.solve_levels`)."""
    out = solve_levels(inst, time_limit=time_limit, seed=seed, threads=threads, rel_gap=rel_gap)
    sol = cs.Solution(d=out.d.tolist(), k=out.k.tolist())
    ev = cs.evaluate(inst, sol)
    lower = aggregated_bound(inst)  # exact per-server times: never weaker than it
    bound = min(max(out.bound, lower), ev.objective)
    info = {"form": "levels", "aggregated_bound": lower, **out.info}
    if out.proven or ev.objective - bound <= max(rel_gap, 1e-9) * ev.objective:
        status, message = Status.OPTIMAL, None
    elif time_limit is not None:  # the level model stops early only at its time limit
        status, message = Status.TIME_LIMIT, "time limit: best solution and proven bound"
    else:
        status, message = Status.FEASIBLE, "the level model stopped before the proof"
    return Result(cs.PROBLEM, "milp", status, objective=ev.objective, objectives=ev.objectives,
                  bound=bound, solution=sol.model_dump(exclude_none=True), message=message,
                  info=info)
