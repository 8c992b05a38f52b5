"""How far a heuristic is from the optimum: one instance, one heuristic, one exact method."""

from __future__ import annotations

import math
from typing import Any

from edgesplit.errors import InputError
from edgesplit.formulations import get_problem
from edgesplit.formulations.base import InstanceBase
from edgesplit.results import Result, Status

__all__ = ["compare_results", "gap"]


def compare_results(instance: InstanceBase, exact: Result, heuristic: Result) -> dict[str, Any]:
    """Gap of ``heuristic`` against ``exact`` on ``instance``.

    For single-objective (minimisation) problems: ``gap = (h - z) / |z|`` where ``z`` is the
    exact objective if the exact method proved it optimal; ``gap_to_bound = (h - b) / |b|``
    with the exact method's proven bound ``b`` is an upper bound on the true gap when it did
    not. A problem module may define ``compare(instance, exact, heuristic)`` for other
    objectives (split_pareto compares Pareto fronts), and ``outside_exact_model(solution)``
    naming why a heuristic's solution lies outside the exact model's space (conv_split's
    layer-wise baselines); the reason is then reported as ``outside_exact_model``, and a
    negative gap means the exact model excludes a better answer, not a solver error.
    """
    module = get_problem(instance.problem)
    out: dict[str, Any] = {
        "problem": instance.problem,
        "instance": instance.name,
        "exact": exact.method,
        "heuristic": heuristic.method,
        "exact_status": str(exact.status),
        "heuristic_status": str(heuristic.status),
        "exact_objective": exact.objective,
        "exact_bound": exact.bound,
        "heuristic_objective": heuristic.objective,
        "runtime_s": {"exact": exact.runtime_s, "heuristic": heuristic.runtime_s},
        "gap": None,
        "gap_to_bound": None,
    }
    if hasattr(module, "outside_exact_model"):
        reason = module.outside_exact_model(heuristic.solution)
        if reason is not None:
            out["outside_exact_model"] = reason
    if hasattr(module, "compare"):
        out.update(module.compare(instance, exact, heuristic))
        return out
    h, z, b = heuristic.objective, exact.objective, exact.bound
    if h is not None and z is not None and exact.status == Status.OPTIMAL:
        out["gap"] = (h - z) / max(abs(z), 1e-12)
    if h is not None and b is not None and math.isfinite(b):
        out["gap_to_bound"] = (h - b) / max(abs(b), 1e-12)
    elif out["gap"] is not None:
        out["gap_to_bound"] = out["gap"]
    return out


def gap(instance: InstanceBase | dict[str, Any] | str, heuristic: str, exact: str | None = None,
        *, time_limit: float | None = None, seed: int = 0,
        heuristic_options: dict[str, Any] | None = None,
        exact_options: dict[str, Any] | None = None) -> dict[str, Any]:
    """Solve ``instance`` with a heuristic and an exact method and report the relative gap.

    Parameters
    ----------
    instance
        An instance, its dictionary, or a path to its JSON file.
    heuristic
        Name of any registered method (usually a heuristic or baseline).
    exact
        Name of an exact method (default: the problem's first exact method).
    time_limit
        Seconds for each of the two solves.
    seed
        Seed for the heuristic.
    heuristic_options, exact_options
        Method-specific options.

    Returns
    -------
    dict
        See :func:`compare_results`; ``gap`` is None when the exact solve proved nothing.
    """
    from edgesplit.io import load_instance
    from edgesplit.solvers import default_exact_method, get_method, solve

    instance = load_instance(instance)
    exact = exact or default_exact_method(instance.problem)
    if get_method(instance.problem, exact).kind != "exact":
        raise InputError("exact", f"{exact!r} is not an exact method of {instance.problem}")
    get_method(instance.problem, heuristic)
    ex = solve(instance, exact, time_limit=time_limit, seed=seed, **(exact_options or {}))
    he = solve(instance, heuristic, time_limit=time_limit, seed=seed,
               **(heuristic_options or {}))
    return compare_results(instance, ex, he)
