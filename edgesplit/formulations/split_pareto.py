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

Units: ``o`` is in bytes (000 eq. 5 divides a bit count by 8); rates are in bit/s, so eq. 6 is
``8 o / V`` here. 000 writes eq. 6 as ``o / V`` with o in bytes and V unstated: we read V as
bit/s. 000 also sums uplink, transfer and downlink delays of the same tensor (eq. 7) without
saying why one tensor crosses three links; we keep eq. 7 as written, and a user who wants one
link sets the other two rates very high.

000 never states how its one chosen split is picked from the Pareto front; :func:`select`
offers documented rules (docs/split_pareto.md).
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

__all__ = [
    "EXPORT_FORMATS",
    "OBJECTIVE_NAMES",
    "PROBLEM",
    "Instance",
    "Solution",
    "build_pyomo",
    "completion_times",
    "evaluate",
    "from_profile",
    "generate",
    "memory_unused",
    "objective_table",
    "pareto_front",
    "select",
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
def completion_times(inst: Instance) -> np.ndarray:
    """``T_k`` for every split ``k = 0..N`` (000 eq. 4-10), seconds."""
    f = np.asarray(inst.f, dtype=float)
    o = np.asarray(inst.o, dtype=float)
    t_e = inst.num * f / inst.F_e  # eq. 4
    t_c = inst.num * f / inst.F_c
    per_bit = 1.0 / inst.V_up + 1.0 / inst.V_trans + 1.0 / inst.V_down
    t_total = 8.0 * inst.num * o * per_bit  # eq. 5-7
    edge = np.concatenate([[0.0], np.cumsum(t_e)])  # sum_{i<=k} t_e,i
    cloud = np.concatenate([np.cumsum(t_c[::-1])[::-1], [0.0]])  # sum_{j>k} t_c,j
    transfer = np.concatenate([t_total, [0.0]])  # eq. 10: nothing sent at k = N
    return transfer + edge + cloud  # eq. 8 (and 9, 10 as its end cases)


def memory_utilisation(inst: Instance) -> np.ndarray:
    """``r_{m,k} = (m_k - M_wait) / M_total`` for every split (000 eq. 11-12)."""
    return (np.asarray(inst.m, dtype=float) - inst.M_wait) / inst.M_total


def memory_unused(inst: Instance) -> np.ndarray:
    """The second objective of 000 eq. 13, ``1 - r_{m,k}``, for every split."""
    return 1.0 - memory_utilisation(inst)


def feasible_splits(inst: Instance) -> np.ndarray:
    """Boolean mask of the splits satisfying C3 and C4 (000 eq. 13)."""
    m = np.asarray(inst.m, dtype=float)
    r = memory_utilisation(inst)
    return (m <= inst.M_total * (1 + 1e-12)) & (r >= -1e-12) & (r <= 1 + 1e-12)


def objective_table(inst: Instance) -> np.ndarray:
    """Array of shape (N+1, 2): ``[T_k, 1 - r_{m,k}]`` for every split ``k``."""
    return np.column_stack([completion_times(inst), memory_unused(inst)])


def pareto_front(points: np.ndarray, mask: np.ndarray | None = None) -> list[int]:
    """Indices of the non-dominated rows of ``points`` (minimisation), in index order.

    Among rows with identical objective vectors all are kept (each is a distinct optimal
    split). ``mask`` restricts the candidates (feasible splits only).
    """
    idx = np.arange(len(points)) if mask is None else np.flatnonzero(mask)
    front = []
    for i in idx:
        p = points[i]
        dominated = False
        for j in idx:
            q = points[j]
            if np.all(q <= p) and np.any(q < p):
                dominated = True
                break
        if not dominated:
            front.append(int(i))
    return front


def select(inst: Instance, front: list[int], rule: str = "knee", weight: float = 0.5,
           tol: float = 0.05) -> int:
    """Pick one split from a Pareto front; 000 never says how it picks (docs/split_pareto.md).

    Parameters
    ----------
    inst
        The instance.
    front
        Split points of the front.
    rule
        ``"knee"`` (default): after normalising both objectives to [0, 1] over the front, the
        point farthest below the line through the two extreme points (the knee).
        ``"weighted"``: minimise ``weight * T_norm + (1 - weight) * unused_norm``.
        ``"lexicographic"``: the most memory-using split whose time is within ``tol`` (relative)
        of the fastest. ``"min_time"``, ``"max_memory"``: the extremes.
    weight
        Weight of the normalised time for ``"weighted"``.
    tol
        Relative time tolerance for ``"lexicographic"``.
    """
    if not front:
        raise InputError("front", "empty Pareto front: no feasible split")
    if rule not in SELECTION_RULES:
        raise InputError("rule", f"unknown selection rule {rule!r}; known: "
                                 f"{', '.join(SELECTION_RULES)}")
    pts = objective_table(inst)[front]
    order = np.lexsort((pts[:, 1], pts[:, 0]))  # by time, then memory
    if rule == "min_time":
        return front[int(order[0])]
    if rule == "max_memory":
        return front[int(np.lexsort((pts[:, 0], pts[:, 1]))[0])]
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    norm = (pts - lo) / span
    if rule == "weighted":
        if not 0.0 <= weight <= 1.0:
            raise InputError("weight", f"must be in [0, 1] (got {weight})")
        score = weight * norm[:, 0] + (1 - weight) * norm[:, 1]
        return front[int(np.lexsort((pts[:, 0], score))[0])]
    if rule == "lexicographic":
        if tol < 0:
            raise InputError("tol", f"must be >= 0 (got {tol})")
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
    times = completion_times(inst)
    unused = memory_unused(inst)
    r = memory_utilisation(inst)
    v = Violations()
    for k in dict.fromkeys(splits):
        v.check(inst.m[k] <= inst.M_total * (1 + 1e-12), "C3 edge memory (000 eq. 13)",
                f"split {k}: m_cost + M_wait = {inst.m[k]:.6g} B > M_total = "
                f"{inst.M_total:.6g} B")
        v.check(-1e-12 <= r[k] <= 1 + 1e-12, "C4 0 <= R_memory <= 1 (000 eq. 13)",
                f"split {k}: R_memory = {r[k]:.6g}")
    k = sol.split
    front = sol.front or [k]
    return Evaluation(
        feasible=not v,
        objective=None,
        objectives={"T": float(times[k]), "memory_unused": float(unused[k])},
        violations=v.items,
        details={"front": [{"split": j, "T": float(times[j]), "memory_unused": float(unused[j])}
                           for j in front]},
    )


# ----------------------------------------------------------------------------- model
def build_pyomo(inst: Instance, epsilon: float | None = None) -> Any:
    """The epsilon-constraint MILP of 000 eq. 13 with one binary per split.

    ::

        min   sum_k T_k x_k                                   (first objective of eq. 13)
        s.t.  sum_k x_k = 1                                   (C1, C2: one integer split)
              sum_k m_k x_k <= M_total                        (C3)
              sum_k (1 - r_{m,k}) x_k <= epsilon              (second objective as constraint)
              x_k in {0, 1}

    C4 holds for every split with ``M_wait <= m_k <= M_total``; splits with ``m_k < M_wait``
    are fixed to 0. Without ``epsilon`` the last row is omitted.
    """
    import pyomo.environ as pyo

    times = completion_times(inst)
    unused = memory_unused(inst)
    r = memory_utilisation(inst)
    model = pyo.ConcreteModel(name="split_pareto")
    model.K = pyo.RangeSet(0, inst.N)
    model.x = pyo.Var(model.K, domain=pyo.Binary)
    model.T = pyo.Objective(expr=sum(float(times[k]) * model.x[k] for k in model.K),
                            sense=pyo.minimize)
    model.C1_C2_one_split = pyo.Constraint(expr=sum(model.x[k] for k in model.K) == 1)
    model.C3_edge_memory = pyo.Constraint(
        expr=sum(float(inst.m[k]) * model.x[k] for k in model.K) <= float(inst.M_total))
    for k in model.K:
        if r[k] < -1e-12:
            model.x[k].fix(0)  # C4
    if epsilon is not None:
        model.epsilon_memory_unused = pyo.Constraint(
            expr=sum(float(unused[k]) * model.x[k] for k in model.K) <= float(epsilon))
    return model


def solution_from_pyomo(model: Any) -> int:
    """The split chosen in a solved :func:`build_pyomo` model."""
    import pyomo.environ as pyo

    return max(model.K, key=lambda k: pyo.value(model.x[k]))


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
        to get per-sample figures).
    edge, cloud
        :class:`~edgesplit.profiles.Device` (FLOP/s, edge memory and idle memory).
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
        the backward pass).
    memory
        ``"measured"`` uses the profile's per-node ``memory_bytes``; ``"model"`` the model
        above; ``"auto"`` the measured figures when every node has one.
    M_wait, M_total
        Override the edge's idle and total memory.
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
    VGG have 13 and 34). Work grows and tensors shrink with depth, as in CNNs; memory grows
    with depth, and C3 cuts off the deepest splits in about half of the instances."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 9) if size == "small" else rng.integers(13, 41))
    f = rng.lognormal(mean=np.log(2e8), sigma=1.0, size=n)
    o = np.sort(rng.lognormal(mean=np.log(2e5), sigma=1.0, size=n))[::-1]
    F_e = float(rng.uniform(1e11, 1e12))
    F_c = float(F_e * rng.uniform(5, 50))
    V = float(rng.uniform(1e7, 1e9))
    m_wait = float(rng.uniform(1, 3) * 2**30)
    steps = rng.lognormal(mean=np.log(2**28), sigma=0.8, size=n + 1)
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
