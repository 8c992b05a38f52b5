"""``joint_split_share``: every edge node's split point and its cloud share (002, DMCJIA).

Zheng 2021, "Research on cloud-edge joint task inference algorithm in edge intelligence",
J. Computers (paper 002). ``D`` edge nodes share one cloud. Node ``d`` runs task type ``K_d``
(a DNN with ``Gamma`` layers), receives tasks as a Poisson stream of rate ``lambda_d``, runs the
first ``gamma_d`` layers itself, sends the tensor ``M(gamma_d)`` over its uplink ``B_d`` and the
cloud runs the rest on its share ``delta_d`` of ``F_c``. Both sides are M/D/1 queues.

Delays of node d (002 eq. 3-1 to 3-6), with ``W_d = C - C(gamma_d)`` the cloud's work::

    mu_d        = F_d / C(gamma_d)                                            (eq. 3-1)
    T_d,edge    = lambda_d / (2 mu_d (mu_d - lambda_d)) + 1 / mu_d            (eq. 3-2)
    T_d,trans   = 8 M(gamma_d) / B_d          (M in bytes, B in bit/s)        (eq. 3-3)
    mu_d,c      = delta_d F_c / W_d                                           (eq. 3-4)
    T_d,cloud   = lambda_d / (2 mu_d,c (mu_d,c - lambda_d)) + 1 / mu_d,c      (eq. 3-5)
    T_d         = T_d,edge + T_d,trans + T_d,cloud                            (eq. 3-6)

Problem P1 (002 eq. 3-7)::

    min  (1/D) sum_d T_d
    s.t. sum_d delta_d <= 1, delta_d >= 0                                     (C1)
         gamma_d in {0, ..., Gamma}                                           (C2)
         lambda_d < mu_d  and  lambda_d < mu_d,c                              (C3, stability)
         mu_d <= mu_d,c   (only with ``cloud_faster``)                        (C3, 2nd part)

The cloud delay as a function of the share. With ``a = W_d / F_c`` (the cloud's service time
of one task on the whole cloud) eq. 3-5 is ``T_d,cloud = 0.5 a / (delta - lambda a) + 0.5 a /
delta``, convex and decreasing in ``delta`` on ``delta > lambda a``; :func:`cloud_delay` computes
it in this form (the identity is exact: ``lambda / (2 mu (mu - lambda)) + 1 / mu = 0.5 / (mu -
lambda) + 0.5 / mu``).

Cases 002 skips, and what we do:

- ``C(gamma) = 0`` (``gamma = 0``, or only zero-work layers on the edge): the edge does nothing,
  ``mu_d = inf`` and ``T_d,edge = 0``.
- ``W_d = 0`` (``gamma = Gamma``): the cloud does nothing, ``T_d,cloud = 0`` and ``delta_d`` may
  be 0; the tensor ``M(Gamma)`` is what is still sent (our profiles set it to 0: 002 ignores
  returning results, and at ``Gamma`` nothing else leaves the node).
- An unstable queue (``lambda_d >= mu``) makes the solution infeasible (``evaluate`` names it);
  an instance whose shares cannot keep every cloud queue stable at any split is infeasible, and
  :func:`infeasibility_reason` says why.
- 002's eq. 3-1 writes ``C_d(lambda_d)``: a typo for ``C_d(gamma_d)``. 002's eq. 3-11 writes
  the cloud delay as ``(X^2 - 1) / (2 lambda_d (delta_d))``; with ``X = lambda_d / mu_d,c - 1``
  the identity is ``(X^2 - 1) / (2 lambda_d X)``, which we use in the paper's inner method.
- 002 counts ResNet34 as 3.68 G "FLOPS", which is its multiply-accumulate count; ``work_unit``
  says whether ``C`` and ``F`` are in MAC and MAC/s (002's reading, default) or FLOP and FLOP/s.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from edgesplit.errors import InputError
from edgesplit.formulations.base import (
    Evaluation,
    InstanceBase,
    NonNegFloat,
    NonNegInt,
    PosFloat,
    SolutionBase,
    Violations,
)

PROBLEM = "joint_split_share"
EXPORT_FORMATS = (".lp", ".nl", ".gms")
#: Absolute tolerance of C1 (share budget) and of the "cloud faster" bound in ``evaluate``.
FEAS_TOL = 1e-9
#: Forms of the cloud delay in :func:`build_pyomo` (see its docstring).
PYOMO_FORMS = ("perspective", "compact")

__all__ = [
    "EXPORT_FORMATS",
    "FEAS_TOL",
    "PROBLEM",
    "PYOMO_FORMS",
    "TABLE5_BANDWIDTH",
    "TABLE5_EDGE",
    "TABLE5_LAMBDA",
    "Instance",
    "Options",
    "Solution",
    "TaskModel",
    "average_delay",
    "build_cvxpy",
    "build_pyomo",
    "cloud_delay",
    "evaluate",
    "from_profile",
    "generate",
    "infeasibility_reason",
    "layer_cuts",
    "md1_delay",
    "node_delays",
    "nondominated",
    "options",
    "solution_from_pyomo",
    "table5_instance",
    "task_model_from_profile",
]


# ----------------------------------------------------------------------------- instance
class TaskModel(BaseModel):
    """One task type's DNN as 002 sees it: work and output bytes at each split (002 Table 2).

    ``C[g]`` is the work of the first ``g`` layers, ``C(gamma)`` of 002 (``C[0] = 0`` in the
    usual case, ``C[Gamma]`` the whole model's ``C``); ``M[g]`` the bytes sent to the cloud when
    splitting after layer ``g``, ``M(gamma)`` of 002 (``M[0]`` is the raw input).
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    name: str = Field(default="model", description="Label, e.g. the profile's model name.")
    C: list[NonNegFloat] = Field(
        min_length=2,
        description="Cumulative work C(gamma) of the first gamma layers, gamma = 0..Gamma, in "
                    "the instance's work_unit (002 Table 2, eq. 3-1, 3-4).")
    M: list[NonNegFloat] = Field(
        min_length=2,
        description="Bytes M(gamma) sent to the cloud when splitting at gamma = 0..Gamma "
                    "(002 eq. 3-3); M[Gamma] is usually 0 (nothing leaves the node).")
    layers: list[str] | None = Field(
        default=None, description="Names of the Gamma layers (optional, for reports).")

    @model_validator(mode="after")
    def _check(self) -> TaskModel:
        if len(self.M) != len(self.C):
            raise ValueError(f"M: needs one entry per split point 0..Gamma, i.e. {len(self.C)} "
                             f"(got {len(self.M)})")
        c = np.asarray(self.C)
        if np.any(np.diff(c) < 0):
            i = int(np.flatnonzero(np.diff(c) < 0)[0])
            raise ValueError(f"C: cumulative work must not decrease (C[{i + 1}] < C[{i}])")
        if c[-1] <= 0:
            raise ValueError("C: the whole model's work C[Gamma] must be positive")
        if self.layers is not None and len(self.layers) != len(self.C) - 1:
            raise ValueError(f"layers: needs {len(self.C) - 1} names (got {len(self.layers)})")
        return self

    @property
    def Gamma(self) -> int:
        """Number of layers (split points are 0..Gamma)."""
        return len(self.C) - 1


class Instance(InstanceBase):
    """A joint_split_share instance (002 eq. 3-1 to 3-7); symbols as in 002 Table 2, SI units."""

    problem: Literal["joint_split_share"] = "joint_split_share"
    work_unit: Literal["MAC", "FLOP"] = Field(
        default="MAC",
        description="Unit of C (and of F_d, F_c per second). 002 counts ResNet34 as 3.68 G, its "
                    "MAC count, and calls it FLOPS: MAC is 002's unit.")
    F_d: list[PosFloat] = Field(
        min_length=1, description="Computing power of each edge node, work_unit/s (002 f_d).")
    lambda_d: list[PosFloat] = Field(
        min_length=1, description="Poisson task arrival rate of each node, 1/s (002 lambda_d).")
    B_d: list[PosFloat] = Field(
        min_length=1, description="Uplink bandwidth of each node to the cloud, bit/s (eq. 3-3).")
    F_c: PosFloat = Field(description="Total computing power of the cloud, work_unit/s "
                                      "(002 F_epsilon).")
    models: list[TaskModel] = Field(
        min_length=1, description="The DNN of each task type (002's K); one model is usual.")
    K_d: list[NonNegInt] | None = Field(
        default=None,
        description="Task type of each node: an index into models (002 K_d). Default: all 0.")
    cloud_faster: bool = Field(
        default=False,
        description="Also impose 002's C3 'cloud faster than edge', mu_d <= mu_d,c, for every "
                    "split that puts work on both sides.")

    @model_validator(mode="after")
    def _check_lengths(self) -> Instance:
        D = len(self.F_d)
        for name in ("lambda_d", "B_d"):
            if len(getattr(self, name)) != D:
                raise ValueError(f"{name}: needs one entry per edge node, i.e. {D} "
                                 f"(got {len(getattr(self, name))})")
        if self.K_d is not None:
            if len(self.K_d) != D:
                raise ValueError(f"K_d: needs one entry per edge node, i.e. {D} "
                                 f"(got {len(self.K_d)})")
            bad = [k for k in self.K_d if k >= len(self.models)]
            if bad:
                raise ValueError(f"K_d: task type {bad[0]} is not a model index "
                                 f"(0..{len(self.models) - 1})")
        elif len(self.models) != 1:
            raise ValueError("K_d: required when there is more than one model")
        return self

    @property
    def D(self) -> int:
        """Number of edge nodes."""
        return len(self.F_d)

    def task_of(self, d: int) -> TaskModel:
        """The task model of node ``d``."""
        return self.models[self.K_d[d] if self.K_d is not None else 0]

    def Gamma_d(self) -> np.ndarray:
        """Layers of each node's model (its largest split point)."""
        return np.array([self.task_of(d).Gamma for d in range(self.D)], dtype=int)


class Solution(SolutionBase):
    """Each node's split point and cloud share."""

    gamma: list[NonNegInt] = Field(description="Split point gamma_d of each node (002 C2).")
    delta: list[NonNegFloat] = Field(description="Cloud share delta_d of each node (002 C1).")


# ----------------------------------------------------------------------------- delays
def md1_delay(lam: Any, mu: Any) -> np.ndarray:
    """M/D/1 sojourn time ``lambda / (2 mu (mu - lambda)) + 1 / mu`` (002 eq. 3-2, 3-5).

    ``mu = inf`` (no work) gives 0; ``mu <= lambda`` (unstable) gives ``inf``.
    """
    lam, mu = np.broadcast_arrays(np.asarray(lam, float), np.asarray(mu, float))
    out = np.full(lam.shape, np.inf)
    out[np.isinf(mu)] = 0.0
    ok = np.isfinite(mu) & (mu > lam)
    m, la = mu[ok], lam[ok]
    out[ok] = la / (2.0 * m * (m - la)) + 1.0 / m
    return out


def cloud_delay(a: Any, lam: Any, delta: Any) -> np.ndarray:
    """Cloud sojourn time of eq. 3-5 as a function of the share, ``a = W / F_c``.

    ``0.5 a / (delta - lambda a) + 0.5 a / delta`` (equal to eq. 3-5 with ``mu = delta / a``);
    0 when ``a = 0`` (no cloud work), ``inf`` when ``delta <= lambda a`` (unstable).
    """
    a, lam, delta = np.broadcast_arrays(np.asarray(a, float), np.asarray(lam, float),
                                        np.asarray(delta, float))
    out = np.full(a.shape, np.inf)
    out[a == 0] = 0.0
    ok = (a > 0) & (delta > lam * a)
    aa, dd, la = a[ok], delta[ok], lam[ok]
    out[ok] = 0.5 * aa / (dd - la * aa) + 0.5 * aa / dd
    return out


@dataclass(frozen=True)
class Options:
    """Every (node, split) option as arrays of shape ``(D, G)``, ``G = max Gamma_d + 1``.

    Attributes
    ----------
    valid
        ``gamma <= Gamma_d`` (padding is False).
    edge_stable
        ``lambda_d C(gamma) < F_d`` (C3 on the edge).
    C, W
        Edge work ``C(gamma)`` and cloud work ``C - C(gamma)``.
    t_edge, t_trans
        Eq. 3-2 (``inf`` when unstable) and eq. 3-3, seconds.
    e
        ``t_edge + t_trans``: the part of ``T_d`` that does not depend on the share.
    a
        ``W / F_c``: the cloud's service time for one task on the whole cloud, seconds.
    lam
        ``lambda_d`` broadcast to ``(D, G)``.
    delta_min
        Closed lower bound on the share: ``F_d W / (F_c C(gamma))`` (``mu_d <= mu_d,c``) with
        ``cloud_faster``, else 0. Stability adds the open bound ``delta > lambda a``.
    """

    valid: np.ndarray
    edge_stable: np.ndarray
    C: np.ndarray
    W: np.ndarray
    t_edge: np.ndarray
    t_trans: np.ndarray
    e: np.ndarray
    a: np.ndarray
    lam: np.ndarray
    delta_min: np.ndarray

    @property
    def need(self) -> np.ndarray:
        """Least share an option needs: ``max(lambda a, delta_min)`` (0 without cloud work)."""
        return np.maximum(self.lam * self.a, self.delta_min)

    @property
    def usable(self) -> np.ndarray:
        """Options that can be part of a feasible solution on their own (edge stable and
        needing less than the whole cloud)."""
        n = self.need
        open_ = (self.a > 0) & (self.lam * self.a >= self.delta_min)
        fits = np.where(open_, n < 1.0, n <= 1.0)
        return self.valid & self.edge_stable & fits


def options(inst: Instance) -> Options:
    """The option table of every node and split (002 eq. 3-1 to 3-4), vectorised."""
    D = inst.D
    G = int(inst.Gamma_d().max()) + 1
    valid = np.zeros((D, G), dtype=bool)
    C = np.zeros((D, G))
    M = np.zeros((D, G))
    total = np.zeros(D)
    for d in range(D):
        task = inst.task_of(d)
        n = task.Gamma + 1
        valid[d, :n] = True
        C[d, :n] = task.C
        C[d, n:] = task.C[-1]
        M[d, :n] = task.M
        total[d] = task.C[-1]
    F = np.asarray(inst.F_d, float)[:, None]
    lam = np.broadcast_to(np.asarray(inst.lambda_d, float)[:, None], (D, G)).copy()
    B = np.asarray(inst.B_d, float)[:, None]
    W = np.maximum(total[:, None] - C, 0.0)
    with np.errstate(divide="ignore"):
        mu = np.where(C > 0, F / np.where(C > 0, C, 1.0), np.inf)  # eq. 3-1
    t_edge = md1_delay(lam, mu)  # eq. 3-2
    edge_stable = np.isfinite(t_edge)
    t_trans = 8.0 * M / B  # eq. 3-3
    a = W / inst.F_c
    delta_min = np.zeros((D, G))
    if inst.cloud_faster:  # mu_d <= mu_d,c  <=>  delta >= F_d W / (F_c C)
        both = (C > 0) & (W > 0)
        delta_min[both] = (F * W / (inst.F_c * np.where(C > 0, C, 1.0)))[both]
    return Options(valid=valid, edge_stable=edge_stable, C=C, W=W, t_edge=t_edge,
                   t_trans=t_trans, e=t_edge + t_trans, a=a, lam=lam, delta_min=delta_min)


def infeasibility_reason(inst: Instance, opts: Options | None = None) -> str | None:
    """Why no (gamma, delta) satisfies C1-C3, or None if some does.

    Every node needs at least the least share of its usable splits; the instance is feasible
    exactly when these needs fit in the cloud (strictly, where a need is the open stability
    bound ``delta > lambda a``).
    """
    opts = opts or options(inst)
    usable = opts.usable
    for d in range(inst.D):
        if not usable[d].any():
            return (f"node {d}: no split gamma in 0..{int(opts.valid[d].sum()) - 1} keeps its "
                    "queues stable (C3, 002 eq. 3-7) within the whole cloud")
    need = np.where(usable, opts.need, np.inf)
    least = need.min(axis=1)
    total = float(least.sum())
    strict = np.zeros(inst.D, dtype=bool)
    for d in range(inst.D):
        at = usable[d] & (need[d] <= least[d])
        closed = at & ((opts.a[d] == 0) | (opts.delta_min[d] > opts.lam[d] * opts.a[d]))
        strict[d] = not closed.any()
    if total > 1.0 or (total == 1.0 and strict.any()):
        return (f"C1 + C3 (002 eq. 3-7): even at each node's least cloud-hungry stable split "
                f"the cloud shares needed for stable cloud queues sum to {total:.6g} "
                f"{'>' if total > 1 else '='} 1")
    return None


def nondominated(opts: Options) -> np.ndarray:
    """Usable options that no other option of the same node dominates.

    Option ``g`` of node d is dominated by ``g'`` when ``g'`` has no more cloud work
    (``a' <= a``), needs no larger share for "cloud faster than edge" (``delta_min' <=
    delta_min``) and has no larger edge-plus-transfer delay (``e' <= e``): every share that
    ``g`` may take, ``g'`` may take too (stability needs ``delta > lambda a' `` with ``a' <=
    a``), and at every such share ``g'`` is at least as good, since the cloud delay grows with
    the cloud work. Among equal options the smaller split is kept. Dropping dominated options
    keeps an optimal solution.

    ``delta_min`` must be compared on its own: ``F_d W / (F_c C)`` falls along the splits, but
    the split that sends everything to the cloud (``C = 0``, no edge queue) has none, so a
    later split with less cloud work may still need a larger share.
    """
    keep = np.zeros_like(opts.valid)
    usable = opts.usable
    for d in range(opts.valid.shape[0]):
        idx = np.flatnonzero(usable[d])
        a, dmin, e = opts.a[d, idx], opts.delta_min[d, idx], opts.e[d, idx]
        # weak[x, y]: option y is no worse than option x in all three
        weak = (a[None, :] <= a[:, None]) & (dmin[None, :] <= dmin[:, None]) & \
            (e[None, :] <= e[:, None])
        equal = (a[None, :] == a[:, None]) & (dmin[None, :] == dmin[:, None]) & \
            (e[None, :] == e[:, None])
        earlier = idx[None, :] < idx[:, None]
        dominated = (weak & (~equal | earlier)).any(axis=1)
        keep[d, idx[~dominated]] = True
    return keep


def node_delays(inst: Instance, gamma: Any, delta: Any,
                opts: Options | None = None) -> dict[str, np.ndarray]:
    """Per-node delays of eq. 3-2, 3-3, 3-5, 3-6 for splits ``gamma`` and shares ``delta``.

    Vectorised over the nodes; ``inf`` marks an unstable queue. Used by :func:`evaluate` and by
    every method that scores a candidate.
    """
    opts = opts or options(inst)
    g = np.asarray(gamma, dtype=int)
    dl = np.asarray(delta, dtype=float)
    rows = np.arange(inst.D)
    t_edge = opts.t_edge[rows, g]
    t_trans = opts.t_trans[rows, g]
    t_cloud = cloud_delay(opts.a[rows, g], opts.lam[rows, g], dl)  # eq. 3-4, 3-5
    return {"T_edge": t_edge, "T_trans": t_trans, "T_cloud": t_cloud,
            "T": t_edge + t_trans + t_cloud}  # eq. 3-6


def average_delay(inst: Instance, gamma: Any, delta: Any, opts: Options | None = None) -> float:
    """The objective of P1 (002 eq. 3-7): ``(1/D) sum_d T_d``; ``inf`` if a queue is unstable."""
    return float(np.mean(node_delays(inst, gamma, delta, opts)["T"]))


# ----------------------------------------------------------------------------- evaluate
def evaluate(inst: Instance, sol: Solution) -> Evaluation:
    """Feasibility (C1-C3 of 002 eq. 3-7) and the average delay of P1.

    A split outside ``0..Gamma_d`` or a list of the wrong length is bad input
    (:class:`InputError`). An unstable queue is a violation and leaves ``objective`` None.
    """
    D = inst.D
    for name in ("gamma", "delta"):
        if len(getattr(sol, name)) != D:
            raise InputError(f"solution.{name}", f"needs one entry per edge node, i.e. {D} "
                                                 f"(got {len(getattr(sol, name))})")
    Gam = inst.Gamma_d()
    for d, g in enumerate(sol.gamma):
        if g > Gam[d]:
            raise InputError(f"solution.gamma.{d}", f"split {g} out of range 0..{Gam[d]} (C2)")
    opts = options(inst)
    rows = np.arange(D)
    g = np.asarray(sol.gamma, dtype=int)
    dl = np.asarray(sol.delta, dtype=float)
    v = Violations()
    total = float(dl.sum())
    v.check(total <= 1.0 + FEAS_TOL, "C1 share budget (002 eq. 3-7)",
            f"sum of delta = {total:.12g} > 1")
    delays = node_delays(inst, g, dl, opts)
    a, lam = opts.a[rows, g], opts.lam[rows, g]
    for d in range(D):
        v.check(bool(opts.edge_stable[d, g[d]]), "C3 edge stability lambda_d < mu_d "
                "(002 eq. 3-1, 3-7)", f"node {d}, gamma {g[d]}: lambda = {lam[d]:.6g} >= mu = "
                f"{inst.F_d[d] / opts.C[d, g[d]]:.6g}" if opts.C[d, g[d]] > 0 else "")
        if a[d] > 0:
            v.check(dl[d] > lam[d] * a[d], "C3 cloud stability lambda_d < mu_d,c "
                    "(002 eq. 3-4, 3-7)",
                    f"node {d}, gamma {g[d]}: delta = {dl[d]:.6g} <= lambda W / F_c = "
                    f"{lam[d] * a[d]:.6g}")
            dmin = opts.delta_min[d, g[d]]
            v.check(dl[d] >= dmin - FEAS_TOL, "C3 cloud faster than edge mu_d <= mu_d,c "
                    "(002 eq. 3-7)", f"node {d}, gamma {g[d]}: delta = {dl[d]:.6g} < "
                    f"F_d W / (F_c C) = {dmin:.6g}")
    T = delays["T"]
    objective = float(T.mean()) if np.all(np.isfinite(T)) else None
    return Evaluation(
        feasible=not v,
        objective=objective,
        objectives=None,
        violations=v.items,
        details={k: val.tolist() for k, val in delays.items()} | {"share_sum": total},
    )


# ----------------------------------------------------------------------------- models
def _model_data(inst: Instance, prune: bool) -> tuple[Options, list[tuple[int, int]],
                                                   list[tuple[int, int]]]:
    """Options, the (node, split) pairs of the model, and those with cloud work."""
    opts = options(inst)
    allowed = nondominated(opts) if prune else opts.valid
    pairs = [(int(d), int(g)) for d, g in zip(*np.nonzero(allowed), strict=True)]
    cloud = [(d, g) for d, g in pairs if opts.a[d, g] > 0]
    return opts, pairs, cloud


def build_pyomo(inst: Instance, form: Literal["perspective", "compact"] = "perspective",
                prune: bool = False) -> Any:
    """P1 (002 eq. 3-7) as a Pyomo MINLP, one binary per (node, split).

    Variables: ``x[d,g]`` = 1 if node d splits at g (so ``gamma_d = sum_g g x[d,g]``, C2),
    ``delta[d]`` its share. The share-independent delays ``e[d,g] = T_edge + T_trans``
    (eq. 3-2, 3-3) are constants per option. With ``a = W(g) / F_c``::

        min  (1/D) sum_d [ sum_g e[d,g] x[d,g] + T_cloud[d] ]                 (eq. 3-7)
        s.t. sum_g x[d,g] = 1                                   C2_one_split[d]
             sum_d delta[d] <= 1                                C1_share_budget
             x[d,g] = 0 for lambda_d C(g) >= F_d                C3_edge_stability[d]

    ``form="perspective"`` (default) splits each share over the splits, ``delta[d] = sum_g
    ds[d,g]`` with ``ds[d,g] <= x[d,g]`` (eq3_4_share_split, eq3_4_share_on_split), names the
    share above the stability limit ``u[d,g] = ds[d,g] - lambda a x[d,g] >= 0`` (eq3_4_excess,
    C3 on the cloud: ``u / a = mu_d,c - lambda_d``) and writes eq. 3-5 as the perspective of
    ``0.5 a / (delta - lambda a) + 0.5 a / delta``::

        T_cloud[d] = sum_g 0.5 a (tq[d,g] + ts[d,g])
        tq[d,g] u[d,g] >= x[d,g]^2                               eq3_5_queue
        ts[d,g] ds[d,g] >= x[d,g]^2                              eq3_5_service

    two rotated second-order cones per option (product of two nonnegative variables above a
    square, which SCIP recognises as a cone): a convex relaxation at fractional x, so SCIP
    solves it by branch and bound without spatial branching. Writing ``u`` out as a variable
    matters: with the product ``tq (ds - lambda a x)`` SCIP did not detect the cone and its
    bound stalled (about 10x slower at D = 20). ``form="compact"`` keeps one share
    per node, ``A[d] = sum_g a x[d,g]``, and the bilinear epigraphs ``tq[d] (delta[d] - lambda
    A[d]) >= 0.5 A[d]`` and ``ts[d] delta[d] >= 0.5 A[d]``: nonconvex, and SCIP has been seen to
    stall on it (DESIGN.md "Known pitfalls"); it is kept to compare.

    With ``cloud_faster`` both forms add ``delta >= F_d W / (F_c C) x`` (C3_cloud_faster).

    ``prune=True`` leaves out the options that are unusable (edge unstable, or needing more
    than the whole cloud) or dominated (:func:`nondominated`): a smaller model with the same
    optimum. The default, ``False``, is P1 as written, for export.
    """
    import pyomo.environ as pyo

    if form not in PYOMO_FORMS:
        raise InputError("form", f"unknown form {form!r}; known: {', '.join(PYOMO_FORMS)}")
    opts, pairs, cloud = _model_data(inst, prune)
    m = pyo.ConcreteModel(name=f"joint_split_share_{form}")
    m.N = pyo.Set(initialize=range(inst.D), ordered=True)
    m.P = pyo.Set(initialize=pairs, dimen=2, ordered=True)
    m.PC = pyo.Set(initialize=cloud, dimen=2, ordered=True)
    m.x = pyo.Var(m.P, domain=pyo.Binary)
    m.delta = pyo.Var(m.N, bounds=(0.0, 1.0))
    _add_c2_one_split(m)
    _add_c1_share_budget(m)
    _add_c3_edge_stability(m, opts)
    if form == "perspective":
        cloud_time = _add_eq3_5_perspective(m, inst, opts)
    else:
        cloud_time = _add_eq3_5_compact(m, inst, opts)
    e = {(d, g): float(opts.e[d, g]) if opts.edge_stable[d, g] else 0.0 for d, g in pairs}
    m.eq3_7_average_delay = pyo.Objective(
        expr=(sum(e[p] * m.x[p] for p in m.P) + cloud_time) / inst.D, sense=pyo.minimize)
    return m


def _add_c2_one_split(m: Any) -> None:
    """C2: each node picks exactly one split point, ``sum_g x[d,g] = 1``."""
    import pyomo.environ as pyo

    m.C2_one_split = pyo.Constraint(
        m.N, rule=lambda m, d: sum(m.x[p] for p in m.P if p[0] == d) == 1)


def _add_c1_share_budget(m: Any) -> None:
    """C1: ``sum_d delta_d <= 1``."""
    import pyomo.environ as pyo

    m.C1_share_budget = pyo.Constraint(expr=sum(m.delta[d] for d in m.N) <= 1)


def _add_c3_edge_stability(m: Any, opts: Options) -> None:
    """C3 on the edge: splits with ``lambda_d C(g) >= F_d`` (eq. 3-1, 3-2 unstable) are barred."""
    import pyomo.environ as pyo

    bad = {d: [p for p in m.P if p[0] == d and not opts.edge_stable[p]] for d in m.N}
    nodes = [d for d in m.N if bad[d]]
    m.C3_edge_stability = pyo.Constraint(
        nodes, rule=lambda m, d: sum(m.x[p] for p in bad[d]) == 0)


def _add_eq3_5_perspective(m: Any, inst: Instance, opts: Options) -> Any:
    """Eq. 3-4/3-5 in perspective form over the disaggregated shares ``ds[d,g]``."""
    import pyomo.environ as pyo

    m.ds = pyo.Var(m.PC, bounds=(0.0, 1.0))
    m.u = pyo.Var(m.PC, bounds=(0.0, 1.0))  # C3 on the cloud: u >= 0
    m.tq = pyo.Var(m.PC, domain=pyo.NonNegativeReals)
    m.ts = pyo.Var(m.PC, domain=pyo.NonNegativeReals)
    m.eq3_4_share_split = pyo.Constraint(
        m.N, rule=lambda m, d: m.delta[d] == sum(m.ds[p] for p in m.PC if p[0] == d))
    m.eq3_4_share_on_split = pyo.Constraint(m.PC, rule=lambda m, d, g: m.ds[d, g] <= m.x[d, g])
    lam_a = {p: float(opts.lam[p] * opts.a[p]) for p in m.PC}
    m.eq3_4_excess = pyo.Constraint(
        m.PC, rule=lambda m, d, g: m.u[d, g] == m.ds[d, g] - lam_a[d, g] * m.x[d, g])
    m.eq3_5_queue = pyo.Constraint(
        m.PC, rule=lambda m, d, g: m.tq[d, g] * m.u[d, g] >= m.x[d, g] ** 2)
    m.eq3_5_service = pyo.Constraint(
        m.PC, rule=lambda m, d, g: m.ts[d, g] * m.ds[d, g] >= m.x[d, g] ** 2)
    if inst.cloud_faster:
        need = [p for p in m.PC if opts.delta_min[p] > 0]
        m.C3_cloud_faster = pyo.Constraint(
            need, rule=lambda m, d, g: m.ds[d, g] >= float(opts.delta_min[d, g]) * m.x[d, g])
    return sum(0.5 * float(opts.a[p]) * (m.tq[p] + m.ts[p]) for p in m.PC)


def _add_eq3_5_compact(m: Any, inst: Instance, opts: Options) -> Any:
    """Eq. 3-4/3-5 with one share per node: bilinear epigraphs (nonconvex)."""
    import pyomo.environ as pyo

    def work(m: Any, d: int) -> Any:
        return sum(float(opts.a[p]) * m.x[p] for p in m.PC if p[0] == d)

    lam = inst.lambda_d
    m.tq = pyo.Var(m.N, domain=pyo.NonNegativeReals)
    m.ts = pyo.Var(m.N, domain=pyo.NonNegativeReals)
    m.eq3_5_queue = pyo.Constraint(
        m.N, rule=lambda m, d: m.tq[d] * (m.delta[d] - lam[d] * work(m, d)) >= 0.5 * work(m, d))
    m.eq3_5_service = pyo.Constraint(
        m.N, rule=lambda m, d: m.ts[d] * m.delta[d] >= 0.5 * work(m, d))
    m.C3_cloud_stability = pyo.Constraint(
        m.N, rule=lambda m, d: m.delta[d] - lam[d] * work(m, d) >= 0)
    if inst.cloud_faster:
        m.C3_cloud_faster = pyo.Constraint(
            m.N, rule=lambda m, d: m.delta[d] >= sum(float(opts.delta_min[p]) * m.x[p]
                                                     for p in m.PC if p[0] == d))
    return sum(m.tq[d] + m.ts[d] for d in m.N)


def solution_from_pyomo(inst: Instance, m: Any) -> tuple[list[int], list[float]]:
    """Splits and shares of a solved :func:`build_pyomo` model."""
    import pyomo.environ as pyo

    gamma = []
    for d in range(inst.D):
        cands = [(pyo.value(m.x[p], exception=False) or 0.0, p[1]) for p in m.P if p[0] == d]
        gamma.append(max(cands)[1])
    delta = [max(0.0, float(pyo.value(m.delta[d], exception=False) or 0.0))
             for d in range(inst.D)]
    return gamma, delta


def build_cvxpy(inst: Instance, prune: bool = True) -> tuple[Any, dict[str, Any]]:
    """P1 as a mixed-integer SOCP in cvxpy (the perspective form of :func:`build_pyomo`).

    One Boolean ``x_i`` and one share ``ds_i`` per usable option ``i = (d, g)``; eq. 3-5's two
    terms are ``0.5 a x_i^2 / (ds_i - lambda a x_i)`` and ``0.5 a x_i^2 / ds_i``, written with
    rotated cones ``||(2 z_i, t_i - y_i)|| <= t_i + y_i`` (``z^2 <= t y``) over a continuous copy
    ``z_i >= x_i``: cvxpy hands SCIP each cone as a sum of squares of copies of its arguments,
    and with the Boolean ``x`` inside, SCIP's presolve rewrote ``x^2`` as ``x`` and lost the cone
    (thousands of nodes instead of a handful). Options that can never
    be feasible (edge unstable, or needing more than the whole cloud) are left out, and with
    ``prune`` (default) the dominated ones too (:func:`nondominated`).

    Returns
    -------
    problem, handles
        The ``cvxpy.Problem`` and ``{"x", "ds", "pairs"}`` to read the solution back.
    """
    import cvxpy as cp
    import scipy.sparse as sps

    opts = options(inst)
    usable = nondominated(opts) if prune else opts.usable
    pairs = [(int(d), int(g)) for d, g in zip(*np.nonzero(usable), strict=True)]
    d_idx = np.array([p[0] for p in pairs])
    g_idx = np.array([p[1] for p in pairs])
    n = len(pairs)
    e = opts.e[d_idx, g_idx]
    a = opts.a[d_idx, g_idx]
    lam_a = opts.lam[d_idx, g_idx] * a
    dmin = opts.delta_min[d_idx, g_idx]
    x = cp.Variable(n, boolean=True, name="x")
    ds = cp.Variable(n, nonneg=True, name="ds")
    node_of = sps.csr_matrix((np.ones(n), (d_idx, np.arange(n))), shape=(inst.D, n))
    cons = [node_of @ x == 1, cp.sum(ds) <= 1, ds <= x, ds >= cp.multiply(dmin, x)]  # C2, C1
    obj = e @ x
    c = np.flatnonzero(a > 0)
    if len(c):
        zero = np.flatnonzero(a == 0)
        if len(zero):
            cons.append(ds[zero] == 0)
        tq = cp.Variable(len(c), nonneg=True, name="tq")
        ts = cp.Variable(len(c), nonneg=True, name="ts")
        z = cp.Variable(len(c), name="z")  # z >= x: keeps SCIP from rewriting x^2 as x
        yq = ds[c] - cp.multiply(lam_a[c], x[c])  # C3 cloud stability: yq >= 0
        cons += [yq >= 0, z >= x[c], z <= 1,
                 cp.SOC(tq + yq, cp.vstack([2 * z, tq - yq]), axis=0),
                 cp.SOC(ts + ds[c], cp.vstack([2 * z, ts - ds[c]]), axis=0)]
        obj = obj + 0.5 * (a[c] @ tq + a[c] @ ts)
    else:
        cons.append(ds == 0)
    problem = cp.Problem(cp.Minimize(obj / inst.D), cons)
    return problem, {"x": x, "ds": ds, "pairs": pairs}


# ----------------------------------------------------------------------------- builders
def layer_cuts(profile: Any) -> tuple[list[int], list[str]]:
    """Positions (in topological order) after which 002's "layers" end, and their names.

    A layer is a weighted node (one with MACs and parameters: conv or linear) that reads the
    output of the node just before it, together with every node up to the next such one; a
    weighted node on a side branch (ResNet's downsample projection) joins the layer in progress.
    This counts ResNet34 as 34 layers, AlexNet as 8 and VGG19 as 19, as 002 Table 1 does. Cut
    ``0`` sends the input and cut ``Gamma`` follows the last node.
    """
    nodes = profile.nodes
    starts = [i for i in range(1, len(nodes))
              if nodes[i].macs > 0 and nodes[i].params > 0
              and nodes[i - 1].name in nodes[i].inputs]
    if not starts:
        raise InputError("profile", f"{profile.model} has no conv or linear layer")
    ends = [s - 1 for s in starts[1:]] + [len(nodes) - 1]
    names = [nodes[s].name for s in starts]
    return [0, *ends], names


def _crossing_bytes(profile: Any, positions: list[int]) -> list[float]:
    """Bytes of every tensor alive across each cut (two inside a residual block)."""
    live = profile.live_after()
    out = []
    for k in positions:
        crossing = [m for m in live[k] if profile.node(m).op != "constant"
                    and profile.node(m).dtype != "none"]
        out.append(float(sum(profile.node(m).output_bytes for m in crossing)))
    return out


def task_model_from_profile(profile: Any, *, cuts: Literal["layers", "chain"] = "layers",
                            work_unit: Literal["MAC", "FLOP"] = "MAC") -> TaskModel:
    """A :class:`TaskModel` from a profile, per sample (the profile's batch divided out).

    Parameters
    ----------
    profile
        A :class:`~edgesplit.profiles.Profile`.
    cuts
        ``"layers"`` (default): 002's layers (:func:`layer_cuts`; 35 split points for ResNet34);
        a cut inside a residual block sends the two live tensors (block input and branch).
        ``"chain"``: the profile's chain view, every single-tensor cut point (40 for ResNet34).
    work_unit
        ``"MAC"`` (002's count) or ``"FLOP"``.
    """
    batch = profile.batch_size
    if cuts == "chain":
        chain = profile.chain()
        positions = [c.position for c in chain.cuts]
        names = list(chain.segment_names)
        sent = [float(b) for b in chain.crossing_bytes]
    elif cuts == "layers":
        positions, names = layer_cuts(profile)
        sent = _crossing_bytes(profile, positions)
    else:
        raise InputError("cuts", f"must be 'layers' or 'chain' (got {cuts!r})")
    work = np.array([float(n.macs if work_unit == "MAC" else n.flops) for n in profile.nodes])
    cum = np.cumsum(work)
    C = [float(cum[p]) / batch for p in positions]
    C[0] = 0.0  # the input node does no work
    M = [b / batch for b in sent]
    M[-1] = 0.0  # at gamma = Gamma nothing leaves the node (002 ignores returning results)
    return TaskModel(name=profile.model, C=C, M=M, layers=names)


def from_profile(profile: Any, *, F_d: list[float], lambda_d: list[float], B_d: list[float],
                 F_c: float, cuts: Literal["layers", "chain"] = "layers",
                 work_unit: Literal["MAC", "FLOP"] = "MAC", cloud_faster: bool = False,
                 name: str | None = None, meta: dict[str, Any] | None = None) -> Instance:
    """An instance in which every node runs the profile's model (002 Sec. 4.1).

    ``F_d`` and ``F_c`` are in ``work_unit``/s: 002's "GFLOPS" with MAC workloads are GMAC/s.
    """
    task = task_model_from_profile(profile, cuts=cuts, work_unit=work_unit)
    return Instance(
        name=name or f"{profile.model}-D{len(F_d)}", work_unit=work_unit,
        F_d=[float(f) for f in F_d], lambda_d=[float(x) for x in lambda_d],
        B_d=[float(b) for b in B_d], F_c=float(F_c), models=[task],
        cloud_faster=cloud_faster,
        meta={"profile": profile.model, "cuts": cuts, **(meta or {})},
    )


#: 002 Table 5: edge power {5..9} G, arrival rates {0.5, 1, 2}/s, bandwidth {1..5} Mbit/s.
TABLE5_EDGE = ("paper002-edge-5g", "paper002-edge-6g", "paper002-edge-7g", "paper002-edge-8g",
               "paper002-edge-9g")
TABLE5_LAMBDA = (0.5, 1.0, 2.0)
TABLE5_BANDWIDTH = (1e6, 2e6, 3e6, 4e6, 5e6)


def table5_instance(D: int, seed: int = 0, *, lam: float | None = None,
                    bandwidth: float | None = None, edge_flops: float | None = None,
                    profile: str = "resnet34_224", cuts: Literal["layers", "chain"] = "layers",
                    cloud_faster: bool = False) -> Instance:
    """An instance with 002 Table 5's settings on a bundled profile (ResNet34 at 224x224).

    Each node draws its edge device (5..9 G), arrival rate (0.5, 1, 2 /s) and bandwidth
    (1..5 Mbit/s) uniformly from Table 5's sets (catalogue: ``paper002-*``); ``lam``,
    ``bandwidth`` and ``edge_flops`` fix them instead (002 Sec. 4.2.1: 1/s and 1 Mbit/s;
    Sec. 4.2.2: 10 nodes at 5 G). The cloud is ``paper002-cloud`` (400 G). Work is in MAC.
    """
    from edgesplit.profiles import get_device, load_profile

    if D < 1:
        raise InputError("D", f"must be at least 1 (got {D})")
    rng = np.random.default_rng(seed)
    devices = [get_device(n).flops for n in TABLE5_EDGE]
    F = [float(edge_flops) if edge_flops else float(rng.choice(devices)) for _ in range(D)]
    lams = [float(lam) if lam else float(rng.choice(TABLE5_LAMBDA)) for _ in range(D)]
    Bs = [float(bandwidth) if bandwidth else float(rng.choice(TABLE5_BANDWIDTH))
          for _ in range(D)]
    return from_profile(
        load_profile(profile), F_d=F, lambda_d=lams, B_d=Bs,
        F_c=float(get_device("paper002-cloud").flops), cuts=cuts, work_unit="MAC",
        cloud_faster=cloud_faster, name=f"table5-D{D}-seed{seed}",
        meta={"generator": "table5_instance", "seed": seed, "D": D},
    )


def generate(seed: int, size: Literal["small", "paper"] = "small") -> Instance:
    """A random feasible instance.

    ``small``: 2-4 nodes, one or two synthetic models of 3-6 layers (work grows, tensors
    shrink with depth), parameters drawn so that every kind of split can win; a third of the
    instances impose ``cloud_faster``. Small enough to enumerate every split. ``paper``: 002
    Table 5's settings (:func:`table5_instance`) on ResNet34 with 5-20 nodes.
    """
    rng = np.random.default_rng(seed)
    if size == "paper":
        return table5_instance(int(rng.integers(5, 21)), seed=seed)
    if size != "small":
        raise InputError("size", f"must be 'small' or 'paper' (got {size!r})")
    D = int(rng.integers(2, 5))
    n_models = int(rng.integers(1, 3))
    models = []
    for k in range(n_models):
        L = int(rng.integers(3, 7))
        inc = rng.lognormal(np.log(2e8), 0.7, size=L) * (rng.random(L) > 0.15)
        inc[0] = max(inc[0], 1e7)
        C = np.concatenate([[0.0], np.cumsum(inc)])
        M = np.sort(rng.lognormal(np.log(1.5e5), 0.9, size=L))[::-1]
        M = np.concatenate([M, [0.0]])
        models.append(TaskModel(name=f"m{k}", C=[float(c) for c in C],
                                M=[float(b) for b in M]))
    K = [int(rng.integers(0, n_models)) for _ in range(D)]
    total = np.array([models[k].C[-1] for k in K])
    F = total * rng.uniform(1.0, 5.0, size=D)  # whole model on the edge: 0.2-1 s per task
    lam = rng.uniform(0.2, 1.6, size=D)
    B = rng.uniform(1e6, 2e7, size=D)
    F_c = float(total.max() * rng.uniform(10.0, 80.0))
    inst = Instance(
        name=f"random-small-{seed}", F_d=[float(f) for f in F], lambda_d=[float(x) for x in lam],
        B_d=[float(b) for b in B], F_c=F_c, models=models,
        K_d=K if n_models > 1 else None, cloud_faster=bool(rng.random() < 1 / 3),
        meta={"generator": "joint_split_share.generate", "seed": seed, "size": size},
    )
    while infeasibility_reason(inst) is not None:  # make room in the cloud
        inst = inst.model_copy(update={"F_c": inst.F_c * 2.0})
    return inst

