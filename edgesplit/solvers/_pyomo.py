"""Solving a Pyomo model with HiGHS or SCIP and mapping the outcome to one Status.

Uses Pyomo's ``pyomo.contrib.solver`` interfaces (``highs``, ``scip_direct``), which take the
time limit and gap tolerances as arguments of ``solve`` (the legacy ``appsi_highs`` silently
ignored ``config.time_limit`` in a trial; DESIGN.md "Known pitfalls").
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Literal

from edgesplit._highs import prepare_threads
from edgesplit.results import Status, relative_gap

__all__ = ["MipOutcome", "solve_pyomo"]

Backend = Literal["highs", "scip"]

#: Relative gap at which a MILP/MINLP is called optimal (HiGHS' default 1e-4 is too loose to
#: compare exact methods with each other to 1e-6).
DEFAULT_REL_GAP = 1e-7


@dataclass
class MipOutcome:
    """What a Pyomo solve produced, in edgesplit's terms."""

    status: Status
    objective: float | None
    bound: float | None
    gap: float | None
    runtime_s: float
    has_solution: bool
    message: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)


def _factory_name(backend: Backend) -> str:
    return {"highs": "highs", "scip": "scip_direct"}[backend]


def solve_pyomo(model: Any, backend: Backend = "highs", *, time_limit: float | None = None,
                rel_gap: float = DEFAULT_REL_GAP, threads: int | None = None,
                solver_options: dict[str, Any] | None = None, tee: bool = False) -> MipOutcome:
    """Solve a Pyomo model (minimisation) and load the best solution into it, if any.

    Parameters
    ----------
    model
        A Pyomo ``ConcreteModel`` with one active objective.
    backend
        ``"highs"`` (LP/MILP) or ``"scip"`` (MILP, MINLP).
    time_limit
        Seconds, passed to the solver itself.
    rel_gap
        Relative MIP gap at which the solver may stop and report optimality.
    threads
        Solver threads (None: the solver's default).
    solver_options
        Native options (``{"presolve": "off"}`` for HiGHS, ``{"limits/nodes": 10}`` for SCIP).
    tee
        Stream the solver log.

    Returns
    -------
    MipOutcome
        Status ``optimal`` only when the solver proved optimality within ``rel_gap``.
    """
    from pyomo.contrib.solver.common.factory import SolverFactory
    from pyomo.contrib.solver.common.results import SolutionStatus, TerminationCondition

    if backend == "highs":
        prepare_threads(threads)
    opt = SolverFactory(_factory_name(backend))
    kwargs: dict[str, Any] = {
        "load_solutions": False,
        "raise_exception_on_nonoptimal_result": False,
        "tee": tee,
        "rel_gap": rel_gap,
    }
    if time_limit is not None:
        kwargs["time_limit"] = float(time_limit)
    if threads is not None:
        kwargs["threads"] = int(threads)
    if solver_options:
        kwargs["solver_options"] = dict(solver_options)
    start = time.perf_counter()
    try:
        res = opt.solve(model, **kwargs)
    except Exception as exc:  # the solver itself failed
        return MipOutcome(Status.ERROR, None, None, None, time.perf_counter() - start, False,
                          message=f"{backend}: {type(exc).__name__}: {exc}")
    runtime = time.perf_counter() - start
    tc, ss = res.termination_condition, res.solution_status
    has_solution = ss in (SolutionStatus.optimal, SolutionStatus.feasible)
    if has_solution:
        res.solution_loader.load_vars()
    objective = res.incumbent_objective if has_solution else None
    bound = res.objective_bound
    if bound is not None and not (abs(bound) < float("inf")):
        bound = None
    message = None
    if tc == TerminationCondition.convergenceCriteriaSatisfied and has_solution:
        status = Status.OPTIMAL
    elif tc == TerminationCondition.maxTimeLimit:
        status = Status.TIME_LIMIT
        message = f"{backend} stopped at the time limit of {time_limit} s"
    elif tc in (TerminationCondition.provenInfeasible, TerminationCondition.locallyInfeasible):
        status = Status.INFEASIBLE
        message = f"{backend} proved the model infeasible"
    elif tc == TerminationCondition.infeasibleOrUnbounded:
        status = Status.INFEASIBLE
        message = f"{backend}: infeasible or unbounded"
    elif has_solution:
        status = Status.FEASIBLE
        message = f"{backend} stopped with {tc.name}"
    else:
        status = Status.ERROR
        message = f"{backend} stopped with {tc.name} and no solution"
    if status == Status.OPTIMAL and bound is None:
        bound = objective
    gap = relative_gap(objective, bound) if has_solution else None
    return MipOutcome(status, objective, bound, gap, runtime, has_solution, message,
                      raw={"termination_condition": tc.name, "solution_status": ss.name})
