"""``offload_position``: the deepest layer j at which the edge hands a DNN to the cloud (001, TMOA).

Xu et al. 2020, "A collaborative cloud-edge computing framework in distributed neural network",
EURASIP JWCN (paper 001), Sec. 3, eq. 8-23 and Alg. 2. Layers ``1..j`` of an N-layer network run
on each of x edge nodes, layers ``j+1..N`` in the cloud; K tasks arrive in a period, task k at
node ``n(k)`` with rate ``a_k``. The offloading position is (001 eq. 21-22)::

    max  j   over j in {0, ..., N}
    s.t. C1  Dt^j = sum_{i<=j} (Par_i + Map_i) <= lambda0 P0,  P0 = min_v Pv       (eq. 10)
         C2  T_k(j) <= T_max                          for every task k              (eq. 11-17)
         C3  E_v(j) <= E_v                            for every node v              (eq. 18-20)

Work per layer (001 eq. 8-9): ``Z_i = M_i^2 Ck_i^2 C_{i-1} C_i`` with the output side
``M_i = (Ms_i - Ck_i + 2 Po_i) / St_i + 1`` (001 calls ``Po`` the pooling size; in eq. 9 it is
the padding). ``Zt^j = sum_{i<=j} Z_i``. Eq. 8 counts multiply-accumulates; instances carry
FLOP (2 per MAC) or MACs as the builder is told, and F is in the same unit per second.

Latency of task k at node v = n(k) (001 Sec. 3.2)::

    t_e  = Zt^j / F_v                                                   (eq. 11)
    t_w  = lambda_v (Zt^j)^2 / (F_v (F_v - lambda_v Zt^j))              (eq. 12, corrected)
    T_qp = t_e + t_w                                                    (eq. 13)
    T_cp = (Zt^N - Zt^j) / F_c                                          (eq. 14)
    T_ec = 8 Map_j / min(W_H, L_v)     (Map_sent_j if given)             (eq. 15)
    T_te = 8 De_k E[1 / vs_k],  vs_k ~ Gaussian KDE of measured rates   (eq. 16-17)
    T_k(j) = T_qp + T_cp + T_ec + T_te

Eq. 12 is the M/M/1 waiting time ``W_q = lambda / (mu (mu - lambda))`` with service rate
``mu = F_v / Zt^j``; 001 calls it M/M/N and prints ``a_k Zt / (F (F - a_k Zt))``, which lacks a
factor Zt (it has units s/FLOP, not s). Each node is its own M/M/1 queue, fed by the tasks that
choose it, so ``lambda_v = sum_{k: n(k)=v} a_k`` (001 writes a_k: one task stream per node).
A node with ``lambda_v Zt^j >= F_v`` has no steady state: C2 fails there. 001's C2 lists
``T_qp + T_ec + T_te`` and leaves out the cloud time T_cp that Sec. 3.2 counts in T_max and
Alg. 2 line 9 computes; ``C2_includes_T_cp`` (default true) says which reading applies. C2's
sum over tasks is read as one constraint per task, as eq. 23's multipliers beta_i and Alg. 2's
test show.

Energy of node v (001 eq. 18-20), over its tasks of the period::

    E^s = e_v Zt^j / F_v,   E^c = omega_v Zt^j F_v,   E_v(j) = sum_{k: n(k)=v} (E^s + E^c)

The uplink (eq. 16-17) uses :func:`expected_inverse_rate`: a Gaussian kernel density estimate
with Silverman's bandwidth ``sigma (4 / (3 l))^(1/5)``, exactly eq. 17's ``lambda_k``; eq. 17's
kernel ``exp(-u^2)`` without ``1/sqrt(pi)`` is not a density, so scipy's normalised Gaussian
kernel is used. The sum over the x nodes in eq. 16 picks the task's nearest node, which only
changes the rates measured. eq. 23's Lagrangian and KKT conditions do not apply to an integer
j; enumerating the N + 1 positions is exact and instant.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
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

PROBLEM = "offload_position"
EXPORT_FORMATS = (".lp", ".mps", ".nl", ".gms")

__all__ = [
    "EXPORT_FORMATS",
    "PROBLEM",
    "ConstraintTable",
    "Instance",
    "LayerTable",
    "Solution",
    "build_pyomo",
    "compare",
    "constraint_table",
    "evaluate",
    "expected_inverse_rate",
    "from_profile",
    "generate",
    "layer_table",
    "objectives_at",
    "solution_from_pyomo",
]


class Instance(InstanceBase):
    """An offload_position instance (001 Sec. 3, eq. 8-22); SI units."""

    problem: Literal["offload_position"] = "offload_position"
    layers: list[str] | None = Field(
        default=None, description="Names of the N layers (optional, for reports).")
    Z: list[NonNegFloat] = Field(
        min_length=1, description="Work of each layer for one task, FLOP (001 eq. 8-9, Z_i).")
    Par: list[NonNegFloat] = Field(
        min_length=1, description="Parameter bytes of each layer (001 eq. 10, Par_i).")
    Map: list[NonNegFloat] = Field(
        min_length=1, description="Output feature-map bytes of each layer (001 eq. 10, Map_i); "
                                  "Map_j is what goes to the cloud (eq. 15).")
    Map_sent: list[NonNegFloat] | None = Field(
        default=None, description="Bytes sent to the cloud when layer i is the last on the "
                                  "edge, if not Map_i (a chain segment holds several maps but "
                                  "sends one tensor).")
    Map_in: NonNegFloat = Field(
        description="Bytes of a task's input: what goes to the cloud when j = 0.")
    F: list[PosFloat] = Field(
        min_length=1, description="Speed of each edge node v_1..v_x, FLOP/s (001 Sec. 2.2).")
    P: list[PosFloat] = Field(
        min_length=1, description="Memory of each edge node, bytes (001 Sec. 2.2; P0 = min).")
    E: list[PosFloat] = Field(
        min_length=1, description="Energy each node may spend on the period's tasks, J "
                                  "(001 Sec. 2.2, C3).")
    L: list[PosFloat] = Field(
        min_length=1, description="Throughput of each node, bit/s (001 Sec. 2.2, eq. 15).")
    e: list[NonNegFloat] = Field(
        min_length=1, description="Static power of each node while it computes, W "
                                  "(001 eq. 18, e_{i,k}).")
    omega: list[NonNegFloat] = Field(
        min_length=1, description="Computational energy per unit work and speed of each node, "
                                  "J s / FLOP^2 (001 eq. 19, omega_{i,k}; alpha in Alg. 2).")
    a: list[NonNegFloat] = Field(
        min_length=1, description="Arrival rate of each task stream l_1..l_K, 1/s "
                                  "(001 eq. 12, a_k).")
    De: list[NonNegFloat] = Field(
        min_length=1, description="Bytes each task uploads from its terminal to the edge "
                                  "(001 eq. 16, De_k).")
    Vs: list[list[PosFloat]] = Field(
        min_length=1, description="Measured terminal-to-edge rates, bit/s (001 eq. 17, Vs): one "
                                  "list shared by all tasks, or one list per task.")
    assign: list[int] | None = Field(
        default=None, description="Node (0-based) each task uses (its nearest, 001 eq. 16); "
                                  "default round robin, task k on node k mod x.")
    F_c: PosFloat = Field(description="Cloud speed, FLOP/s (001 eq. 14).")
    W_H: PosFloat = Field(description="Edge-to-cloud network bandwidth, bit/s (001 eq. 15).")
    T_max: PosFloat = Field(description="Largest delay a task may have, s (001 C2).")
    lambda0: float = Field(default=0.8, gt=0, le=1,
                           description="Memory margin lambda0 (001 Sec. 3.1: 80 %).")
    C2_includes_T_cp: bool = Field(
        default=True, description="Count the cloud time T_cp (eq. 14) in C2, as 001 Sec. 3.2 "
                                  "defines T_max; 001's C2 and Alg. 2 line 10 leave it out.")

    @model_validator(mode="after")
    def _check_lengths(self) -> Instance:
        n, x, k = len(self.Z), len(self.F), len(self.a)
        for name in ("Par", "Map", "Map_sent"):
            if getattr(self, name) is not None and len(getattr(self, name)) != n:
                raise ValueError(f"{name}: needs one entry per layer, i.e. {n} "
                                 f"(got {len(getattr(self, name))})")
        for name in ("P", "E", "L", "e", "omega"):
            if len(getattr(self, name)) != x:
                raise ValueError(f"{name}: needs one entry per node, i.e. {x} "
                                 f"(got {len(getattr(self, name))})")
        if len(self.De) != k:
            raise ValueError(f"De: needs one entry per task, i.e. {k} (got {len(self.De)})")
        if len(self.Vs) not in (1, k):
            raise ValueError(f"Vs: needs one list of rates, or one per task ({k}); "
                             f"got {len(self.Vs)}")
        for r, rates in enumerate(self.Vs):
            if not rates:
                raise ValueError(f"Vs.{r}: needs at least one measured rate")
        if self.assign is not None:
            if len(self.assign) != k:
                raise ValueError(f"assign: needs one node per task, i.e. {k} "
                                 f"(got {len(self.assign)})")
            bad = [v for v in self.assign if not 0 <= v < x]
            if bad:
                raise ValueError(f"assign: node index {bad[0]} out of range 0..{x - 1}")
        if self.layers is not None and len(self.layers) != n:
            raise ValueError(f"layers: needs {n} names (got {len(self.layers)})")
        return self

    @property
    def N(self) -> int:
        """Number of layers."""
        return len(self.Z)

    @property
    def x(self) -> int:
        """Number of edge nodes."""
        return len(self.F)

    @property
    def K(self) -> int:
        """Number of tasks (streams) in the period."""
        return len(self.a)

    def nodes_of_tasks(self) -> np.ndarray:
        """Node of each task: ``assign``, or round robin."""
        if self.assign is not None:
            return np.asarray(self.assign, dtype=np.int64)
        return np.arange(self.K, dtype=np.int64) % self.x


class Solution(SolutionBase):
    """The offloading position: layers 1..j on the edge, j+1..N in the cloud."""

    j: int = Field(ge=0, description="Offloading position j (0 = everything in the cloud).")


# ----------------------------------------------------------------------------- eq. 16-17
def expected_inverse_rate(rates: list[float] | np.ndarray, grid: int = 4001) -> float:
    """``E[1 / vs] = int p(vs) / vs dvs`` under the Gaussian KDE of measured rates (001 eq. 16-17).

    The density is ``scipy.stats.gaussian_kde`` with Silverman's factor ``(4 / (3 l))^(1/5)``,
    so its kernel standard deviation is eq. 17's ``lambda_k = sigma_k (4 / (3 l))^0.2``. A
    Gaussian KDE puts some mass on rates at or below zero, where ``1 / vs`` has no finite
    integral; 001 does not say what to do: the density is truncated to
    ``[max(min - 8 lambda, min / 100), max + 8 lambda]`` and renormalised. The integral is
    taken in ``u = ln vs`` (``int p(e^u) du``) on ``grid`` points, which stays accurate when
    the lower end is close to zero.

    Parameters
    ----------
    rates
        Measured rates (bit/s), at least one; one rate (or all equal) gives ``1 / rate``.
    grid
        Integration points.
    """
    v = np.asarray(rates, dtype=float)
    if v.ndim != 1 or v.size == 0 or not np.isfinite(v).all() or (v <= 0).any():
        raise InputError("Vs", "measured rates must be a non-empty list of positive numbers")
    return _expected_inverse_rate(tuple(float(r) for r in v), grid)


@lru_cache(maxsize=512)
def _expected_inverse_rate(rates: tuple[float, ...], grid: int) -> float:
    """The body of :func:`expected_inverse_rate`, cached by the rates' values."""
    v = np.asarray(rates, dtype=float)
    if v.size == 1 or np.ptp(v) <= 1e-12 * v.max():
        return float(1.0 / v.mean())
    from scipy.stats import gaussian_kde

    kde = gaussian_kde(v, bw_method="silverman")
    lam = float(np.sqrt(kde.covariance[0, 0]))
    lo = max(v.min() - 8 * lam, v.min() / 100)
    hi = v.max() + 8 * lam
    u = np.linspace(np.log(lo), np.log(hi), grid)
    dens = kde(np.exp(u))
    inv = np.trapezoid(dens, u)  # int p(v) / v dv
    mass = np.trapezoid(dens * np.exp(u), u)  # int p(v) dv
    return float(inv / mass)


# ----------------------------------------------------------------------------- the model
@dataclass(frozen=True)
class ConstraintTable:
    """Every quantity of 001 eq. 8-20 at every position ``j = 0..N`` (arrays over j last).

    Attributes
    ----------
    Zt
        ``Zt^j`` (N + 1,), FLOP.
    Dt
        ``Dt^j`` (N + 1,), bytes (eq. 10).
    memory_limit
        ``lambda0 P0``.
    T_qp, T_cp, T_ec, T_te, T
        Per task (K, N + 1), seconds; ``T_te`` is (K,). ``T`` is C2's left side (with or
        without ``T_cp``). Infinite where the node's queue is unstable.
    energy
        Per node (x, N + 1), J (eq. 20).
    stable
        Per node (x, N + 1): ``lambda_v Zt^j < F_v``.
    ok_c1, ok_c2, ok_c3, feasible
        (N + 1,) booleans.
    """

    Zt: np.ndarray
    Dt: np.ndarray
    memory_limit: float
    T_qp: np.ndarray
    T_cp: np.ndarray
    T_ec: np.ndarray
    T_te: np.ndarray
    T: np.ndarray
    energy: np.ndarray
    stable: np.ndarray
    ok_c1: np.ndarray
    ok_c2: np.ndarray
    ok_c3: np.ndarray
    feasible: np.ndarray

    def violations(self, inst: Instance, j: int) -> list[str]:
        """The constraints position ``j`` violates, named after 001's equations."""
        v = Violations()
        v.check(bool(self.ok_c1[j]), "C1 memory Dt^j <= lambda0 P0 (001 eq. 10, 22)",
                f"j={j}: Dt = {self.Dt[j]:.6g} B > {self.memory_limit:.6g} B")
        nodes = inst.nodes_of_tasks()
        for n in np.flatnonzero(~self.stable[:, j]):
            if (nodes == n).any():
                v.check(False, "C2 queue stability (001 eq. 12)",
                        f"j={j}: node {int(n)} receives {_arrival(inst)[n]:.6g} tasks/s "
                        f"but serves {inst.F[n] / max(self.Zt[j], 1e-300):.6g}/s")
        late = np.flatnonzero(self.T[:, j] > inst.T_max * (1 + 1e-12))
        if late.size and np.isfinite(self.T[late, j]).any():
            k = int(late[np.argmax(np.where(np.isfinite(self.T[late, j]), self.T[late, j],
                                            -1.0))])
            v.check(False, "C2 latency T_k(j) <= T_max (001 eq. 11-17, 22)",
                    f"j={j}: {late.size} task(s) late, worst task {k}: {self.T[k, j]:.6g} s > "
                    f"{inst.T_max:.6g} s")
        for n in np.flatnonzero(self.energy[:, j] > np.asarray(inst.E) * (1 + 1e-12)):
            v.check(False, "C3 energy E_v(j) <= E_v (001 eq. 18-20, 22)",
                    f"j={j}: node {int(n)} spends {self.energy[n, j]:.6g} J > "
                    f"{inst.E[n]:.6g} J")
        return v.items


def _arrival(inst: Instance) -> np.ndarray:
    """Arrival rate at each node, ``lambda_v = sum_{k: n(k)=v} a_k`` (001 eq. 12)."""
    return np.bincount(inst.nodes_of_tasks(), weights=np.asarray(inst.a, dtype=float),
                       minlength=inst.x)


def uplink_times(inst: Instance) -> np.ndarray:
    """``T_te`` of every task (001 eq. 16-17): ``8 De_k E[1 / vs_k]``, seconds."""
    inv = [expected_inverse_rate(r) for r in inst.Vs]
    per_task = np.full(inst.K, inv[0]) if len(inv) == 1 else np.asarray(inv)
    return 8.0 * np.asarray(inst.De, dtype=float) * per_task


def constraint_table(inst: Instance) -> ConstraintTable:
    """Evaluate 001 eq. 8-20 at every offloading position ``j = 0..N`` at once.

    :func:`evaluate`, ``enumerate`` and ``tmoa`` all read this table, so they agree.
    """
    Zt = np.concatenate([[0.0], np.cumsum(np.asarray(inst.Z, dtype=float))])  # eq. 8
    Dt = np.concatenate([[0.0], np.cumsum(np.asarray(inst.Par, dtype=float)
                                          + np.asarray(inst.Map, dtype=float))])  # eq. 10
    limit = inst.lambda0 * min(inst.P)
    sent = np.concatenate([[inst.Map_in], np.asarray(
        inst.Map if inst.Map_sent is None else inst.Map_sent, dtype=float)])
    F = np.asarray(inst.F, dtype=float)[:, None]  # (x, 1)
    lam = _arrival(inst)[:, None]
    load = lam * Zt[None, :]  # (x, N+1), FLOP/s demanded
    stable = load < F
    with np.errstate(divide="ignore", invalid="ignore"):
        t_e = Zt[None, :] / F  # eq. 11 (per node)
        t_w = np.where(stable, lam * Zt[None, :] ** 2 / (F * (F - load)), np.inf)  # eq. 12
    nodes = inst.nodes_of_tasks()
    T_qp = (t_e + t_w)[nodes]  # eq. 13, (K, N+1)
    T_cp = np.broadcast_to((Zt[-1] - Zt) / inst.F_c, T_qp.shape)  # eq. 14
    rate = np.minimum(inst.W_H, np.asarray(inst.L, dtype=float))[nodes]  # eq. 15
    T_ec = 8.0 * sent[None, :] / rate[:, None]
    T_te = uplink_times(inst)  # eq. 16-17
    T = T_qp + T_ec + T_te[:, None] + (T_cp if inst.C2_includes_T_cp else 0.0)
    count = np.bincount(nodes, minlength=inst.x)[:, None]
    per_task = (np.asarray(inst.e, dtype=float)[:, None] * Zt[None, :] / F  # eq. 18
                + np.asarray(inst.omega, dtype=float)[:, None] * Zt[None, :] * F)  # eq. 19
    energy = count * per_task  # eq. 20
    ok_c1 = Dt <= limit * (1 + 1e-12)
    used = count[:, 0] > 0
    ok_c2 = (T <= inst.T_max * (1 + 1e-12)).all(axis=0) & stable[used].all(axis=0)
    ok_c3 = (energy <= np.asarray(inst.E, dtype=float)[:, None] * (1 + 1e-12)).all(axis=0)
    return ConstraintTable(Zt=Zt, Dt=Dt, memory_limit=limit, T_qp=T_qp, T_cp=np.array(T_cp),
                           T_ec=T_ec, T_te=T_te, T=T, energy=energy, stable=stable,
                           ok_c1=ok_c1, ok_c2=ok_c2, ok_c3=ok_c3,
                           feasible=ok_c1 & ok_c2 & ok_c3)


def evaluate(inst: Instance, sol: Solution) -> Evaluation:
    """Feasibility of position ``j`` under C1-C3 (001 eq. 22) and its objective ``j``.

    The objective is **maximised** (001 eq. 21: the deepest feasible layer); the solvers'
    gaps use :func:`compare`. A position outside ``0..N`` is bad input (:class:`InputError`).
    """
    j = sol.j
    if not 0 <= j <= inst.N:
        raise InputError("solution.j", f"offloading position {j} out of range 0..{inst.N}")
    tab = constraint_table(inst)
    return Evaluation(
        feasible=bool(tab.feasible[j]),
        objective=float(j),
        objectives=objectives_at(inst, tab, j),
        violations=tab.violations(inst, j),
        details={"T": tab.T[:, j].tolist(), "energy": tab.energy[:, j].tolist()},
    )


def objectives_at(inst: Instance, tab: ConstraintTable, j: int) -> dict[str, float]:
    """Position ``j`` with its memory, worst and mean task delay, total energy, and the worst
    node's energy as a share of its limit (the figures of 001 Figs. 5-6 and Table 2)."""
    return {"j": float(j), "Dt_bytes": float(tab.Dt[j]), "T_worst_s": float(tab.T[:, j].max()),
            "T_mean_s": float(tab.T[:, j].mean()),
            "energy_total_J": float(tab.energy[:, j].sum()),
            "energy_worst_ratio": float((tab.energy[:, j] / np.asarray(inst.E)).max())}


def compare(inst: Instance, exact: Any, heuristic: Any) -> dict[str, Any]:
    """Gap of a heuristic's position against the exact (deepest feasible) one.

    ``gap = (j* - j) / max(j*, 1)``: the share of the optimal edge depth the heuristic gives
    up (0 when it finds the optimum); ``layers_short = j* - j``. None when either has no
    solution.
    """
    out: dict[str, Any] = {"gap": None, "gap_to_bound": None, "layers_short": None}
    if exact.solution is None or heuristic.solution is None:
        return out
    best, got = int(exact.solution["j"]), int(heuristic.solution["j"])
    out["layers_short"] = best - got
    out["gap"] = out["gap_to_bound"] = (best - got) / max(best, 1)
    return out


# ----------------------------------------------------------------------------- MILP
def build_pyomo(inst: Instance) -> Any:
    """001 P1 (eq. 21-22) as a MILP with one binary per position, for export and checking.

    ::

        max  sum_j j x_j                                                   (eq. 21)
        s.t. sum_j x_j = 1                                     (one_position)
             sum_j Dt^j x_j <= lambda0 P0                      (eq22_C1_memory)
             sum_j T_k(j) x_j <= T_max         for every task  (eq22_C2_latency)
             sum_j E_v(j) x_j <= E_v           for every node  (eq22_C3_energy)
             x_j in {0, 1}

    The coefficients are :func:`constraint_table`'s. Positions where a node's queue is
    unstable (001 eq. 12) have no finite delay: their ``x_j`` is fixed to 0.
    """
    import pyomo.environ as pyo

    tab = constraint_table(inst)
    T = np.where(np.isfinite(tab.T), tab.T, 0.0)
    m = pyo.ConcreteModel(name="offload_position")
    m.J = pyo.RangeSet(0, inst.N)
    m.K = pyo.RangeSet(0, inst.K - 1)
    m.V = pyo.RangeSet(0, inst.x - 1)
    m.x = pyo.Var(m.J, domain=pyo.Binary)
    m.eq21_depth = pyo.Objective(expr=sum(j * m.x[j] for j in m.J), sense=pyo.maximize)
    m.one_position = pyo.Constraint(expr=sum(m.x[j] for j in m.J) == 1)
    m.eq22_C1_memory = pyo.Constraint(
        expr=sum(float(tab.Dt[j]) * m.x[j] for j in m.J) <= float(tab.memory_limit))
    m.eq22_C2_latency = pyo.Constraint(m.K, rule=lambda mdl, k: sum(
        float(T[k, j]) * mdl.x[j] for j in mdl.J) <= float(inst.T_max))
    m.eq22_C3_energy = pyo.Constraint(m.V, rule=lambda mdl, v: sum(
        float(tab.energy[v, j]) * mdl.x[j] for j in mdl.J) <= float(inst.E[v]))
    for j in m.J:
        if not np.isfinite(tab.T[:, j]).all():
            m.x[j].fix(0)  # eq. 12: unstable queue
    return m


def solution_from_pyomo(m: Any) -> int:
    """The position chosen in a solved :func:`build_pyomo` model."""
    import pyomo.environ as pyo

    return int(max(m.J, key=lambda j: pyo.value(m.x[j], exception=False) or 0.0))


# ----------------------------------------------------------------------------- profiles
@dataclass(frozen=True)
class LayerTable:
    """Per-layer work and bytes of a profile in one of two views (see :func:`layer_table`)."""

    names: tuple[str, ...]
    labels: tuple[str, ...]
    Z: np.ndarray
    Par: np.ndarray
    Map: np.ndarray
    Map_sent: np.ndarray
    Map_in: float
    paper_layer: np.ndarray


def _conv_geometry(node: Any) -> tuple[int, int, int, int]:
    """``(M^2, Ck^2, C_{i-1}, C_i)`` of a conv or linear node from 001 eq. 9's inputs."""
    a = node.attrs
    if node.op == "linear":
        return 1, 1, int(a["in_features"]), int(a["out_features"])
    ms = a["input_shape"][2:]
    ck, st, po = a["kernel_size"], a["stride"], a["padding"]
    dil = a.get("dilation", [1, 1])
    m2 = 1
    for d in range(len(ms)):
        k_eff = dil[d] * (ck[d] - 1) + 1
        m2 *= (ms[d] - k_eff + 2 * po[d]) // st[d] + 1  # eq. 9
    groups = int(a.get("groups", 1))
    return m2, int(np.prod(ck)), int(a["in_channels"]) // groups, int(a["out_channels"])


def _is_paper_layer(node: Any) -> bool:
    """A conv or linear node that is not a residual projection: ResNet-34's 34 layers."""
    return node.op in ("conv2d", "linear") and "downsample" not in node.target


def layer_table(profile: Any, view: Literal["paper", "chain"] = "paper",
                work: Literal["flops", "macs"] = "flops") -> LayerTable:
    """Per-layer Z, Par and Map of a profile (one input), in 001's view or the chain view.

    ``"paper"``: 001 eq. 8-10 literally: every conv and linear layer (not the 1x1 residual
    projections) is a layer, ``Z_i = M_i^2 Ck_i^2 C_{i-1} C_i`` (eq. 8-9 from the layer's
    geometry), ``Par_i = Ck_i^2 C_{i-1} C_i`` weights (no bias, as 001), ``Map_i = M_i^2 C_i``
    (eq. 10), 4 bytes each. Normalisation, activations, pooling and additions are ignored, and
    so is the residual tensor a cut inside a ResNet block would also have to send: this is how
    001 counts ResNet-34's 34 layers. ``"chain"``: the profile's valid single-tensor cut points
    (:meth:`Profile.chain`), every node's work, parameters and output maps included;
    ``Map_sent`` is the one tensor that crosses each cut.

    ``work``: ``"flops"`` counts 2 FLOP per multiply-accumulate (node speeds in FLOP/s);
    ``"macs"`` gives eq. 8's count as printed. ``paper_layer`` is, for every position
    ``j = 0..N``, the number of 001-style layers on the edge.
    """
    batch = profile.batch_size
    paper_nodes = [n for n in profile.nodes if _is_paper_layer(n)]
    if view == "paper":
        if not paper_nodes:
            raise InputError("view", f"profile {profile.model} has no conv or linear layer")
        rows = [_conv_geometry(n) for n in paper_nodes]
        macs = np.array([m2 * ck2 * c0 * c1 for m2, ck2, c0, c1 in rows], dtype=float)
        par = np.array([4.0 * ck2 * c0 * c1 for _, ck2, c0, c1 in rows])
        maps = np.array([4.0 * m2 * c1 for m2, _, _, c1 in rows])
        names = tuple(n.name for n in paper_nodes)
        labels = tuple(_label(n) for n in paper_nodes)
        z = 2.0 * macs if work == "flops" else macs
        first = profile.nodes[0]
        return LayerTable(names, labels, z, par, maps, maps, float(first.output_bytes) / batch,
                          np.arange(len(names) + 1))
    if view != "chain":
        raise InputError("view", f"must be 'paper' or 'chain' (got {view!r})")
    chain = profile.chain()
    z = (chain.flops if work == "flops" else chain.macs) / batch
    counted = np.cumsum([_is_paper_layer(n) for n in profile.nodes])
    paper_layer = np.array([int(counted[c.position]) for c in chain.cuts])
    last, labels_at = "input", []  # label of the last 001-style layer up to each node
    for n in profile.nodes:
        last = _label(n) if _is_paper_layer(n) else last
        labels_at.append(last)
    labels = tuple(labels_at[c.position] for c in chain.cuts[1:])
    maps = np.array([sum(profile.node(m).output_bytes for m in seg)
                     for seg in chain.segment_nodes], dtype=float) / batch
    return LayerTable(tuple(chain.segment_names), labels, np.asarray(z, dtype=float),
                      chain.param_bytes.astype(float), maps,
                      chain.crossing_bytes[1:].astype(float) / batch,
                      float(chain.crossing_bytes[0]) / batch, paper_layer)


def _label(node: Any) -> str:
    """001 Table 1's layer label: ``3x3 conv, 064`` or ``fc, 1000``."""
    if node.op == "linear":
        return f"fc, {node.attrs['out_features']}"
    k = node.attrs["kernel_size"]
    return f"{k[0]}x{k[1]} conv, {node.attrs['out_channels']:03d}"


def from_profile(profile: Any, *, F: list[float], P: list[float], E: list[float],
                 L: list[float], e: list[float], omega: list[float], a: list[float],
                 Vs: list[list[float]], F_c: float, W_H: float, T_max: float,
                 De: list[float] | None = None, assign: list[int] | None = None,
                 lambda0: float = 0.8, view: Literal["paper", "chain"] = "paper",
                 work: Literal["flops", "macs"] = "flops", C2_includes_T_cp: bool = True,
                 name: str | None = None) -> Instance:
    """An instance from a profile (layers by :func:`layer_table`) and explicit node and task data.

    ``De`` defaults to the raw input's bytes for every task. Node lists (``F, P, E, L, e,
    omega``) have one entry per node, task lists (``a``, ``De``, ``assign``) one per task.
    """
    tab = layer_table(profile, view=view, work=work)
    k = len(a)
    return Instance(
        name=name or f"{profile.model}-{view}-{len(F)}nodes",
        layers=list(tab.names), Z=tab.Z.tolist(), Par=tab.Par.tolist(), Map=tab.Map.tolist(),
        Map_sent=None if view == "paper" else tab.Map_sent.tolist(), Map_in=tab.Map_in,
        F=list(F), P=list(P), E=list(E), L=list(L), e=list(e),
        omega=list(omega), a=list(a), De=list(De) if De is not None else [tab.Map_in] * k,
        Vs=[list(r) for r in Vs], assign=assign, F_c=F_c, W_H=W_H, T_max=T_max,
        lambda0=lambda0, C2_includes_T_cp=C2_includes_T_cp,
        meta={"profile": profile.model, "input_shape": profile.input_shape, "view": view,
              "work": work, "labels": list(tab.labels),
              "paper_layer": tab.paper_layer.tolist()},
    )


def generate(seed: int, size: Literal["small", "paper"] = "small") -> Instance:
    """A random valid instance.

    ``small``: 3-8 layers, 2-4 nodes, 2-6 tasks. ``paper``: 34 layers (ResNet-34's count in
    001), 10, 20 or 30 nodes and 200 tasks. Work per layer is lognormal, feature maps shrink
    with depth with random jumps (so C2 is often not monotone in j), parameters grow. Memory,
    energy and delay limits are drawn against the instance's own curves so that each of C1-C3
    binds in some instances and a few instances are infeasible.
    """
    rng = np.random.default_rng(seed)
    if size == "small":
        n, x, k = int(rng.integers(3, 9)), int(rng.integers(2, 5)), int(rng.integers(2, 7))
    else:
        n, x, k = 34, int(rng.choice([10, 20, 30])), 200
    Z = rng.lognormal(np.log(2e8), 0.6, size=n)
    Map = 8e5 * np.exp(-np.linspace(0, 3, n)) * rng.lognormal(0, 0.7, size=n)
    Par = 2e5 * np.exp(np.linspace(0, 4, n)) * rng.lognormal(0, 0.3, size=n)
    Zt = np.concatenate([[0.0], np.cumsum(Z)])
    Dt = np.concatenate([[0.0], np.cumsum(Par + Map)])
    F = rng.uniform(2e10, 2e11, size=x)
    # C1: lambda0 P0 reaches a random depth (past N: memory never binds)
    P = Dt[min(int(rng.integers(1, n + 3)), n)] * rng.uniform(1.0, 1.4, size=x) / 0.8
    count = np.bincount(np.arange(k) % x, minlength=x)
    a = rng.uniform(0.5, 3.0, size=k) * x / k
    e = rng.uniform(2.0, 10.0, size=x)
    omega = rng.uniform(0.5, 2.0, size=x) * 1e-21
    # C3: the nodes can afford their tasks up to about one random depth
    reach = Zt[int(rng.integers(1, n + 1))] * rng.uniform(1.0, 1.3, size=x)
    E = np.maximum(count, 1) * reach * (e / F + omega * F)
    inst = Instance(
        name=f"random-{size}-{seed}", layers=[f"layer{i + 1}" for i in range(n)],
        Z=Z.tolist(), Par=Par.tolist(), Map=Map.tolist(), Map_in=float(Map[0] * 0.75),
        F=F.tolist(), P=P.tolist(), E=E.tolist(), L=rng.uniform(5e7, 5e8, size=x).tolist(),
        e=e.tolist(), omega=omega.tolist(), a=a.tolist(), De=[float(Map[0] * 0.75)] * k,
        Vs=[rng.uniform(5e6, 5e7, size=int(rng.integers(5, 30))).tolist()],
        F_c=float(rng.uniform(1e12, 1e13)), W_H=float(rng.uniform(2e7, 2e8)), T_max=1.0,
        meta={"generator": "offload_position.generate", "seed": seed, "size": size})
    # C2: T_max between the best and the worst position's delay (a little below, sometimes)
    worst = constraint_table(inst).T.max(axis=0)
    worst = worst[np.isfinite(worst)]
    lo, hi = (float(worst.min()), float(worst.max())) if worst.size else (1.0, 2.0)
    t_max = lo + float(rng.uniform(-0.05, 1.1)) * (hi - lo) if hi > lo else lo * 1.01
    inst.T_max = max(t_max, 0.5 * lo)
    return inst
