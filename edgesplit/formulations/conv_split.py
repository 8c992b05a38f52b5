"""``conv_split``: split every conv along its height over M edge servers, with threads (004).

Hu et al., "Optimizing CNN inference speed over big social data through efficient model
parallelism for sustainable Web of Things" (paper 004). A CNN has N convolution layers (convs)
and a block of fully connected (FC) layers. Conv ``i`` has an output of height ``b_i``; it is
split along its height into ``d_m^i`` whole output rows per edge server ``m`` (004's split rate
is ``x_m^i = d_m^i / b_i``), and server ``m`` runs its part with ``k_m^i`` threads of its
resource zone of ``K_m`` threads. A controller ``co_1`` sends every server the input rows its
part needs (with the halo the kernel reads), gathers the output rows and merges them; the FC
block runs in the cloud.

Per conv and server (0-based indices in code and JSON; 1-based in the paper)::

    t^c_{i,m} = x_m^i size_i / (k_m^i eta_m),   x_m^i = d_m^i / b_i             (004 eq. 1)
    t^t_{i,m} = 8 (o^in_{i,m} + o^out_{i,m}) / ra_m                              (004 eq. 3)
    o^in_{i,m}  = ((d_m^i - 1) s_i + kh_i) * in_row_bytes_i    if d_m^i > 0, else 0
    o^out_{i,m} = d_m^i * out_row_bytes_i
    t_c   = size_full / k_c                                                      (004 eq. 2)
    t_t^c = 8 o_c^out / ra_c                                                     (004 eq. 4)

Problem (004 eq. 5; eq. 6 is the same without the constants ``t_c + t_t^c``)::

    min  t_c + t_t^c + sum_i max_m ( t^c_{i,m} + t^t_{i,m} )
    s.t. sum_m d_m^i = b_i,        d_m^i in {0, 1, ..., b_i}        (eq. 5c, 5e; whole rows)
         1 <= k_m^i <= K_m,         k_m^i integer                   (eq. 5d)
         sum_i k_m^i = K_m                                           (eq. 5f)

Readings where 004 is vague (docs/conv_split.md names them):

- **Rows, not FLOPs.** 004 defines ``p_m^i = x_m^i size_i`` and then rounds it to an integer
  height; only ``x_m^i b_i`` (rows) makes sense there, so the split is in whole output rows.
- **Eq. 3's two terms.** 004 calls them "partial output from se_m" and "merged result from
  co_1"; with Sec. 3.3 (the input is split with the conv, each server gets input rows
  ``s_1..s_2``) we read the downlink as the input rows of server m's part, halo included, and
  the uplink as its output rows. The input rows are counted in the *padded* input (the
  controller ships zero rows at the borders), so the count ``(d - 1) s + kh`` does not depend on
  where the part lies; for unpadded convs, such as both of 004's models, it is exact.
- **Unused servers.** A server with ``d_m^i = 0`` neither computes nor transfers (its term is 0),
  but still holds ``k_m^i >= 1`` threads, as eq. 5d demands.
- **Units.** Bytes and bit/s; eq. 3-4 divide bytes by a rate, so the factor 8 is ours.
- Layers other than convs and FCs (ReLU, pooling) run on the controller and are neglected, as
  004 Sec. 3.5 does.

Baselines (004 Sec. 5.1.3) are layer-wise partitions rather than splits, so a solution may
instead hold a :class:`Partition`: the first ``edge_layers`` layers of the chain
``conv_1..conv_N, FC`` run whole on one edge server with ``threads`` threads, the rest in the
cloud. ``edge_layers = N + 1`` is 004's No Split (the whole CNN on one server) and DADS picks
the best cut. :func:`evaluate` scores both kinds.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from edgesplit.errors import InputError, from_validation_error
from edgesplit.formulations.base import (
    Evaluation,
    InstanceBase,
    NonNegFloat,
    NonNegInt,
    PosFloat,
    PosInt,
    SolutionBase,
    Violations,
)

PROBLEM = "conv_split"
EXPORT_FORMATS = (".lp", ".mps", ".nl", ".gms")
#: Model time unit of :func:`build_pyomo`: microseconds keep HiGHS' absolute tolerances
#: (1e-7) far below the times involved.
MODEL_TIME_UNIT = 1e-6

__all__ = [
    "EXPORT_FORMATS",
    "MODEL_TIME_UNIT",
    "PROBLEM",
    "Instance",
    "Partition",
    "Solution",
    "build_pyomo",
    "cloud_constant",
    "conv_time_caps",
    "conv_times",
    "evaluate",
    "from_profile",
    "generate",
    "input_rows",
    "max_threads",
    "outside_exact_model",
    "paper_instance",
    "partition_latency",
    "row_blocks",
    "server_times",
    "solution_from_pyomo",
    "split_latency",
]


class Instance(InstanceBase):
    """A conv_split instance (004 eq. 1-6); symbols as in 004 Table 1, SI units.

    Lists indexed by conv have length N; lists indexed by server have length M.
    """

    problem: Literal["conv_split"] = "conv_split"
    convs: list[str] | None = Field(default=None, description="Names of the N convs.")
    size: list[PosFloat] = Field(
        min_length=1, description="FLOPs of conv i for one input, size_i (004 eq. 1).")
    b: list[PosInt] = Field(
        min_length=1, description="Output height of conv i, the rows it is split into "
                                  "(004 Sec. 3.3).")
    h: list[PosInt] = Field(
        min_length=1, description="Input height of conv i, unpadded (004 Sec. 3.3).")
    kernel: list[PosInt] = Field(min_length=1, description="Kernel height of conv i.")
    stride: list[PosInt] = Field(min_length=1, description="Vertical stride of conv i.")
    padding: list[NonNegInt] = Field(min_length=1, description="Vertical padding of conv i.")
    in_row_bytes: list[NonNegFloat] = Field(
        min_length=1, description="Bytes of one row of conv i's padded input (channels x "
                                  "padded width x element size), for o^in of 004 eq. 3.")
    out_row_bytes: list[NonNegFloat] = Field(
        min_length=1, description="Bytes of one row of conv i's output, for o^out of 004 "
                                  "eq. 3.")
    eta: list[PosFloat] = Field(
        min_length=1, description="FLOP/s of one thread of server m, eta_m (004 eq. 1).")
    K: list[PosInt] = Field(
        min_length=1, description="Threads of server m's resource zone, K_m (004 eq. 5f).")
    ra: list[PosFloat] = Field(
        min_length=1, description="Controller <-> server m rate, bit/s, ra_m (004 eq. 3).")
    size_full: NonNegFloat = Field(
        description="FLOPs of all fully connected layers, size_full (004 eq. 2).")
    k_c: PosFloat = Field(description="Cloud FLOP/s, k_c (004 eq. 2).")
    o_c_out: NonNegFloat = Field(
        description="Bytes sent from the edge to the cloud (the last conv stage's output), "
                    "o_c^out (004 eq. 4).")
    ra_c: PosFloat = Field(description="Edge-cloud rate, bit/s, ra_c (004 eq. 4).")
    o_cut: list[NonNegFloat] = Field(
        min_length=1,
        description="Bytes sent to the cloud when convs 1..j run on the edge, j = 0..N-1 "
                    "(o_cut[0] is the raw input); the layer-wise baselines' cut sizes.")

    @model_validator(mode="after")
    def _check(self) -> Instance:
        n = len(self.size)
        for name in ("b", "h", "kernel", "stride", "padding", "in_row_bytes", "out_row_bytes",
                     "o_cut"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"{name}: needs one entry per conv, i.e. {n} "
                                 f"(got {len(getattr(self, name))})")
        if self.convs is not None and len(self.convs) != n:
            raise ValueError(f"convs: needs {n} names (got {len(self.convs)})")
        m = len(self.eta)
        for name in ("K", "ra"):
            if len(getattr(self, name)) != m:
                raise ValueError(f"{name}: needs one entry per server, i.e. {m} "
                                 f"(got {len(getattr(self, name))})")
        for i in range(n):
            padded = self.h[i] + 2 * self.padding[i]
            if padded < self.kernel[i]:
                raise ValueError(f"kernel.{i}: kernel height {self.kernel[i]} exceeds the padded "
                                 f"input height {padded}")
            rows = (padded - self.kernel[i]) // self.stride[i] + 1
            if rows != self.b[i]:
                raise ValueError(f"b.{i}: a conv with input height {self.h[i]}, kernel "
                                 f"{self.kernel[i]}, stride {self.stride[i]} and padding "
                                 f"{self.padding[i]} has {rows} output rows, not {self.b[i]}")
        for j, k in enumerate(self.K):
            if k < n:
                raise ValueError(f"K.{j}: server {j} has {k} threads, fewer than the {n} convs "
                                 "that each need one (004 eq. 5d, 5f)")
        return self

    @property
    def N(self) -> int:
        """Number of convs."""
        return len(self.size)

    @property
    def M(self) -> int:
        """Number of edge servers."""
        return len(self.eta)


class Partition(BaseModel):
    """A layer-wise partition (004's baselines): layers ``1..edge_layers`` of the chain
    ``conv_1..conv_N, FC`` run whole on one edge server, the rest in the cloud."""

    model_config = ConfigDict(extra="forbid")

    edge_layers: NonNegInt = Field(
        description="Layers on the edge: 0 (all in the cloud) to N + 1 (No Split: the whole "
                    "CNN, FC included, on the server).")
    server: NonNegInt = Field(description="The edge server (0-based).")
    threads: PosInt = Field(description="Threads the task gets on that server.")


class Solution(SolutionBase):
    """Rows and threads per conv and server (004 eq. 5), or a layer-wise :class:`Partition`."""

    d: list[list[NonNegInt]] | None = Field(
        default=None, description="Output rows d_m^i of conv i on server m, N x M (0-based).")
    k: list[list[PosInt]] | None = Field(
        default=None, description="Threads k_m^i of conv i on server m, N x M (004 eq. 5d).")
    partition: Partition | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Solution:
        split = self.d is not None or self.k is not None
        if split == (self.partition is not None):
            raise ValueError("give either rows d and threads k, or a partition")
        if split and (self.d is None or self.k is None):
            raise ValueError("a split needs both rows d and threads k")
        return self


def outside_exact_model(solution: dict[str, Any] | None) -> str | None:
    """Why ``solution`` lies outside the exact model's space (004 eq. 5), or None.

    A layer-wise partition (the ``no-split`` and ``dads`` baselines) runs whole layers on one
    server or in the cloud; eq. 5 splits every conv over the edge servers and sends the last
    feature map to the cloud. The ``milp`` optimum is optimal within eq. 5 only, so such a
    baseline can beat it (docs/conv_split.md, Baselines); :func:`edgesplit.gaps.compare_results`
    reports the reason beside the gap.
    """
    if solution is not None and solution.get("partition") is not None:
        return ("a layer-wise partition, outside 004 eq. 5's space: it can beat the eq. 5 "
                "optimum")
    return None


# ----------------------------------------------------------------------------- times
def input_rows(inst: Instance, d: Any, conv: int | None = None) -> np.ndarray:
    """Rows of the padded input a part of ``d`` output rows reads: ``(d - 1) s + kh``, 0 if
    ``d = 0`` (004 Sec. 3.3; for stride 1 and no padding ``s_2 - s_1 + 1 = d + kh - 1``)."""
    d = np.asarray(d, dtype=float)
    s, kh = _conv_column(inst, "stride", conv), _conv_column(inst, "kernel", conv)
    return np.where(d > 0, (d - 1) * s + kh, 0.0)


def _conv_column(inst: Instance, name: str, conv: int | None) -> np.ndarray | float:
    values = getattr(inst, name)
    if conv is not None:
        return float(values[conv])
    return np.asarray(values, dtype=float)[:, None]


def server_times(inst: Instance, d: Any, k: Any, conv: int | None = None) -> np.ndarray:
    """Time of every server's part, compute (004 eq. 1) plus transfer (004 eq. 3), seconds.

    Parameters
    ----------
    inst
        The instance.
    d, k
        Rows and threads, shape ``(..., N, M)``; with ``conv`` given, conv ``conv``'s rows and
        threads, shape ``(..., M)``. Leading dimensions broadcast (many candidates at once).
    conv
        Restrict to one conv (0-based).

    Returns
    -------
    numpy.ndarray
        ``t^c_{i,m} + t^t_{i,m}``, 0 where ``d_m^i = 0``; same shape as ``d``.
    """
    d = np.asarray(d, dtype=float)
    k = np.asarray(k, dtype=float)
    eta = np.asarray(inst.eta, dtype=float)
    ra = np.asarray(inst.ra, dtype=float)
    size = _conv_column(inst, "size", conv)
    b = _conv_column(inst, "b", conv)
    compute = d / b * size / (k * eta)  # eq. 1
    o_in = input_rows(inst, d, conv) * _conv_column(inst, "in_row_bytes", conv)
    o_out = d * _conv_column(inst, "out_row_bytes", conv)
    transfer = 8.0 * (o_in + o_out) / ra  # eq. 3
    return compute + transfer


def conv_times(inst: Instance, d: Any, k: Any) -> np.ndarray:
    """Slowest server per conv, ``max_m (t^c_{i,m} + t^t_{i,m})``, shape ``(..., N)``."""
    return server_times(inst, d, k).max(axis=-1)


def cloud_constant(inst: Instance) -> float:
    """``t_c + t_t^c`` (004 eq. 2 and 4), the constant of eq. 5."""
    return inst.size_full / inst.k_c + 8.0 * inst.o_c_out / inst.ra_c


def split_latency(inst: Instance, d: Any, k: Any) -> np.ndarray:
    """Objective of 004 eq. 5 for rows ``d`` and threads ``k`` of shape ``(..., N, M)``."""
    return cloud_constant(inst) + conv_times(inst, d, k).sum(axis=-1)


def partition_latency(inst: Instance, edge_layers: int, server: int,
                      threads: int) -> dict[str, float]:
    """Latency of a layer-wise partition (004's No Split and DADS baselines).

    Layers ``1..edge_layers`` of ``conv_1..conv_N, FC`` run on ``server`` with ``threads``
    threads (``size / (threads eta_m)``, 004 eq. 1 with the whole layer), the rest on the cloud
    (``size / k_c``, eq. 2); the tensor at the cut crosses the edge-cloud link (eq. 4). Nothing
    crosses when the whole CNN runs on the edge (the result's return is neglected, as 004
    Sec. 3.5 does).

    Returns
    -------
    dict
        ``edge``, ``cloud``, ``edge_cloud`` and ``latency`` in seconds.
    """
    n = inst.N
    layers = np.append(np.asarray(inst.size, dtype=float), inst.size_full)
    edge = float(layers[:edge_layers].sum()) / (threads * inst.eta[server])
    cloud = float(layers[edge_layers:].sum()) / inst.k_c
    if edge_layers <= n - 1:
        sent = inst.o_cut[edge_layers]
    elif edge_layers == n:
        sent = inst.o_c_out
    else:
        sent = 0.0
    link = 8.0 * sent / inst.ra_c
    return {"edge": edge, "cloud": cloud, "edge_cloud": link, "latency": edge + cloud + link}


def row_blocks(d: list[int]) -> list[tuple[int, int]]:
    """Output rows ``[e, l)`` of each server's part, contiguous in server order (0-based)."""
    ends = np.cumsum(d)
    return [(int(e - r), int(e)) for r, e in zip(d, ends, strict=True)]


# ----------------------------------------------------------------------------- evaluate
def _as_matrix(inst: Instance, values: list[list[int]], field: str) -> np.ndarray:
    if len(values) != inst.N:
        raise InputError(f"solution.{field}", f"needs {inst.N} rows, one per conv "
                                              f"(got {len(values)})")
    for i, row in enumerate(values):
        if len(row) != inst.M:
            raise InputError(f"solution.{field}.{i}", f"needs {inst.M} entries, one per server "
                                                      f"(got {len(row)})")
    return np.asarray(values, dtype=np.int64).reshape(inst.N, inst.M)


def evaluate(inst: Instance, sol: Solution) -> Evaluation:
    """Feasibility and latency of a split (004 eq. 5) or a layer-wise partition.

    A solution of the wrong shape or with a server index out of range is bad input (an
    :class:`InputError`), not a violation.
    """
    if sol.partition is not None:
        return _evaluate_partition(inst, sol.partition)
    d = _as_matrix(inst, sol.d, "d")
    k = _as_matrix(inst, sol.k, "k")
    v = Violations()
    for i in range(inst.N):
        v.check(int(d[i].sum()) == inst.b[i], "eq. 5e rows sum to the conv height (004)",
                f"conv {i}: sum_m d = {int(d[i].sum())} != b = {inst.b[i]}")
    for m in range(inst.M):
        over = np.flatnonzero(k[:, m] > inst.K[m])
        v.check(over.size == 0, "eq. 5d 1 <= k <= K_m (004)",
                f"server {m}: k = {k[over, m].tolist()} > K = {inst.K[m]}")
        v.check(int(k[:, m].sum()) == inst.K[m], "eq. 5f threads fill the zone (004)",
                f"server {m}: sum_i k = {int(k[:, m].sum())} != K = {inst.K[m]}")
    times = server_times(inst, d, k)
    per_conv = times.max(axis=1)
    edge = float(per_conv.sum())
    t_c = inst.size_full / inst.k_c
    t_t = 8.0 * inst.o_c_out / inst.ra_c
    return Evaluation(
        feasible=not v,
        objective=t_c + t_t + edge,
        objectives={"edge": edge, "cloud_fc": t_c, "edge_cloud": t_t},
        violations=v.items,
        details={"server_times": times, "conv_times": per_conv,
                 "bottleneck": times.argmax(axis=1)},
    )


def _evaluate_partition(inst: Instance, part: Partition) -> Evaluation:
    if part.edge_layers > inst.N + 1:
        raise InputError("solution.partition.edge_layers",
                         f"{part.edge_layers} > N + 1 = {inst.N + 1} layers")
    if part.server >= inst.M:
        raise InputError("solution.partition.server", f"server {part.server} out of range "
                                                      f"0..{inst.M - 1}")
    v = Violations()
    uses_edge = part.edge_layers > 0
    v.check(not uses_edge or part.threads <= inst.K[part.server],
            "threads within the server's zone (004 eq. 5d)",
            f"{part.threads} > K = {inst.K[part.server]}")
    parts = partition_latency(inst, part.edge_layers, part.server, part.threads)
    return Evaluation(
        feasible=not v,
        objective=parts["latency"],
        objectives={"edge": parts["edge"], "cloud_fc": parts["cloud"],
                    "edge_cloud": parts["edge_cloud"]},
        violations=v.items,
        details=parts,
    )


# ----------------------------------------------------------------------------- model
def max_threads(inst: Instance, m: int) -> int:
    """Largest useful ``k_m^i``: every other conv needs at least one thread (004 eq. 5d, 5f)."""
    return inst.K[m] - (inst.N - 1)


def build_pyomo(inst: Instance, upper_bound: float | None = None, cuts: bool = True) -> Any:
    """The exact MILP of 004 eq. 5 with threads as choices and rows as integers.

    Times are in microseconds (:data:`MODEL_TIME_UNIT`). With ``c_{imk} = size_i /
    (b_i k eta_m)`` the compute time per row with ``k`` threads (004 eq. 1) and
    ``q_{im} = 8 / ra_m`` seconds per byte (004 eq. 3)::

        min  t_c + t_t^c + sum_i T_i                                          (eq. 5)
        s.t. sum_m d_{im} = b_i                                               (eq. 5e)
             sum_k y_{imk} = 1,  k = 1 .. K_m - N + 1                         (eq. 5d)
             sum_i sum_k k y_{imk} = K_m                                      (eq. 5f)
             sum_k z_{imk} = d_{im},   0 <= z_{imk} <= b_i y_{imk}            (z = d [k chosen])
             u_{im} <= d_{im} <= b_i u_{im}                                   (u = [d > 0])
             T_i >= sum_k c_{imk} z_{imk}
                    + q_{im} ((kh_i - s_i) in_i u_{im} + (s_i in_i + out_i) d_{im})   (eq. 1 + 3)
             d_{im} in {0..b_i},  y, u binary

    ``z`` disaggregates the product ``d_{im} / k_{im}``: only the chosen thread count carries the
    rows, so the compute term is exact. The transfer term is ``q ((d - 1) s + kh) in + q d out``
    when ``d > 0`` and 0 otherwise. ``T_i`` is the slowest server of conv i.

    Parameters
    ----------
    inst
        The instance.
    upper_bound
        A known objective value (seconds), e.g. a heuristic's. It caps every ``T_i``
        (:func:`conv_time_caps`), which tightens ``z_{imk} <= min(b_i, rows that k threads
        compute within the cap) y_{imk}``; no solution better than the bound is cut off.
    cuts
        Add the valid speed cuts of :func:`_add_speed_cuts` (tangents of ``T_i >= size_i /
        sum_m eta_m k_m^i``), which raise the LP bound to the continuous optimum.
    """
    import pyomo.environ as pyo

    unit = MODEL_TIME_UNIT
    n, m_count = inst.N, inst.M
    model = pyo.ConcreteModel(name="conv_split")
    model.I = pyo.RangeSet(0, n - 1)
    model.M = pyo.RangeSet(0, m_count - 1)
    model.IMK = pyo.Set(dimen=3, initialize=[(i, m, k) for i in range(n) for m in range(m_count)
                                             for k in range(1, max_threads(inst, m) + 1)])
    model.d = pyo.Var(model.I, model.M, domain=pyo.NonNegativeIntegers,
                      bounds=lambda _, i, m: (0, inst.b[i]))
    model.y = pyo.Var(model.IMK, domain=pyo.Binary)
    model.z = pyo.Var(model.IMK, domain=pyo.NonNegativeReals)
    model.u = pyo.Var(model.I, model.M, domain=pyo.Binary)
    t_max = conv_time_caps(inst, upper_bound)
    model.T = pyo.Var(model.I, domain=pyo.NonNegativeReals,
                      bounds=lambda _, i: (0, None if t_max is None else t_max[i]))
    model.latency = pyo.Objective(
        expr=cloud_constant(inst) / unit + sum(model.T[i] for i in model.I), sense=pyo.minimize)
    _add_eq5e_rows(model, inst)
    _add_eq5d_one_thread_count(model, inst)
    _add_eq5f_zone(model, inst)
    _add_rows_with_chosen_threads(model, inst, t_max)
    _add_used_servers(model, inst)
    _add_eq1_eq3_bottleneck(model, inst)
    if cuts:
        _add_speed_cuts(model, inst)
    return model


def _add_speed_cuts(model: Any, inst: Instance, points: int = 24) -> None:
    """Valid cuts ``T_i >= 2 a_i / S0 - a_i S_i / S0^2`` (tangents of ``a_i / S_i``) with
    ``S_i = sum_m eta_m k_m^i`` the FLOP/s conv i gets and ``a_i = size_i``.

    Every server finishes its rows within ``T_i``, so ``d_m^i <= T_i b_i k_m^i eta_m / size_i``;
    summed over m with eq. 5e this is ``T_i S_i >= size_i`` (the slowest part is no faster than
    the work-weighted mean). The set is convex and the tangents at ``points`` speeds ``S0``
    (geometric between one thread per server and the most a conv can get) under-estimate it.
    """
    import pyomo.environ as pyo

    unit = MODEL_TIME_UNIT
    s_lo = float(sum(inst.eta))
    s_hi = float(sum(max_threads(inst, m) * inst.eta[m] for m in range(inst.M)))
    grid = np.unique(np.geomspace(s_lo, s_hi, points)) if s_hi > s_lo else np.array([s_lo])
    model.SPEED_POINTS = pyo.RangeSet(0, len(grid) - 1)

    def rule(mdl: Any, i: int, p: int) -> Any:
        s0 = float(grid[p])
        a = inst.size[i] / unit
        speed = sum(inst.eta[m] * k * mdl.y[i, m, k] for m in range(inst.M)
                    for k in range(1, max_threads(inst, m) + 1))
        return mdl.T[i] >= 2 * a / s0 - a / s0**2 * speed

    model.speed_cuts = pyo.Constraint(model.I, model.SPEED_POINTS, rule=rule)


def conv_time_caps(inst: Instance, upper_bound: float | None) -> np.ndarray | None:
    """Largest ``T_i`` (model units) of any solution no worse than ``upper_bound`` seconds.

    ``T_i <= UB - t_c - t_t^c - sum_{j != i} LB_j`` with ``LB_j = size_j / sum_m (K_m - N + 1)
    eta_m``: the slowest part of conv j takes at least the work-weighted mean, and no server
    gives one conv more than ``K_m - N + 1`` threads. A tiny relative slack keeps the solution
    that produced the bound feasible despite rounding.
    """
    if upper_bound is None:
        return None
    capacity = sum(max_threads(inst, m) * inst.eta[m] for m in range(inst.M))
    lower = np.asarray(inst.size, dtype=float) / capacity
    budget = (upper_bound * (1 + 1e-9) - cloud_constant(inst)) / MODEL_TIME_UNIT
    return budget - (lower.sum() - lower) / MODEL_TIME_UNIT


def _add_eq5e_rows(model: Any, inst: Instance) -> None:
    """``sum_m d_{im} = b_i``: every output row of conv i on one server (004 eq. 5c, 5e)."""
    import pyomo.environ as pyo

    model.eq5e_rows = pyo.Constraint(
        model.I, rule=lambda mdl, i: sum(mdl.d[i, m] for m in mdl.M) == inst.b[i])


def _add_eq5d_one_thread_count(model: Any, inst: Instance) -> None:
    """``sum_k y_{imk} = 1``: conv i gets one thread count ``1 <= k <= K_m`` on server m
    (004 eq. 5d; counts above ``K_m - N + 1`` would leave another conv without a thread)."""
    import pyomo.environ as pyo

    model.eq5d_one_thread_count = pyo.Constraint(
        model.I, model.M, rule=lambda mdl, i, m: sum(
            mdl.y[i, m, k] for k in range(1, max_threads(inst, m) + 1)) == 1)


def _add_eq5f_zone(model: Any, inst: Instance) -> None:
    """``sum_i sum_k k y_{imk} = K_m``: the sub-zones fill server m's zone (004 eq. 5f)."""
    import pyomo.environ as pyo

    model.eq5f_zone = pyo.Constraint(
        model.M, rule=lambda mdl, m: sum(
            k * mdl.y[i, m, k] for i in mdl.I
            for k in range(1, max_threads(inst, m) + 1)) == inst.K[m])


def _add_rows_with_chosen_threads(model: Any, inst: Instance,
                                  t_max: np.ndarray | None) -> None:
    """``sum_k z_{imk} = d_{im}`` and ``z_{imk} <= U_{imk} y_{imk}``: the rows ride on the chosen
    thread count only. ``U_{imk} = b_i``, or fewer when a time cap ``t_max_i`` is known (the
    rows that k threads compute within it)."""
    import pyomo.environ as pyo

    def cap(i: int, m: int, k: int) -> float:
        if t_max is None:
            return float(inst.b[i])
        per_row = inst.size[i] / (inst.b[i] * k * inst.eta[m]) / MODEL_TIME_UNIT
        return float(min(inst.b[i], np.floor(t_max[i] / per_row + 1e-9)))

    model.rows_on_chosen_threads = pyo.Constraint(
        model.I, model.M, rule=lambda mdl, i, m: sum(
            mdl.z[i, m, k] for k in range(1, max_threads(inst, m) + 1)) == mdl.d[i, m])
    model.rows_need_threads = pyo.Constraint(
        model.IMK, rule=lambda mdl, i, m, k: mdl.z[i, m, k] <= cap(i, m, k) * mdl.y[i, m, k])


def _add_used_servers(model: Any, inst: Instance) -> None:
    """``u_{im} <= d_{im} <= b_i u_{im}``: ``u`` marks a server that gets rows of conv i (and so
    receives the kernel's halo, 004 eq. 3)."""
    import pyomo.environ as pyo

    model.used_if_rows = pyo.Constraint(
        model.I, model.M, rule=lambda mdl, i, m: mdl.d[i, m] <= inst.b[i] * mdl.u[i, m])
    model.rows_if_used = pyo.Constraint(
        model.I, model.M, rule=lambda mdl, i, m: mdl.u[i, m] <= mdl.d[i, m])


def _add_eq1_eq3_bottleneck(model: Any, inst: Instance) -> None:
    """``T_i >= t^c_{i,m} + t^t_{i,m}`` for every server: the slowest part of conv i
    (004 eq. 1, 3 and the inner max of eq. 5)."""
    import pyomo.environ as pyo

    unit = MODEL_TIME_UNIT

    def rule(mdl: Any, i: int, m: int) -> Any:
        compute = sum(inst.size[i] / (inst.b[i] * k * inst.eta[m]) / unit * mdl.z[i, m, k]
                      for k in range(1, max_threads(inst, m) + 1))
        q = 8.0 / inst.ra[m] / unit
        halo = (inst.kernel[i] - inst.stride[i]) * inst.in_row_bytes[i]
        per_row = inst.stride[i] * inst.in_row_bytes[i] + inst.out_row_bytes[i]
        return mdl.T[i] >= compute + q * halo * mdl.u[i, m] + q * per_row * mdl.d[i, m]

    model.eq1_eq3_bottleneck = pyo.Constraint(model.I, model.M, rule=rule)


def solution_from_pyomo(model: Any, inst: Instance) -> Solution:
    """Rows and threads of a solved :func:`build_pyomo` model."""
    import pyomo.environ as pyo

    d = [[round(pyo.value(model.d[i, m])) for m in range(inst.M)] for i in range(inst.N)]
    k = [[max(range(1, max_threads(inst, m) + 1), key=lambda kk: pyo.value(model.y[i, m, kk]))
          for m in range(inst.M)] for i in range(inst.N)]
    return Solution(d=d, k=k)


# ----------------------------------------------------------------------------- builders
def from_profile(profile: Any, server: Any, link: Any, cloud: Any, cloud_link: Any, *,
                 M: int = 8, K: int | None = None, rates: Literal["nominal", "random"] = "random",
                 seed: int = 0, name: str | None = None) -> Instance:
    """An instance from a profile's conv and linear nodes and catalogue hardware.

    Parameters
    ----------
    profile
        A :class:`~edgesplit.profiles.Profile` whose ``conv2d`` nodes carry ``attrs``
        (channels, kernel, stride, padding, input shape), e.g. ``paper004_alexnet``. The convs
        are taken in topological order; every ``linear`` node goes into ``size_full``; the
        tensor fed to the first linear node is ``o_c^out``. Work and bytes are per input (the
        profile's batch is divided out).
    server
        :class:`~edgesplit.profiles.Device` with ``threads`` and ``flops_per_thread``
        (``paper004-edge-server``); all M servers are alike, as in 004 Sec. 5.1.1.
    link, cloud_link
        :class:`~edgesplit.profiles.Link`: controller <-> server and edge <-> cloud.
    cloud
        :class:`~edgesplit.profiles.Device` of the cloud (``k_c`` = its FLOP/s).
    M
        Number of edge servers (004: 8).
    K
        Threads per zone (default: the server's ``threads``; 004: 20).
    rates
        ``"random"`` draws each ``ra_m`` and ``ra_c`` uniformly from the links'
        ``bandwidth_range`` (004 Sec. 5.1.1 draws them at random) with ``seed``;
        ``"nominal"`` uses the links' ``bandwidth_bit_s``.
    seed
        Seed of the random rates.
    """
    from edgesplit.profiles.profile import element_size

    batch = profile.batch_size
    convs = [nd for nd in profile.nodes if nd.op == "conv2d"]
    if not convs:
        raise InputError("profile", f"{profile.model} has no conv2d node")
    if any(len(nd.inputs) > 1 for nd in profile.nodes):
        raise InputError("profile", f"{profile.model} has branches or skip connections; 004's "
                                    "model is a chain of convs")
    linears = [nd for nd in profile.nodes if nd.op == "linear"]
    fields: dict[str, list[Any]] = {key: [] for key in (
        "size", "b", "h", "kernel", "stride", "padding", "in_row_bytes", "out_row_bytes",
        "o_cut")}
    for j, nd in enumerate(convs):
        a = nd.attrs
        if "input_shape" not in a or "kernel_size" not in a:
            raise InputError(f"profile.nodes.{nd.name}.attrs",
                             "conv nodes need input_shape and kernel_size (re-profile)")
        es = element_size(nd.dtype)
        _, c_in, h_in, w_in = a["input_shape"]
        _, c_out, h_out, w_out = nd.output_shape
        pad_h, pad_w = [*list(a.get("padding", [0, 0])), 0, 0][:2]
        fields["size"].append(nd.flops / batch)
        fields["b"].append(int(h_out))
        fields["h"].append(int(h_in))
        fields["kernel"].append(int(a["kernel_size"][0]))
        fields["stride"].append(int(a.get("stride", [1, 1])[0]))
        fields["padding"].append(int(pad_h))
        fields["in_row_bytes"].append(float(c_in * (w_in + 2 * pad_w) * es))
        fields["out_row_bytes"].append(float(c_out * w_out * es))
        fields["o_cut"].append(float(c_in * h_in * w_in * es) if j > 0 else
                               float(profile.nodes[0].output_bytes / batch))
    if linears:
        fed = profile.node(linears[0].inputs[0])
        o_c_out = fed.output_bytes / batch
    else:
        o_c_out = profile.node(profile.outputs[0]).output_bytes / batch
    k_zone = int(K if K is not None else (server.threads or 0))
    if k_zone <= 0 or not server.flops_per_thread:
        raise InputError("server", f"{server.name} needs threads and flops_per_thread (004)")
    rng = np.random.default_rng(seed)

    def draw(lk: Any, count: int) -> list[float]:
        if rates == "random" and lk.bandwidth_range is not None:
            lo, hi = lk.bandwidth_range
            return [float(x) for x in rng.uniform(lo, hi, size=count)]
        return [float(lk.bandwidth_bit_s)] * count

    if rates not in ("nominal", "random"):
        raise InputError("rates", f"must be 'nominal' or 'random' (got {rates!r})")
    ra = draw(link, M)
    ra_c = draw(cloud_link, 1)[0]
    try:
        return Instance(
            name=name or f"{profile.model}-M{M}-K{k_zone}",
            convs=[nd.name for nd in convs],
            eta=[float(server.flops_per_thread)] * M, K=[k_zone] * M, ra=ra,
            size_full=float(sum(nd.flops for nd in linears) / batch), k_c=float(cloud.flops),
            o_c_out=float(o_c_out), ra_c=ra_c,
            meta={"profile": profile.model, "input_shape": profile.input_shape,
                  "server": server.name, "link": link.name, "cloud": cloud.name,
                  "cloud_link": cloud_link.name, "rates": rates, "seed": seed},
            **fields)
    except ValidationError as exc:
        raise from_validation_error(exc) from None


def paper_instance(model: Literal["alexnet", "vgg16"] = "alexnet", *, M: int = 8, K: int = 20,
                   rates: Literal["nominal", "random"] = "random", seed: int = 0) -> Instance:
    """004's setting (Sec. 5.1.1, Tables 2-3): the bundled ``paper004_<model>`` profile on M
    servers of K threads at 80 GFLOP/s, wired links of 605-635 Gb/s, an edge-cloud link of
    105-125 Mb/s, and the cloud ``paper004-cloud`` (004 gives no cloud speed; see
    ``hardware_004.json``)."""
    from edgesplit.profiles import get_device, get_link, load_profile

    if model not in ("alexnet", "vgg16"):
        raise InputError("model", f"must be 'alexnet' or 'vgg16' (got {model!r})")
    return from_profile(load_profile(f"paper004_{model}"), get_device("paper004-edge-server"),
                        get_link("paper004-edge-wired"), get_device("paper004-cloud"),
                        get_link("paper004-edge-cloud"), M=M, K=K, rates=rates, seed=seed,
                        name=f"004-{model}-M{M}-K{K}-{rates}{seed if rates == 'random' else ''}")


def generate(seed: int, size: Literal["small", "paper"] = "small") -> Instance:
    """A random valid instance: a stack of convs (kernel 1-5, stride 1-2, padding 0 or
    ``kh // 2``) on heterogeneous servers. ``small``: 2-3 convs of at most 10 output rows, 2-3
    servers of N to N + 3 threads (brute force stays cheap); ``paper``: 5-13 convs on 8 servers
    of 20 threads, as 004 Sec. 5.1.1."""
    rng = np.random.default_rng(seed)
    small = size == "small"
    n = int(rng.integers(2, 4) if small else rng.integers(5, 14))
    m = int(rng.integers(2, 4) if small else 8)
    height = int(rng.integers(6, 11) if small else rng.integers(24, 57))
    width = height
    chans = int(rng.choice([1, 3]))
    fields: dict[str, list[Any]] = {key: [] for key in (
        "size", "b", "h", "kernel", "stride", "padding", "in_row_bytes", "out_row_bytes",
        "o_cut")}
    for _ in range(n):
        kh = int(rng.choice([1, 3, 5] if height >= 5 else [1, 3]))
        pad = int(rng.choice([0, kh // 2]))
        stride = int(rng.choice([1, 1, 2])) if height + 2 * pad - kh >= 4 else 1
        if height + 2 * pad < kh:
            kh, pad = 1, 0
        out_h = (height + 2 * pad - kh) // stride + 1
        out_w = (width + 2 * pad - kh) // stride + 1
        c_out = int(rng.choice([8, 16, 32, 64] if small else [64, 128, 256, 512]))
        fields["size"].append(float(2 * chans * kh * kh * c_out * out_h * out_w))
        fields["b"].append(out_h)
        fields["h"].append(height)
        fields["kernel"].append(kh)
        fields["stride"].append(stride)
        fields["padding"].append(pad)
        fields["in_row_bytes"].append(float(4 * chans * (width + 2 * pad)))
        fields["out_row_bytes"].append(float(4 * c_out * out_w))
        fields["o_cut"].append(float(4 * chans * height * width))
        height, width, chans = out_h, out_w, c_out
        if small and height > 8:  # a pooling layer on the controller keeps rows few
            height = width = int(rng.integers(4, 9))
    per_thread = rng.uniform(2e10, 1e11, size=m)
    threads = rng.integers(n, n + 4, size=m) if small else np.full(m, 20)
    # transfer from a few per cent of the compute time to about as much
    ra = rng.uniform(1e9, 5e10, size=m) if small else rng.uniform(6.05e11, 6.35e11, size=m)
    return Instance(
        name=f"random-{size}-{seed}",
        eta=[float(x) for x in per_thread], K=[int(x) for x in threads],
        ra=[float(x) for x in ra],
        size_full=float(rng.uniform(1e6, 1e8)), k_c=float(rng.uniform(1e11, 1e12)),
        o_c_out=float(4 * chans * height * width), ra_c=float(rng.uniform(1e8, 1e9)),
        meta={"generator": "conv_split.generate", "seed": seed, "size": size},
        **fields,
    )
