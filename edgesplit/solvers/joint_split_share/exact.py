"""``minlp`` (Pyomo + SCIP) and ``misocp`` (cvxpy + SCIP): P1 of 002 handed to a solver.

Both solve the model of :func:`edgesplit.formulations.joint_split_share.build_pyomo` /
:func:`~edgesplit.formulations.joint_split_share.build_cvxpy`. SCIP satisfies the cone rows
only to its feasibility tolerance (about 1e-6), so its shares can overrun the budget C1 by
~1e-8 and its objective can sit ~1e-6 below the true delay of its own solution. We therefore
keep SCIP's splits and re-solve the shares for them exactly (the convex share problem,
:func:`._shares.solve_shares`; ``polish=False`` keeps SCIP's raw shares): the reported
objective is ``evaluate``'s for that solution and never above SCIP's solution's true value,
and the bound is SCIP's proven dual bound.
"""

from __future__ import annotations

import time
import warnings
from typing import Any, Literal

import numpy as np

from edgesplit.formulations import joint_split_share as js
from edgesplit.results import Result, Status, relative_gap
from edgesplit.solvers import register
from edgesplit.solvers._pyomo import DEFAULT_REL_GAP, solve_pyomo
from edgesplit.solvers.joint_split_share._shares import exact_shares_for, result_from

__all__ = ["solve_minlp", "solve_misocp"]


def _finish(inst: js.Instance, method: str, status: Status, gamma: list[int],
            delta: list[float], bound: float | None, polish: bool, message: str | None,
            info: dict[str, Any]) -> Result:
    """Polish the shares, score with the formulation, attach bound and gap."""
    opts = js.options(inst)
    raw = js.average_delay(inst, gamma, delta, opts)
    info["raw_objective"] = raw
    info["raw_share_sum"] = float(np.sum(delta))
    if polish:
        exact, _ = exact_shares_for(inst, gamma, opts)
        if exact is not None:
            info["share_change"] = float(np.max(np.abs(np.asarray(delta) - exact)))
            delta = [float(x) for x in exact]
    result = result_from(inst, method, status, gamma, delta, bound=bound, message=message,
                         info=info)
    if result.objective is None and status in (Status.OPTIMAL, Status.FEASIBLE):
        result.status = Status.ERROR
        result.message = "; ".join(m for m in (message, "the solver's solution has an "
                                               "unstable queue") if m)
    if result.objective is not None and bound is not None:
        result.bound = min(bound, result.objective)
        result.gap = relative_gap(result.objective, result.bound)
    return result


@register(js.PROBLEM, "minlp", kind="exact", guarded=True)
def solve_minlp(inst: js.Instance, *, time_limit: float | None = None, seed: int = 0,
                form: Literal["perspective", "compact"] = "perspective",
                rel_gap: float = DEFAULT_REL_GAP, polish: bool = True, prune: bool = True,
                threads: int | None = None) -> Result:
    """P1 as a Pyomo MINLP (perspective cones by default) solved by SCIP (scip_direct)."""
    reason = js.infeasibility_reason(inst)
    if reason is not None:
        return Result(js.PROBLEM, "minlp", Status.INFEASIBLE, message=reason)
    start = time.perf_counter()
    model = js.build_pyomo(inst, form=form, prune=prune)
    built = time.perf_counter() - start
    options = {"randomization/randomseedshift": int(seed)} if seed else None
    out = solve_pyomo(model, "scip", time_limit=time_limit, rel_gap=rel_gap, threads=threads,
                      solver_options=options)
    info = {"form": form, "prune": prune, "build_s": built, "solve_s": out.runtime_s, **out.raw,
            "scip_objective": out.objective, "scip_bound": out.bound}
    if not out.has_solution:
        return Result(js.PROBLEM, "minlp", out.status, bound=out.bound, message=out.message,
                      info=info)
    gamma, delta = js.solution_from_pyomo(inst, model)
    return _finish(inst, "minlp", out.status, gamma, delta, out.bound, polish,
                   out.message or f"SCIP ({form} form) proved optimality within {rel_gap:g}",
                   info)


@register(js.PROBLEM, "misocp", kind="exact")
def solve_misocp(inst: js.Instance, *, time_limit: float | None = None, seed: int = 0,
                 polish: bool = True, prune: bool = True, verbose: bool = False) -> Result:
    """P1 as a mixed-integer SOCP (perspective of eq. 3-5) in cvxpy, solved by SCIP."""
    import cvxpy as cp

    reason = js.infeasibility_reason(inst)
    if reason is not None:
        return Result(js.PROBLEM, "misocp", Status.INFEASIBLE, message=reason)
    problem, handles = js.build_cvxpy(inst, prune=prune)
    params: dict[str, Any] = {}
    if time_limit is not None:
        params["limits/time"] = float(time_limit)
    if seed:
        params["randomization/randomseedshift"] = int(seed)
    start = time.perf_counter()
    try:
        with warnings.catch_warnings():  # "inaccurate" is mapped to a status below
            warnings.simplefilter("ignore", UserWarning)
            problem.solve(solver=cp.SCIP, scip_params=params, verbose=verbose)
    except cp.error.SolverError as exc:
        # cvxpy raises when SCIP stops without a solution and keeps no status to look at
        ran = time.perf_counter() - start
        if time_limit is not None and ran >= 0.95 * time_limit:
            return Result(js.PROBLEM, "misocp", Status.TIME_LIMIT,
                          message=f"SCIP found no solution within the time limit of "
                                  f"{time_limit:g} s")
        return Result(js.PROBLEM, "misocp", Status.ERROR, message=f"SCIP via cvxpy: {exc}")
    stats = problem.solver_stats.extra_stats if problem.solver_stats else None
    scip_status = stats.get("scip_status") if isinstance(stats, dict) else None
    bound = None
    if isinstance(stats, dict) and stats.get("model") is not None:
        b = stats["model"].getDualbound()
        bound = float(b) if np.isfinite(b) else None
    info: dict[str, Any] = {"cvxpy_status": problem.status, "scip_status": scip_status,
                            "scip_objective": problem.value, "scip_bound": bound,
                            "solve_s": problem.solver_stats.solve_time}
    if problem.status == cp.OPTIMAL:
        status, message = Status.OPTIMAL, "SCIP proved optimality (gap 0 at its tolerances)"
    elif problem.status == cp.OPTIMAL_INACCURATE:
        # cvxpy's "optimal_inaccurate" covers SCIP's time, gap and node limits: not a proof
        status = Status.TIME_LIMIT if scip_status == "timelimit" else Status.FEASIBLE
        message = f"SCIP stopped with status {scip_status!r} (cvxpy: optimal_inaccurate)"
    elif problem.status in (cp.INFEASIBLE, cp.INFEASIBLE_INACCURATE):
        return Result(js.PROBLEM, "misocp", Status.INFEASIBLE,
                      message="SCIP proved the MISOCP infeasible", info=info)
    else:
        return Result(js.PROBLEM, "misocp",
                      Status.TIME_LIMIT if scip_status == "timelimit" else Status.ERROR,
                      bound=bound, message=f"SCIP via cvxpy: {problem.status} ({scip_status})",
                      info=info)
    x = np.asarray(handles["x"].value, dtype=float)
    ds = np.asarray(handles["ds"].value, dtype=float)
    gamma = [0] * inst.D
    delta = [0.0] * inst.D
    best = np.full(inst.D, -np.inf)
    for i, (d, g) in enumerate(handles["pairs"]):
        if x[i] > best[d]:
            best[d], gamma[d] = x[i], g
        delta[d] += max(0.0, float(ds[i]))
    return _finish(inst, "misocp", status, gamma, delta, bound, polish, message, info)
