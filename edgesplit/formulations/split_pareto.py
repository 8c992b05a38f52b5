"""``split_pareto``: one model, one edge node, one cloud; pick the split point (000, CECMS).

Zhang et al. 2024, "A cloud-edge collaborative task scheduling method based on model
segmentation", J. Cloud Computing (paper 000). The model has N layers; the split point
``k in {0, ..., N}`` runs layers ``1..k`` on the edge and ``k+1..N`` in the cloud.

Completion time (000 eq. 4-10), for ``num`` samples per batch::

    t_{e,i} = num * f_i / F_e,     t_{c,i} = num * f_i / F_c                       (eq. 4)
    t_{eps,i} = 8 * num * o_i / V_eps,   eps in {up, trans, down}                   (eq. 5-6)
    t_{total,i} = t_{up,i} + t_{trans,i} + t_{down,i}                               (eq. 7)
    T_0 = t_{total,0} + sum_{j=1..N} t_{c,j}                                        (eq. 9)
    T_k = t_{total,k} + sum_{i<=k} t_{e,i} + sum_{j>k} t_{c,j},   1 <= k <= N-1      (eq. 8)
    T_N = sum_{i=1..N} t_{e,i}                                                      (eq. 10)

Edge memory (000 eq. 11-12): ``m_cost,k = m_k - M_wait`` and ``r_{m,k} = m_cost,k / M_total``.

Problem (000 eq. 13)::

    min  ( T_k , 1 - r_{m,k} )   over k in {0..N} (C1, C2)
    s.t. m_cost,k + M_wait <= M_total                                               (C3)
         0 <= r_{m,k} <= 1                                                          (C4)

Readings where 000 is vague (docs/split_pareto.md lists them all):

- Units: ``o`` is in bytes (000 eq. 5 divides a bit count by 8); rates are in bit/s, so eq. 6
  is ``8 o / V`` here. 000 writes eq. 6 as ``o / V`` with V's unit unstated.
- Eq. 7 sums uplink, transfer and downlink delays of the same tensor without saying why one
  tensor crosses three links. We keep eq. 7 as written (for training, the downlink term can be
  read as the gradient of the crossing tensor coming back, 000 Fig. 5 step 7); a user who wants
  one link sets the other two rates very high.
- Eq. 10 sends nothing at ``k = N``; eq. 8-9 never send the model's output back. Kept.
- ``num`` multiplies every compute and transfer delay (eq. 4 and 6 are per sample in 000's
  notation; 000 pre-executes and trains on batches of 5,000 images).
- The memory ``m_k`` is measured in 000 (system memory during pre-execution). Instances carry it
  as data; :func:`from_profile` takes it from a profile's measured per-node memory when the
  profile has it, else from a model of parameters plus activations (``memory_source``).
- 000 never states how its one chosen split is picked from the Pareto front; :func:`select`
  offers documented rules.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import Field, model_validator

from edgesplit.errors import InputError
from edgesplit.formulations.base import (
    Evaluation,
    InstanceBase,
    NonNegFloat,
    PosFloat,
    SolutionBase,
    Violations,
)

PROBLEM = "split_pareto"
OBJECTIVE_NAMES = ("T", "memory_unused")
EXPORT_FORMATS = (".lp", ".mps", ".nl", ".gms")
SELECTION_RULES = ("knee", "weighted", "lexicographic", "min_time", "max_memory")
#: Names of the constraint columns of :func:`constraint_table` (each ``g <= 0`` when met).
CONSTRAINT_NAMES = ("C3 edge memory", "C4 R_memory >= 0", "C4 R_memory <= 1")
#: Slack on the constraints of eq. 13 (relative to M_total for C3, absolute for C4), so that
#: ``m_k == M_total`` computed in two ways is never called a violation.
FEAS_TOL = 1e-12
#: Reference point of :func:`compare`'s hypervolume, in objectives normalised to [0, 1] between
#: the ideal and the nadir of all feasible splits.
HV_REFERENCE = (1.1, 1.1)

__all__ = [
    "CONSTRAINT_NAMES",
    "EXPORT_FORMATS",
    "HV_REFERENCE",
    "OBJECTIVE_NAMES",
    "PROBLEM",
    "SELECTION_RULES",
    "Instance",
    "Solution",
    "build_pyomo",
    "compare",
    "completion_times",
    "constraint_table",
    "evaluate",
    "feasible_splits",
    "from_profile",
    "generate",
    "hypervolume",
    "memory_unused",
    "memory_utilisation",
    "objective_table",
    "pareto_front",
    "select",
    "solution_from_pyomo",
    "transfer_times",
]


class Instance(InstanceBase):
    """A split_pareto instance (000 eq. 1-13); symbols as in 000 Table 1, SI units."""

    problem: Literal["split_pareto"] = "split_pareto"
    layers: list[str] | None = Field(
        default=None, description="Names of the N layers (optional, for reports).")
    f: list[NonNegFloat] = Field(
        min_length=1, description="FLOPs of each layer for one sample, f_1..f_N (000 eq. 1-2).")
    o: list[NonNegFloat] = Field(
        min_length=1,
        description="Bytes sent to the cloud for one sample when splitting at k = 0..N-1; "
                    "o_0 is the raw input (000 eq. 5).")
    F_e: PosFloat = Field(description="Edge FLOP/s (000 eq. 3).")
    F_c: PosFloat = Field(description="Cloud FLOP/s (000 eq. 3).")
    V_trans: PosFloat = Field(description="Edge-cloud transmission rate, bit/s (000 eq. 6).")
    V_up: PosFloat = Field(description="Uplink rate, bit/s (000 eq. 6).")
    V_down: PosFloat = Field(description="Downlink rate, bit/s (000 eq. 6).")
    num: PosFloat = Field(
        default=1.0,
        description="Samples per batch: the workload factor on computing and transfer delays "
                    "(000 trains with batches of 5,000 images).")
    m: list[NonNegFloat] = Field(
        min_length=2,
        description="Edge system memory in use while running the task split at k = 0..N, "
                    "bytes (000's M = {m_0..m_N}, eq. 11).")
    M_wait: NonNegFloat = Field(description="Edge memory in use without the task, bytes.")
    M_total: PosFloat = Field(description="Total edge memory, bytes.")
    memory_source: Literal["measured", "model"] = Field(
        default="model",
        description="Whether m was measured or derived from parameters plus live activations.")

    @model_validator(mode="after")
    def _check_lengths(self) -> Instance:
        n = len(self.f)
        if len(self.o) != n:
            raise ValueError(f"o: needs one entry per split point 0..N-1, i.e. {n} "
                             f"(got {len(self.o)})")
        if len(self.m) != n + 1:
            raise ValueError(f"m: needs one entry per split point 0..N, i.e. {n + 1} "
                             f"(got {len(self.m)})")
        if self.layers is not None and len(self.layers) != n:
            raise ValueError(f"layers: needs {n} names (got {len(self.layers)})")
        if self.M_wait > self.M_total:
            raise ValueError(f"M_wait: idle memory {self.M_wait:g} exceeds M_total "
                             f"{self.M_total:g}")
        return self

    @property
    def N(self) -> int:
        """Number of layers."""
        return len(self.f)


class Solution(SolutionBase):
    """A chosen split point and, for methods that return one, the Pareto front it came from."""

    split: int = Field(ge=0, description="Split point k: layers 1..k on the edge.")
    front: list[int] | None = Field(
        default=None, description="Split points of the returned Pareto front, if any.")


# ----------------------------------------------------------------------------- objectives
def transfer_times(inst: Instance) -> np.ndarray:
    """``t_{total,k}`` for every split ``k = 0..N`` (000 eq. 5-7); 0 at ``k = N`` (eq. 10)."""
    o = np.asarray(inst.o, dtype=float)
    per_bit = 1.0 / inst.V_up + 1.0 / inst.V_trans + 1.0 / inst.V_down
    return np.concatenate([8.0 * inst.num * o * per_bit, [0.0]])


def completion_times(inst: Instance) -> np.ndarray:
    """``T_k`` for every split ``k = 0..N`` (000 eq. 4-10), seconds."""
    f = np.asarray(inst.f, dtype=float)
    t_e = inst.num * f / inst.F_e  # eq. 4
    t_c = inst.num * f / inst.F_c
    edge = np.concatenate([[0.0], np.cumsum(t_e)])  # sum_{i<=k} t_e,i
    cloud = np.concatenate([np.cumsum(t_c[::-1])[::-1], [0.0]])  # sum_{j>k} t_c,j
    return transfer_times(inst) + edge + cloud  # eq. 8 (and 9, 10 as its end cases)


def memory_utilisation(inst: Instance) -> np.ndarray:
    """``r_{m,k} = (m_k - M_wait) / M_total`` for every split (000 eq. 11-12)."""
    return (np.asarray(inst.m, dtype=float) - inst.M_wait) / inst.M_total


def memory_unused(inst: Instance) -> np.ndarray:
    """The second objective of 000 eq. 13, ``1 - r_{m,k}``, for every split."""
    return 1.0 - memory_utilisation(inst)


def objective_table(inst: Instance) -> np.ndarray:
    """Array of shape (N+1, 2): ``[T_k, 1 - r_{m,k}]`` for every split ``k`` (000 eq. 13).

    The one vectorised scorer: :func:`evaluate` reads its rows, and the heuristics score their
    candidates with it.
    """
    return np.column_stack([completion_times(inst), memory_unused(inst)])


def constraint_table(inst: Instance) -> np.ndarray:
    """Array of shape (N+1, 3): the constraints of 000 eq. 13 as ``g <= 0`` per split.

    Columns (:data:`CONSTRAINT_NAMES`): C3 ``m_k / M_total - 1`` (``m_cost,k + M_wait <=
    M_total``), C4 ``-r_{m,k}`` and ``r_{m,k} - 1``. A split is feasible when every column is
    at most :data:`FEAS_TOL`.
    """
    m = np.asarray(inst.m, dtype=float)
    r = memory_utilisation(inst)
    return np.column_stack([m / inst.M_total - 1.0, -r, r - 1.0])


def feasible_splits(inst: Instance) -> np.ndarray:
    """Boolean mask of the splits satisfying C3 and C4 (000 eq. 13)."""
    return np.all(constraint_table(inst) <= FEAS_TOL, axis=1)


def pareto_front(points: np.ndarray, mask: np.ndarray | None = None) -> list[int]:
    """Indices of the non-dominated rows of ``points`` (minimisation), in index order.

    Among rows with identical objective vectors all are kept (each is a distinct optimal
    split). ``mask`` restricts the candidates (feasible splits only).
    """
    points = np.asarray(points, dtype=float)
    idx = np.arange(len(points)) if mask is None else np.flatnonzero(mask)
    if len(idx) == 0:
        return []
    p = points[idx]
    # dominated[i]: some j is <= in every objective and < in one
    le = np.all(p[None, :, :] <= p[:, None, :], axis=2)
    lt = np.any(p[None, :, :] < p[:, None, :], axis=2)
    dominated = np.any(le & lt, axis=1)
    return [int(i) for i in idx[~dominated]]


def select(inst: Instance, front: list[int], rule: str = "knee", weight: float = 0.5,
           tol: float = 0.05) -> int:
    """Pick one split from a Pareto front; 000 never says how it picks (docs/split_pareto.md).

    Both objectives are first normalised to [0, 1] over the front (min to max; a constant
    objective maps to 0). Ties are broken towards the shorter completion time, then the
    smaller split.

    Parameters
    ----------
    inst
        The instance.
    front
        Split points of the front.
    rule
        ``"knee"`` (default): the point farthest below the chord through the two extreme
        points of the front (fastest and most memory-using); with at most two points, the
        fastest. ``"weighted"``: minimise ``weight * T_norm + (1 - weight) * unused_norm``.
        ``"lexicographic"``: the most memory-using split whose time is within ``tol``
        (relative) of the fastest. ``"min_time"``, ``"max_memory"``: the extremes.
    weight
        Weight of the normalised time for ``"weighted"``, in [0, 1].
    tol
        Relative time tolerance for ``"lexicographic"``, >= 0.

    Returns
    -------
    int
        The chosen split.
    """
    if not front:
        raise InputError("front", "empty Pareto front: no feasible split")
    if rule not in SELECTION_RULES:
        raise InputError("rule", f"unknown selection rule {rule!r}; known: "
                                 f"{', '.join(SELECTION_RULES)}")
    if rule == "weighted" and not 0.0 <= weight <= 1.0:
        raise InputError("weight", f"must be in [0, 1] (got {weight})")
    if rule == "lexicographic" and not tol >= 0:
        raise InputError("tol", f"must be >= 0 (got {tol})")
    front = sorted(front)
    pts = objective_table(inst)[front]
    order = np.lexsort((pts[:, 1], pts[:, 0]))  # by time, then memory (stable: by split)
    if rule == "min_time":
        return front[int(order[0])]
    if rule == "max_memory":
        return front[int(np.lexsort((pts[:, 0], pts[:, 1]))[0])]
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    norm = (pts - lo) / span
    if rule == "weighted":
        score = weight * norm[:, 0] + (1 - weight) * norm[:, 1]
        return front[int(np.lexsort((pts[:, 0], score))[0])]
    if rule == "lexicographic":
        t_min = pts[:, 0].min()
        ok = np.flatnonzero(pts[:, 0] <= t_min * (1 + tol) + 1e-15)
        best = ok[np.lexsort((pts[ok, 0], pts[ok, 1]))[0]]
        return front[int(best)]
    # knee: distance below the chord between the two extremes in normalised space
    if len(front) <= 2:
        return front[int(order[0])]
    a, b = norm[order[0]], norm[order[-1]]
    chord = b - a
    length = float(np.hypot(*chord)) or 1.0
    # signed distance; positive on the origin side of the chord (better in both objectives)
    dist = ((norm[:, 0] - a[0]) * chord[1] - (norm[:, 1] - a[1]) * chord[0]) / length
    return front[int(np.lexsort((pts[:, 0], -dist))[0])]


# ----------------------------------------------------------------------------- evaluate
def evaluate(inst: Instance, sol: Solution) -> Evaluation:
    """Objectives ``(T_k, 1 - r_{m,k})`` of the chosen split and feasibility (000 eq. 13).

    Every split of ``sol.front`` is checked against C3 and C4 too. A split outside ``0..N``
    is bad input (an :class:`InputError`), not a violation.
    """
    n = inst.N
    splits = [sol.split, *(sol.front or [])]
    for name, k in [("solution.split", sol.split)] + [
            (f"solution.front.{i}", k) for i, k in enumerate(sol.front or [])]:
        if not 0 <= k <= n:
            raise InputError(name, f"split index {k} out of range 0..{n}")
    table = objective_table(inst)
    g = constraint_table(inst)
    r = memory_utilisation(inst)
    v = Violations()
    for k in dict.fromkeys(splits):
        v.check(g[k, 0] <= FEAS_TOL, "C3 edge memory (000 eq. 13)",
                f"split {k}: m_cost + M_wait = {inst.m[k]:.6g} B > M_total = "
                f"{inst.M_total:.6g} B")
        v.check(bool(np.all(g[k, 1:] <= FEAS_TOL)), "C4 0 <= R_memory <= 1 (000 eq. 13)",
                f"split {k}: R_memory = {r[k]:.6g}")
    k = sol.split
    front = sol.front or [k]
    return Evaluation(
        feasible=not v,
        objective=None,
        objectives={"T": float(table[k, 0]), "memory_unused": float(table[k, 1])},
        violations=v.items,
        details={"front": [{"split": j, "T": float(table[j, 0]),
                            "memory_unused": float(table[j, 1])} for j in front]},
    )


# ----------------------------------------------------------------------------- compare
def hypervolume(points: np.ndarray, reference: tuple[float, float]) -> float:
    """Area dominated by ``points`` (minimisation, two objectives) and bounded by ``reference``.

    Computed with pymoo's exact hypervolume indicator; points not strictly better than the
    reference in both objectives add nothing.
    """
    pts = np.asarray(points, dtype=float).reshape(-1, 2)
    ref = np.asarray(reference, dtype=float)
    pts = pts[np.all(pts < ref, axis=1)]
    if len(pts) == 0:
        return 0.0
    from pymoo.indicators.hv import HV

    return float(HV(ref_point=ref)(pts))


def _result_front(result: Any) -> list[int] | None:
    """The split points a Result offers: its front, or its one split (a baseline)."""
    sol = getattr(result, "solution", None)
    if not sol:
        return None
    front = sol.get("front")
    return sorted(set(front)) if front else [int(sol["split"])]


def compare(instance: Instance, exact: Any, heuristic: Any) -> dict[str, Any]:
    """Compare a heuristic's Pareto front with the exact one (the ``gap`` of split_pareto).

    Parameters
    ----------
    instance
        The instance.
    exact, heuristic
        :class:`~edgesplit.results.Result` of an exact method (its ``solution.front`` is the
        whole front) and of any method (its front, or its one split for a baseline).

    Returns
    -------
    dict
        ``front_exact``, ``front_heuristic``: the split points; ``missed``: exact-front splits
        whose objective vector no heuristic split attains; ``not_on_exact_front``: heuristic
        splits that are not on the exact front (dominated, or infeasible); ``hv_exact``,
        ``hv_heuristic``: hypervolumes of the feasible points in objectives normalised to
        [0, 1] between the ideal and the nadir of all feasible splits, with reference point
        :data:`HV_REFERENCE` (1.1, 1.1); ``hv_ratio = hv_heuristic / hv_exact`` (1 when nothing
        is missed); ``gap = 1 - hv_ratio``; ``chosen_exact``, ``chosen_heuristic``: the
        splits each picked.
    """
    table = objective_table(instance)
    feasible = feasible_splits(instance)
    ex, he = _result_front(exact), _result_front(heuristic)
    out: dict[str, Any] = {
        "front_exact": ex, "front_heuristic": he, "missed": None, "not_on_exact_front": None,
        "hv_exact": None, "hv_heuristic": None, "hv_ratio": None, "gap": None,
        "hv_reference": list(HV_REFERENCE),
        "chosen_exact": (exact.solution or {}).get("split"),
        "chosen_heuristic": (heuristic.solution or {}).get("split"),
    }
    if ex is None or not feasible.any():
        return out
    he = he or []
    he_vectors = {tuple(table[k]) for k in he if feasible[k]}
    out["missed"] = [k for k in ex if tuple(table[k]) not in he_vectors]
    out["not_on_exact_front"] = [k for k in he if k not in set(ex)]
    lo = table[feasible].min(axis=0)
    hi = table[feasible].max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    norm = (table - lo) / span
    hv_ex = hypervolume(norm[ex], HV_REFERENCE)
    hv_he = hypervolume(norm[[k for k in he if feasible[k]]], HV_REFERENCE)
    out["hv_exact"], out["hv_heuristic"] = hv_ex, hv_he
    if hv_ex > 0:
        out["hv_ratio"] = hv_he / hv_ex
        out["gap"] = 1.0 - out["hv_ratio"]
    return out


# ----------------------------------------------------------------------------- model
def _add_split_choice(model: Any, inst: Instance) -> None:
    """C1, C2 of 000 eq. 13: ``split`` is an integer in 0..N, as one binary per split.

    ``x_k = 1`` iff ``split = k``; ``sum_k x_k = 1``.
    """
    import pyomo.environ as pyo

    model.K = pyo.RangeSet(0, inst.N)
    model.x = pyo.Var(model.K, domain=pyo.Binary)
    model.eq13_C1_C2_one_split = pyo.Constraint(expr=sum(model.x[k] for k in model.K) == 1)


def _add_eq13_objective(model: Any, inst: Instance, objective: str) -> None:
    """The objective of 000 eq. 13 being minimised: ``T = sum_k T_k x_k`` (eq. 8-10) or
    ``1 - R_memory = sum_k (1 - r_{m,k}) x_k`` (eq. 12)."""
    import pyomo.environ as pyo

    table = objective_table(inst)
    col = OBJECTIVE_NAMES.index(objective)
    expr = sum(float(table[k, col]) * model.x[k] for k in model.K)
    if objective == "T":
        model.eq13_min_T = pyo.Objective(expr=expr, sense=pyo.minimize)
    else:
        model.eq13_min_memory_unused = pyo.Objective(expr=expr, sense=pyo.minimize)


def _add_eq13_c3_edge_memory(model: Any, inst: Instance) -> None:
    """C3 of 000 eq. 13: ``m_cost + M_wait = sum_k m_k x_k <= M_total`` (eq. 11)."""
    import pyomo.environ as pyo

    model.eq13_C3_edge_memory = pyo.Constraint(
        expr=sum(float(inst.m[k]) * model.x[k] for k in model.K) <= float(inst.M_total))


def _add_eq13_c4_utilisation(model: Any, inst: Instance) -> None:
    """C4 of 000 eq. 13: ``0 <= R_memory = sum_k r_{m,k} x_k <= 1`` (eq. 12)."""
    import pyomo.environ as pyo

    r = memory_utilisation(inst)
    model.eq13_C4_utilisation = pyo.Constraint(
        expr=pyo.inequality(0.0, sum(float(r[k]) * model.x[k] for k in model.K), 1.0))


def _add_epsilon_memory_unused(model: Any, inst: Instance, epsilon: float) -> None:
    """The second objective of 000 eq. 13 as an epsilon-constraint:
    ``sum_k (1 - r_{m,k}) x_k <= epsilon``."""
    import pyomo.environ as pyo

    unused = memory_unused(inst)
    model.epsilon_memory_unused = pyo.Constraint(
        expr=sum(float(unused[k]) * model.x[k] for k in model.K) <= float(epsilon))


def _add_time_bound(model: Any, inst: Instance, time_bound: float) -> None:
    """The first objective as a constraint (lexicographic second stage):
    ``sum_k T_k x_k <= time_bound``."""
    import pyomo.environ as pyo

    times = completion_times(inst)
    model.lexicographic_time_bound = pyo.Constraint(
        expr=sum(float(times[k]) * model.x[k] for k in model.K) <= float(time_bound))


def build_pyomo(inst: Instance, epsilon: float | None = None, *,
                objective: Literal["T", "memory_unused"] = "T",
                time_bound: float | None = None, exclude: list[int] | tuple[int, ...] = ()
                ) -> Any:
    """The epsilon-constraint MILP of 000 eq. 13 with one binary per split.

    ::

        min   sum_k T_k x_k                                  (first objective of eq. 13)
        s.t.  sum_k x_k = 1                                  (C1, C2: one integer split)
              sum_k m_k x_k <= M_total                       (C3)
              0 <= sum_k r_{m,k} x_k <= 1                    (C4)
              sum_k (1 - r_{m,k}) x_k <= epsilon             (second objective as constraint)
              x_k in {0, 1}

    Parameters
    ----------
    inst
        The instance.
    epsilon
        Bound on the unused edge memory ``1 - R_memory``; without it the row is omitted.
    objective
        ``"T"`` (default) or ``"memory_unused"``: the second stage of a lexicographic solve
        minimises the unused memory with the time bounded by ``time_bound``.
    time_bound
        Bound on ``T`` (row ``lexicographic_time_bound``), if given.
    exclude
        Splits whose binary is fixed to 0 (to enumerate splits with equal objectives).

    Returns
    -------
    pyomo.environ.ConcreteModel
        Constraint components are named after 000 eq. 13 (``eq13_C3_edge_memory``).
    """
    import pyomo.environ as pyo

    if objective not in OBJECTIVE_NAMES:
        raise InputError("objective", f"must be one of {', '.join(OBJECTIVE_NAMES)} "
                                      f"(got {objective!r})")
    for k in exclude:
        if not 0 <= int(k) <= inst.N:
            raise InputError("exclude", f"split index {k} out of range 0..{inst.N}")
    model = pyo.ConcreteModel(name="split_pareto")
    _add_split_choice(model, inst)
    _add_eq13_objective(model, inst, objective)
    _add_eq13_c3_edge_memory(model, inst)
    _add_eq13_c4_utilisation(model, inst)
    if epsilon is not None:
        _add_epsilon_memory_unused(model, inst, epsilon)
    if time_bound is not None:
        _add_time_bound(model, inst, time_bound)
    for k in exclude:
        model.x[int(k)].fix(0)
    return model


def solution_from_pyomo(model: Any) -> int:
    """The split chosen in a solved :func:`build_pyomo` model."""
    import pyomo.environ as pyo

    return int(max(model.K, key=lambda k: pyo.value(model.x[k])))


# ----------------------------------------------------------------------------- builders
def from_profile(profile: Any, edge: Any, cloud: Any, link: Any, *, num: float = 1.0,
                 mode: Literal["inference", "training"] = "inference",
                 memory: Literal["auto", "measured", "model"] = "auto",
                 M_wait: float | None = None, M_total: float | None = None,
                 name: str | None = None) -> Instance:
    """Build an instance from a profile's chain view and catalogue hardware.

    Parameters
    ----------
    profile
        A :class:`~edgesplit.profiles.Profile` (work and bytes are divided by its batch size
        to get per-sample figures). The layers are the chain view's segments; 000 eq. 1-2
        FLOPs per layer are the profile's ``flops`` (2 x MACs for conv and linear).
    edge, cloud
        :class:`~edgesplit.profiles.Device` (FLOP/s by 000 eq. 3, edge memory and idle memory).
    link
        :class:`~edgesplit.profiles.Link`: ``V_trans`` is its bandwidth, ``V_up``/``V_down``
        its uplink and downlink rates.
    num
        Samples per batch (000 trains on batches of 5,000 images).
    mode
        ``"inference"``: FLOPs of the forward pass; edge memory is parameters plus the peak of
        live activations for ``num`` samples. ``"training"``: FLOPs x 3 (forward plus a
        backward pass of about twice the forward work); edge memory is parameters and their
        gradients (2 x parameter bytes) plus every edge activation for ``num`` samples (kept for
        the backward pass). In both, the raw input batch counts at split 0 (it is on the edge).
    memory
        ``"measured"`` uses the profile's per-node ``memory_bytes`` (the peak over the edge's
        nodes, per sample, times ``num``; ``mode`` then only changes the FLOPs); ``"model"`` the
        model above; ``"auto"`` the measured figures when every node has one.
    M_wait, M_total
        Override the edge's idle and total memory.
    name
        Instance name (default ``"<model>-<mode>"``).
    """
    chain = profile.chain()
    batch = profile.batch_size
    n = chain.n_layers
    factor = 3.0 if mode == "training" else 1.0
    f = factor * chain.flops / batch
    o = chain.crossing_bytes[:n] / batch
    m_wait = float(M_wait if M_wait is not None else (edge.idle_memory_bytes or 0.0))
    m_total = float(M_total if M_total is not None else (edge.memory_bytes or 0.0))
    if m_total <= 0:
        raise InputError("edge.memory_bytes", "the edge device needs a memory size (M_total)")
    has_measured = all(node.memory_bytes is not None for node in profile.nodes[1:])
    if memory == "measured" and not has_measured:
        raise InputError("memory", "the profile has no measured memory for every node")
    use_measured = memory == "measured" or (memory == "auto" and has_measured)
    pos = [c.position for c in chain.cuts]
    if use_measured:
        per_node = np.array([float(nd.memory_bytes or 0) for nd in profile.nodes]) / batch
        edge_mem = [num * float(per_node[: p + 1].max()) for p in pos]
    else:
        params = np.array([float(nd.param_bytes) for nd in profile.nodes])
        if mode == "training":
            acts = np.array([float(nd.output_bytes) for nd in profile.nodes]) / batch
            edge_mem = [2 * params[: p + 1].sum() + num * acts[: p + 1].sum() for p in pos]
        else:
            live = profile.live_activation_bytes() / batch
            edge_mem = [params[: p + 1].sum() + num * live[: p + 1].max() for p in pos]
    m = [m_wait + float(x) for x in edge_mem]
    return Instance(
        name=name or f"{profile.model}-{mode}",
        layers=list(chain.segment_names),
        f=[float(x) for x in f],
        o=[float(x) for x in o],
        F_e=float(edge.flops), F_c=float(cloud.flops),
        V_trans=float(link.bandwidth_bit_s), V_up=float(link.up), V_down=float(link.down),
        num=float(num), m=m, M_wait=m_wait, M_total=m_total,
        memory_source="measured" if use_measured else "model",
        meta={"profile": profile.model, "input_shape": profile.input_shape,
              "edge": edge.name, "cloud": cloud.name, "link": link.name, "mode": mode},
    )


def generate(seed: int, size: Literal["small", "paper"] = "small") -> Instance:
    """A random valid instance: ``small`` has 3-8 layers, ``paper`` 13-40 (000's AlexNet and
    VGG have 13 and 34).

    Work grows and tensors shrink with depth, as in CNNs; memory grows with depth, and C3 cuts
    off the deepest splits in about half of the instances. About one layer in five is a
    reshape (no work, same tensor, no extra memory, like ``flatten``), so that several splits
    share one objective vector, as in real profiles.
    """
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 9) if size == "small" else rng.integers(13, 41))
    f = rng.lognormal(mean=np.log(2e8), sigma=1.0, size=n)
    o = np.sort(rng.lognormal(mean=np.log(2e5), sigma=1.0, size=n))[::-1]
    F_e = float(rng.uniform(1e11, 1e12))
    F_c = float(F_e * rng.uniform(5, 50))
    V = float(rng.uniform(1e7, 1e9))
    m_wait = float(rng.uniform(1, 3) * 2**30)
    steps = rng.lognormal(mean=np.log(2**28), sigma=0.8, size=n + 1)
    reshape = rng.random(n) < 0.2
    reshape[0] = False  # layer 1 consumes the raw input o_0
    for i in np.flatnonzero(reshape):  # layer i+1 is a reshape: split i+1 equals split i
        f[i] = 0.0
        if i + 1 < n:
            o[i + 1] = o[i]
        steps[i + 1] = 0.0
    m = m_wait + np.cumsum(steps)
    m_total = float(m[-1] * rng.uniform(0.8, 1.3))
    return Instance(
        name=f"random-{size}-{seed}",
        f=[float(x) for x in f], o=[float(x) for x in o],
        F_e=F_e, F_c=F_c, V_trans=V, V_up=V * float(rng.uniform(1, 2)),
        V_down=V * float(rng.uniform(1, 2)), num=float(rng.choice([1, 16, 64])),
        m=[float(x) for x in m], M_wait=m_wait, M_total=max(m_total, m_wait + 1.0),
        meta={"generator": "split_pareto.generate", "seed": seed, "size": size},
    )
