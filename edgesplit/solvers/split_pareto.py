"""Methods for ``split_pareto`` (000, CECMS).

``enumerate`` is exact: with N + 1 split points, evaluating every one and keeping the
non-dominated feasible ones is the whole Pareto front of 000 eq. 13.
"""

from __future__ import annotations

import numpy as np

from edgesplit.formulations import split_pareto as sp
from edgesplit.results import Result, Status
from edgesplit.solvers import register

__all__ = ["front_result", "solve_enumerate"]


def front_result(inst: sp.Instance, method: str, front: list[int], *, status: Status,
                 rule: str = "knee", weight: float = 0.5, tol: float = 0.05,
                 message: str | None = None) -> Result:
    """A Result holding a Pareto front and the split chosen from it by ``rule``."""
    if not front:
        return Result(sp.PROBLEM, method, Status.INFEASIBLE, message=message or
                      _infeasible_reason(inst))
    chosen = sp.select(inst, front, rule=rule, weight=weight, tol=tol)
    table = sp.objective_table(inst)
    return Result(
        sp.PROBLEM, method, status,
        objectives={"T": float(table[chosen, 0]), "memory_unused": float(table[chosen, 1])},
        solution={"split": chosen, "front": front},
        message=message or f"{len(front)} non-dominated split(s); chosen by rule {rule!r}",
        info={"table": table, "rule": rule},
    )


def _infeasible_reason(inst: sp.Instance) -> str:
    m = np.asarray(inst.m)
    k = int(m.argmin())
    return (f"no split satisfies C3 (000 eq. 13): the least memory, at split {k}, is "
            f"{m[k]:.4g} B > M_total = {inst.M_total:.4g} B")


@register(sp.PROBLEM, "enumerate", kind="exact")
def solve_enumerate(inst: sp.Instance, *, time_limit: float | None = None, seed: int = 0,
                    rule: str = "knee", weight: float = 0.5, tol: float = 0.05) -> Result:
    """Evaluate all N + 1 splits and return the exact Pareto front of 000 eq. 13."""
    front = sp.pareto_front(sp.objective_table(inst), sp.feasible_splits(inst))
    return front_result(inst, "enumerate", front, status=Status.OPTIMAL, rule=rule,
                        weight=weight, tol=tol)
