"""Methods for ``offload_position`` (001, TMOA): ``enumerate`` (exact) and ``tmoa`` (Alg. 2).

Both read :func:`edgesplit.formulations.offload_position.constraint_table`, the table
``evaluate`` uses, so they can differ only in how they search it: ``enumerate`` returns the
deepest feasible position (001 eq. 21-22), ``tmoa`` scans ``j = 1, 2, ...`` and stops at the
first violation as 001's Alg. 2 does. The two agree whenever every constraint is monotone in j
(C1 and C3 always are: Dt^j and Zt^j only grow); C2 is not, because the feature map sent to the
cloud (eq. 15) shrinks and grows again along a network and the cloud's share (eq. 14) shrinks.
"""

from __future__ import annotations

import numpy as np

from edgesplit.formulations import offload_position as op
from edgesplit.results import Result, Status
from edgesplit.solvers import register

__all__ = ["solve_enumerate", "solve_tmoa", "tmoa_scan"]


@register(op.PROBLEM, "enumerate", kind="exact")
def solve_enumerate(inst: op.Instance, *, time_limit: float | None = None,
                    seed: int = 0) -> Result:
    """Check all N + 1 positions; the deepest feasible one is 001 P1's optimum (eq. 21-22)."""
    tab = op.constraint_table(inst)
    feasible = np.flatnonzero(tab.feasible)
    info = {"table": tab, "feasible_positions": feasible.tolist()}
    if feasible.size == 0:
        reasons = "; ".join(tab.violations(inst, 0))
        return Result(op.PROBLEM, "enumerate", Status.INFEASIBLE,
                      message=f"no position 0..{inst.N} satisfies C1-C3; at j = 0: {reasons}",
                      info=info)
    j = int(feasible[-1])
    skipped = [int(i) for i in np.flatnonzero(~tab.feasible[:j])]
    message = f"{feasible.size} of {inst.N + 1} positions feasible"
    if skipped:
        message += f"; infeasible below the optimum: {skipped[:8]}" + (
            " ..." if len(skipped) > 8 else "")
    return Result(op.PROBLEM, "enumerate", Status.OPTIMAL, objective=float(j), bound=float(j),
                  gap=0.0, objectives=op.objectives_at(inst, tab, j), solution={"j": j},
                  message=message, info=info)


def tmoa_scan(tab: op.ConstraintTable) -> tuple[int, int | None]:
    """Alg. 2 lines 6-13 on a constraint table: ``(J, stop)``.

    ``j`` starts at 1 and grows while position j satisfies C1-C3; the loop breaks at the first
    violating ``stop = j`` (None if it runs to N) and returns ``J = j - 1``. Position 0 is never
    tested. Alg. 2 tests strict inequalities (``<``); the table uses 001 eq. 22's ``<=``.
    """
    n = len(tab.feasible) - 1
    j = 1
    while j <= n and tab.feasible[j]:
        j += 1
    return j - 1, (j if j <= n else None)


@register(op.PROBLEM, "tmoa", kind="heuristic")
def solve_tmoa(inst: op.Instance, *, time_limit: float | None = None, seed: int = 0) -> Result:
    """001's Alg. 2: scan j = 1, 2, ... and stop at the first position violating C1-C3."""
    tab = op.constraint_table(inst)
    J, stop = tmoa_scan(tab)
    info = {"table": tab, "stop": stop}
    why = "; ".join(tab.violations(inst, stop)) if stop is not None else ""
    message = (f"stopped at j = {stop}: {why}" if stop is not None
               else f"no violation up to j = N = {inst.N}")
    if not tab.feasible[J]:  # only J = 0 can be infeasible: Alg. 2 never tests it
        return Result(op.PROBLEM, "tmoa", Status.INFEASIBLE,
                      message=f"Alg. 2 returns J = 0, which itself violates: "
                              f"{'; '.join(tab.violations(inst, 0))}; {message}", info=info)
    deeper = [int(i) for i in np.flatnonzero(tab.feasible[J + 1:]) + J + 1]
    if deeper:
        message += f"; deeper feasible positions it never reaches: {deeper[-1]} (deepest)"
    return Result(op.PROBLEM, "tmoa", Status.FEASIBLE, objective=float(J),
                  objectives=op.objectives_at(inst, tab, J), solution={"j": J}, message=message,
                  info=info)
