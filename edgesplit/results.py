"""One Result type and one Status enum for every solver of every problem.

The JSON form is the contract of ``edgesplit solve --json`` (DESIGN.md):

``{"problem", "method", "status", "objective", "objectives", "bound", "gap", "runtime_s",
"solution", "message"}``, nothing more. Python callers also get :attr:`Result.info`, a free-form
dictionary of method-specific detail (convergence history, per-epsilon solves, model sizes) that
is not part of the JSON contract.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from typing import Any

__all__ = ["JSON_KEYS", "Result", "Status", "relative_gap"]

JSON_KEYS = ("problem", "method", "status", "objective", "objectives", "bound", "gap",
             "runtime_s", "solution", "message")


class Status(StrEnum):
    """Outcome of a solve, shared by all problems and methods.

    ``optimal``: the solution is proven optimal (exact methods only; for a multi-objective
    problem, the whole Pareto front is proven). ``feasible``: a solution that satisfies every
    constraint, without a proof of optimality (every heuristic, and exact methods stopped at a
    gap). ``infeasible``: proven that no feasible solution exists. ``no_solution``: this method
    ended without a feasible solution (a baseline whose fixed choice violates a constraint, a
    heuristic that found none); it says nothing about the instance. ``time_limit``: stopped by a
    limit (time, nodes, iterations); ``solution`` holds the best one found, if any, and
    ``message`` names the limit. ``error``: the method failed; ``message`` says why.
    """

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    NO_SOLUTION = "no_solution"
    TIME_LIMIT = "time_limit"
    ERROR = "error"


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    """Relative optimality gap ``|objective - bound| / max(|objective|, 1e-12)``.

    Returns ``None`` if either value is missing or not finite.
    """
    if objective is None or bound is None:
        return None
    if not (math.isfinite(objective) and math.isfinite(bound)):
        return None
    return abs(objective - bound) / max(abs(objective), 1e-12)


def _clean(value: Any) -> Any:
    """Make a value JSON-safe: numpy scalars to Python, non-finite floats to None."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        return _clean(value.tolist())
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Enum):
        return value.value
    return value


@dataclass
class Result:
    """What every solver returns.

    Attributes
    ----------
    problem, method
        Problem key and method name, as registered.
    status
        A :class:`Status`.
    objective
        Objective of ``solution`` (minimisation), or ``None`` for a multi-objective result or
        when there is no solution.
    objectives
        Named objective values of ``solution``, if the problem has several.
    bound
        Proven lower bound on the optimum (exact methods), else ``None``.
    gap
        Relative gap between ``objective`` and ``bound``.
    runtime_s
        Wall-clock seconds of the whole solve, model building included.
    solution
        Problem-specific JSON-able dictionary, validated by the problem's ``Solution`` model.
    message
        Human-readable note (why infeasible, what was truncated, which tolerance applied).
    info
        Method-specific extras for Python callers; not serialised.
    """

    problem: str
    method: str
    status: Status
    objective: float | None = None
    objectives: dict[str, float] | None = None
    bound: float | None = None
    gap: float | None = None
    runtime_s: float = 0.0
    solution: dict[str, Any] | None = None
    message: str | None = None
    info: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def has_solution(self) -> bool:
        """Whether the result carries a solution (optimal, feasible, or time-limited with one)."""
        return self.solution is not None

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract of DESIGN.md as a dictionary (exactly its ten keys)."""
        out = {
            "problem": self.problem,
            "method": self.method,
            "status": Status(self.status).value,
            "objective": self.objective,
            "objectives": self.objectives,
            "bound": self.bound,
            "gap": self.gap,
            "runtime_s": self.runtime_s,
            "solution": self.solution,
            "message": self.message,
        }
        return _clean(out)

    def to_json(self, indent: int | None = None) -> str:
        """Serialise :meth:`to_dict` as strict JSON (no NaN or Infinity)."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Result:
        """Inverse of :meth:`to_dict`."""
        missing = [k for k in JSON_KEYS if k not in data]
        if missing:
            from edgesplit.errors import InputError

            raise InputError(missing[0], "required key of a result is missing")
        return cls(
            problem=data["problem"],
            method=data["method"],
            status=Status(data["status"]),
            objective=data["objective"],
            objectives=data["objectives"],
            bound=data["bound"],
            gap=data["gap"],
            runtime_s=float(data["runtime_s"]),
            solution=data["solution"],
            message=data["message"],
        )

    @classmethod
    def from_json(cls, text: str) -> Result:
        """Inverse of :meth:`to_json`."""
        return cls.from_dict(json.loads(text))
