"""edgesplit: DNN splitting across devices, edge and cloud as explicit mathematical programs.

The public API::

    from edgesplit import profile_model, load_instance, solve, evaluate, export_model, gap

Data flows one way: profiles -> formulations -> solvers -> results, experiments and CLI.
"""

from __future__ import annotations

from typing import Any

from edgesplit.errors import InputError
from edgesplit.export import export_model
from edgesplit.formulations import PROBLEM_KEYS, available_problems, get_problem
from edgesplit.formulations.base import Evaluation, InstanceBase
from edgesplit.gaps import gap
from edgesplit.io import load_instance, load_solution
from edgesplit.profiles import load_profile, profile_model
from edgesplit.results import Result, Status
from edgesplit.solvers import available_methods, solve

__version__ = "0.1.0"

__all__ = [
    "PROBLEM_KEYS",
    "Evaluation",
    "InputError",
    "InstanceBase",
    "Result",
    "Status",
    "__version__",
    "available_methods",
    "available_problems",
    "evaluate",
    "export_model",
    "gap",
    "get_problem",
    "load_instance",
    "load_profile",
    "load_solution",
    "profile_model",
    "solve",
]


def evaluate(instance: InstanceBase | dict[str, Any] | str, solution: Any) -> Evaluation:
    """Check a solution and compute its objective(s) with the problem's ``evaluate``.

    Parameters
    ----------
    instance
        An instance, its dictionary, or a path to its JSON file.
    solution
        A solution model, its dictionary, a result dictionary (its ``solution`` is used), a
        :class:`Result`, or a path to either as JSON.
    """
    inst = load_instance(instance)
    if isinstance(solution, Result):
        solution = solution.to_dict()
    sol = load_solution(inst, solution)
    return get_problem(inst.problem).evaluate(inst, sol)
