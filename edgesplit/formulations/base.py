"""What every problem module shares: the Instance base, the Evaluation record, field types.

A problem module ``edgesplit/formulations/<key>.py`` defines

- ``PROBLEM``: its key (one of :data:`edgesplit.formulations.PROBLEM_KEYS`);
- ``Instance``: a subclass of :class:`InstanceBase` with ``problem: Literal["<key>"]``, its
  fields named after the paper's symbols, in SI units;
- ``Solution``: a pydantic model of a solution (what ``Result.solution`` holds);
- ``evaluate(instance, solution) -> Evaluation``: feasibility and objective(s) in plain numpy,
  the single source of truth;
- ``generate(seed, size) -> Instance``: a random valid instance (``size`` is ``"small"`` or
  ``"paper"``);
- optionally ``build_pyomo(instance)`` (exported by ``edgesplit export``), ``EXPORT_FORMATS``
  (the suffixes the model allows), ``compare(instance, exact, heuristic)`` (the gap for
  problems whose gap is not a relative objective difference) and ``plot_gantt``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "Evaluation",
    "InstanceBase",
    "NonNegFloat",
    "NonNegInt",
    "PosFloat",
    "PosInt",
    "Probability",
    "SolutionBase",
    "Violations",
]

PosFloat = Annotated[float, Field(gt=0, allow_inf_nan=False)]
NonNegFloat = Annotated[float, Field(ge=0, allow_inf_nan=False)]
PosInt = Annotated[int, Field(gt=0)]
NonNegInt = Annotated[int, Field(ge=0)]
Probability = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]


class InstanceBase(BaseModel):
    """Base of every problem's instance: the JSON envelope of DESIGN.md.

    Unknown fields are rejected (a misspelt field must not be silently ignored) and floats
    must be finite.
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, validate_assignment=True)

    problem: str
    schema_version: Annotated[int, Field(ge=1, le=1, description="Instance schema version.")] = 1
    name: str | None = Field(default=None, description="Optional label for the instance.")
    meta: dict[str, Any] = Field(
        default_factory=dict,
        description="Provenance (profile, hardware, generator seed); never read by solvers.",
    )

    def to_json(self, indent: int | None = 1) -> str:
        """Serialise to the instance-file JSON."""
        return self.model_dump_json(indent=indent)


class SolutionBase(BaseModel):
    """Base of every problem's solution model (the ``solution`` object of a result)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


@dataclass
class Evaluation:
    """Outcome of a problem's ``evaluate``.

    Attributes
    ----------
    feasible
        True if no constraint is violated.
    objective
        The (minimisation) objective, or ``None`` for a multi-objective problem.
    objectives
        Named objective values, when the problem has several (or useful components).
    violations
        Names of violated constraints, each with the paper's equation and the amount.
    details
        Per-component quantities (per-node delays, per-server loads) for reports and tests.
    """

    feasible: bool
    objective: float | None
    objectives: dict[str, float] | None = None
    violations: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``edgesplit evaluate``."""
        from edgesplit.results import _clean

        return _clean({"feasible": self.feasible, "objective": self.objective,
                       "objectives": self.objectives, "violations": list(self.violations)})


class Violations:
    """Collects violated constraints by name while ``evaluate`` checks them.

    Example
    -------
    >>> v = Violations()
    >>> v.check(3.0 <= 2.0, "C3 memory (000 eq. 13)", "m=3 > M_total=2")
    >>> v.items
    ['C3 memory (000 eq. 13): m=3 > M_total=2']
    """

    def __init__(self) -> None:
        self.items: list[str] = []

    def check(self, ok: bool, name: str, detail: str = "") -> None:
        """Record ``name`` (with ``detail``) unless ``ok``."""
        if not ok:
            self.items.append(f"{name}: {detail}" if detail else name)

    def __bool__(self) -> bool:
        return bool(self.items)
