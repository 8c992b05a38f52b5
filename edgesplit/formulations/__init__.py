"""Problem modules, one per problem key, each with its Instance, Solution and ``evaluate``.

Modules are imported on demand by key, so that a problem's dependencies load only when it is
used; see :mod:`edgesplit.formulations.base` for what a module defines.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

from edgesplit.errors import InputError

__all__ = ["PROBLEM_KEYS", "available_problems", "get_problem"]

#: Every problem key of DESIGN.md, with the paper it comes from.
PROBLEM_KEYS: dict[str, str] = {
    "split_pareto": "000 Zhang et al. 2024 (CECMS): bi-objective split point",
    "dag_partition": "DADS (Hu et al. 2019): min-cut partition of a DAG",
    "offload_position": "001 Xu et al. 2020 (TMOA): deepest feasible offloading layer",
    "task_assignment": "001 Xu et al. 2020 (ATSA): tasks to heterogeneous edge nodes",
    "joint_split_share": "002 Zheng 2021 (DMCJIA): splits and cloud shares, M/D/1 queues",
    "slotted_allocation": "003 Shi et al. (GSPI): time-slotted partition and allocation",
    "conv_split": "004 Hu et al.: conv height split over edge servers with threads",
}


def _module_name(key: str) -> str:
    return f"edgesplit.formulations.{key}"


def available_problems() -> list[str]:
    """Problem keys whose module exists in this installation."""
    return [k for k in PROBLEM_KEYS if importlib.util.find_spec(_module_name(k)) is not None]


def get_problem(key: str) -> ModuleType:
    """Import and return the problem module for ``key``.

    Raises
    ------
    InputError
        If ``key`` is not a problem key, or its module is not part of this installation.
    """
    if not isinstance(key, str) or key not in PROBLEM_KEYS:
        known = ", ".join(available_problems())
        raise InputError("problem", f"unknown problem key {key!r}; known: {known}")
    if importlib.util.find_spec(_module_name(key)) is None:
        raise InputError("problem", f"problem {key!r} is not implemented in this version")
    return importlib.import_module(_module_name(key))
