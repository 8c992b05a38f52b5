"""``dag_partition``: split a DNN's DAG between an edge node and the cloud (DADS).

Hu, Bao, Wang and Liu, "Dynamic Adaptive DNN Surgery for Inference Acceleration on the Edge",
IEEE INFOCOM 2019 (DADS), as papers 000 and 004 use it as a baseline. DADS is **not** among the
seed papers: this module encodes it from the published description (abstract, the DSL min-cut
construction, the DSH heavy-load objective) as we know it, and says where we choose.

The model (DADS Sec. III)
-------------------------
The DNN is a DAG ``G = (V, E)`` in topological order; node 0 is the input (the frame, captured
on the edge side). Node ``v`` takes ``t_e[v]`` seconds on the edge and ``t_c[v]`` in the cloud
and produces a tensor of ``d[v]`` bytes. A partition puts every node on the edge (``x_v = 0``)
or in the cloud (``x_v = 1``) with

* the input on the edge: ``x_0 = 0``;
* precedence, "once in the cloud, stay in the cloud": ``x_u <= x_v`` for every edge
  ``(u, v)``, i.e. every predecessor of an edge node runs on the edge (DADS never sends data back
  from the cloud).

A tensor ``u`` is *sent* when ``u`` is on the edge and at least one consumer is in the cloud.
It is sent **once**, however many cloud nodes read it (DADS splits such nodes in its min-cut
graph for exactly this reason). Sending it takes ``t_t[u] = 8 d[u] / B + L`` seconds, with ``B``
the uplink in bit/s and ``L`` the link latency, paid per tensor (each tensor one message; a
zero-byte tensor, e.g. a constant known on both sides, costs nothing). The stage times are::

    T_e = sum_{v: x_v = 0} t_e[v],    T_t = sum_{u sent} t_t[u],    T_c = sum_{v: x_v = 1} t_c[v]

Light load (DADS's DSL objective, latency of one frame)::   min  T_e + T_t + T_c
Heavy load (DADS's DSH objective, pipeline throughput)::    min  max(T_e, T_t, T_c)

The model's output stays where it is computed (DADS does not charge the return of the result).

Choices where DADS is silent or where we make it explicit
---------------------------------------------------------
* DADS's graph has no edge that forbids cloud-to-edge data flow; we state the precedence rule
  as a constraint (and as infinite reverse arcs in the min-cut).
* The link latency is paid per sent tensor (DADS uses ``d / B`` only); with ``L = 0`` the model
  is DADS's.
* Nodes in topological order define the *chain view* (Neurosurgeon's cut points): prefixes of the
  order across which at most one tensor crosses, exactly as
  :meth:`edgesplit.profiles.Profile.chain` defines them.
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
    NonNegInt,
    PosFloat,
    SolutionBase,
    Violations,
)

PROBLEM = "dag_partition"
EXPORT_FORMATS = (".lp", ".mps")
LOADS = ("light", "heavy")

__all__ = [
    "EXPORT_FORMATS",
    "LOADS",
    "PROBLEM",
    "Instance",
    "Solution",
    "build_pyomo",
    "chain_cuts",
    "cloud_mask",
    "evaluate",
    "from_profile",
    "generate",
    "named_objectives",
    "objective_of",
    "prefix_mask",
    "random_instance",
    "stage_times",
    "time_unit_for",
    "transfer_times",
]


class Instance(InstanceBase):
    """A dag_partition instance (DADS Sec. III); nodes in topological order, SI units."""

    problem: Literal["dag_partition"] = "dag_partition"
    nodes: list[str] = Field(
        min_length=2,
        description="Node (layer) names in topological order; node 0 is the input, on the edge.")
    preds: list[list[NonNegInt]] = Field(
        description="Predecessors of each node (indices of earlier nodes): the DAG's edges.")
    t_e: list[NonNegFloat] = Field(description="Edge compute time of each node, s (DADS t^e).")
    t_c: list[NonNegFloat] = Field(description="Cloud compute time of each node, s (DADS t^c).")
    d: list[NonNegFloat] = Field(
        description="Bytes of each node's output tensor (DADS's data size); 0 for values known "
                    "on both sides (constants).")
    B: PosFloat = Field(description="Edge-to-cloud bandwidth, bit/s (DADS's B).")
    link_latency: NonNegFloat = Field(
        default=0.0, description="Latency added to every sent tensor, s (0 in DADS).")
    load: Literal["light", "heavy"] = Field(
        default="light",
        description="'light': minimise T_e + T_t + T_c (DADS DSL); 'heavy': minimise "
                    "max(T_e, T_t, T_c) (DADS DSH, throughput).")

    @model_validator(mode="after")
    def _check_graph(self) -> Instance:
        n = len(self.nodes)
        for field in ("preds", "t_e", "t_c", "d"):
            if len(getattr(self, field)) != n:
                raise ValueError(f"{field}: needs one entry per node ({n}), got "
                                 f"{len(getattr(self, field))}")
        if len(set(self.nodes)) != n:
            dup = next(x for x in self.nodes if self.nodes.count(x) > 1)
            raise ValueError(f"nodes: duplicate node name {dup!r}")
        if self.preds[0]:
            raise ValueError("preds.0: node 0 is the input and has no predecessors")
        for v, ps in enumerate(self.preds):
            if len(set(ps)) != len(ps):
                raise ValueError(f"preds.{v}: repeated predecessor")
            for u in ps:
                if u >= v:
                    raise ValueError(f"preds.{v}: predecessor {u} is not an earlier node "
                                     "(nodes must be in topological order)")
        return self

    @property
    def n(self) -> int:
        """Number of nodes, the input included."""
        return len(self.nodes)

    def edges(self) -> tuple[np.ndarray, np.ndarray]:
        """Arrays ``(u, w)`` of the DAG's edges: ``w`` reads the output of ``u``."""
        u = [p for ps in self.preds for p in ps]
        w = [v for v, ps in enumerate(self.preds) for _ in ps]
        return np.asarray(u, dtype=np.int64), np.asarray(w, dtype=np.int64)

    def successors(self) -> list[list[int]]:
        """Consumers of each node's output."""
        succ: list[list[int]] = [[] for _ in range(self.n)]
        for v, ps in enumerate(self.preds):
            for u in ps:
                succ[u].append(v)
        return succ


class Solution(SolutionBase):
    """A partition: the nodes run in the cloud (the rest, input included, run on the edge)."""

    cloud: list[str] = Field(description="Names of the nodes run in the cloud.")
    chain_cut: int | None = Field(
        default=None, ge=0,
        description="Index of the chain cut point this partition equals (0 = all in the cloud, "
                    "the raw input sent), if it is one; checked by evaluate.")


# ----------------------------------------------------------------------------- vectorised core
def transfer_times(inst: Instance) -> np.ndarray:
    """``t_t[u] = 8 d[u] / B + L`` for every tensor, 0 for zero-byte tensors (seconds)."""
    d = np.asarray(inst.d, dtype=float)
    return np.where(d > 0, 8.0 * d / inst.B + inst.link_latency, 0.0)


def sent_tensors(inst: Instance, cloud: np.ndarray) -> np.ndarray:
    """Boolean matrix (k, n): tensor ``u`` is sent under assignment row ``k``.

    ``cloud`` is a boolean array (n,) or (k, n), True where the node runs in the cloud. A tensor
    is sent once if it is produced on the edge and read by at least one cloud node.
    """
    x = np.atleast_2d(np.asarray(cloud, dtype=bool))
    u, w = inst.edges()
    crossing = ~x[:, u] & x[:, w]  # (k, m) edge u -> w goes edge -> cloud
    counts = np.zeros((x.shape[0], inst.n))
    np.add.at(counts.T, u, crossing.T.astype(float))
    return counts > 0


def stage_times(inst: Instance, cloud: np.ndarray) -> np.ndarray:
    """Stage times ``(T_e, T_t, T_c)`` of one or many assignments (DADS Sec. III).

    Parameters
    ----------
    inst
        The instance.
    cloud
        Boolean (n,) or (k, n): True where the node runs in the cloud.

    Returns
    -------
    numpy.ndarray
        Shape (k, 3): edge compute, transfer and cloud compute time of each row.
    """
    x = np.atleast_2d(np.asarray(cloud, dtype=bool))
    t_e = np.asarray(inst.t_e, dtype=float)
    t_c = np.asarray(inst.t_c, dtype=float)
    T_e = (~x) @ t_e
    T_c = x @ t_c
    T_t = sent_tensors(inst, x) @ transfer_times(inst)
    return np.column_stack([T_e, T_t, T_c])


def objective_of(inst: Instance, stages: np.ndarray) -> np.ndarray:
    """The instance's objective from stage times (k, 3): their sum (light) or max (heavy)."""
    stages = np.atleast_2d(stages)
    return stages.sum(axis=1) if inst.load == "light" else stages.max(axis=1)


def named_objectives(stages: np.ndarray) -> dict[str, float]:
    """The ``objectives`` of one assignment from its stage times (3,): both loads' objectives
    (``latency`` = sum, ``bottleneck`` = max) and the stages themselves."""
    T_e, T_t, T_c = (float(v) for v in np.asarray(stages, dtype=float).reshape(3))
    return {"latency": T_e + T_t + T_c, "bottleneck": max(T_e, T_t, T_c), "T_edge": T_e,
            "T_transfer": T_t, "T_cloud": T_c}


def precedence_ok(inst: Instance, cloud: np.ndarray) -> np.ndarray:
    """Boolean (k,): the input is on the edge and no edge node reads a cloud node's output."""
    x = np.atleast_2d(np.asarray(cloud, dtype=bool))
    u, w = inst.edges()
    return ~x[:, 0] & ~np.any(x[:, u] & ~x[:, w], axis=1)


# ----------------------------------------------------------------------------- chain view
def prefix_mask(inst: Instance, position: int) -> np.ndarray:
    """The assignment running nodes ``0..position`` on the edge, the rest in the cloud."""
    x = np.ones(inst.n, dtype=bool)
    x[: position + 1] = False
    return x


def chain_cuts(inst: Instance) -> list[int]:
    """Topological positions after which at most one tensor crosses (the chain view).

    Position ``p`` is a chain cut when at most one tensor with bytes produced at or before ``p``
    is read after ``p``; position 0 (only the input on the edge: the raw input is sent) and
    ``n - 1`` (all on the edge) are always cuts. Chain-style methods (Neurosurgeon, 000-003)
    choose among these; the cut's index in this list is its chain cut index, the same as
    :meth:`edgesplit.profiles.Profile.chain` for single-output models.
    """
    last_use = np.arange(inst.n)
    for v, ps in enumerate(inst.preds):
        for u in ps:
            last_use[u] = max(last_use[u], v)
    # tensor u (with bytes) crosses every position p with u <= p < last_use[u]
    change = np.zeros(inst.n + 1, dtype=np.int64)
    for u in np.flatnonzero((np.asarray(inst.d) > 0) & (last_use > np.arange(inst.n))):
        change[u] += 1
        change[last_use[u]] -= 1
    live = np.cumsum(change[:-1])
    return [int(p) for p in np.flatnonzero(live <= 1)]


# ----------------------------------------------------------------------------- evaluate
def cloud_mask(inst: Instance, sol: Solution) -> np.ndarray:
    """Boolean (n,) assignment of a solution; unknown or repeated names are bad input."""
    index = {name: i for i, name in enumerate(inst.nodes)}
    x = np.zeros(inst.n, dtype=bool)
    for j, name in enumerate(sol.cloud):
        if name not in index:
            raise InputError(f"solution.cloud.{j}", f"{name!r} is not a node of the instance")
        if x[index[name]]:
            raise InputError(f"solution.cloud.{j}", f"node {name!r} is listed twice")
        x[index[name]] = True
    return x


def solution_from_mask(inst: Instance, cloud: np.ndarray) -> dict[str, Any]:
    """The JSON solution of an assignment, with its chain cut index when it is one."""
    x = np.asarray(cloud, dtype=bool)
    cut = None
    edge_count = int(np.count_nonzero(~x))
    if edge_count >= 1 and not x[:edge_count].any() and x[edge_count:].all():
        cuts = chain_cuts(inst)
        if edge_count - 1 in cuts:
            cut = cuts.index(edge_count - 1)
    return {"cloud": [inst.nodes[i] for i in np.flatnonzero(x)], "chain_cut": cut}


def evaluate(inst: Instance, sol: Solution) -> Evaluation:
    """Feasibility and objective of a partition (DADS Sec. III).

    Objective: ``T_e + T_t + T_c`` (light load) or ``max(T_e, T_t, T_c)`` (heavy load).
    ``objectives`` holds both (``latency``, ``bottleneck``) and the three stage times
    (``T_edge``, ``T_transfer``, ``T_cloud``).
    """
    x = cloud_mask(inst, sol)
    v = Violations()
    v.check(not x[0], "input on the edge (DADS: the frame is captured at the edge)",
            f"input node {inst.nodes[0]!r} is in the cloud")
    u, w = inst.edges()
    bad = np.flatnonzero(x[u] & ~x[w])
    if bad.size:
        shown = ", ".join(f"{inst.nodes[u[k]]} -> {inst.nodes[w[k]]}" for k in bad[:3])
        more = f" (and {bad.size - 3} more)" if bad.size > 3 else ""
        v.check(False, "precedence x_u <= x_v (DADS: every predecessor of an edge node runs "
                       "on the edge)", f"cloud output read on the edge: {shown}{more}")
    if sol.chain_cut is not None:
        cuts = chain_cuts(inst)
        ok = sol.chain_cut < len(cuts) and bool(
            np.array_equal(x, prefix_mask(inst, cuts[sol.chain_cut])))
        v.check(ok, "chain_cut matches the partition",
                f"chain cut {sol.chain_cut} is not this partition ({len(cuts)} chain cuts)")
    objectives = named_objectives(stage_times(inst, x)[0])
    sent = np.flatnonzero(sent_tensors(inst, x)[0])
    return Evaluation(
        feasible=not v,
        objective=objectives["latency" if inst.load == "light" else "bottleneck"],
        objectives=objectives,
        violations=v.items,
        details={"sent": [inst.nodes[i] for i in sent],
                 "sent_bytes": float(np.asarray(inst.d)[sent].sum()),
                 "edge_nodes": int(np.count_nonzero(~x))},
    )


# ----------------------------------------------------------------------------- MILP
def build_pyomo(inst: Instance, load: Literal["light", "heavy"] | None = None,
                time_unit: float = 1.0) -> Any:
    """The partition as a MILP (DADS Sec. III, light or heavy load).

    ::

        x_v in {0,1}  (1: node v in the cloud),   s_u in {0,1}  (1: tensor u is sent)
        input_on_edge:      x_0 = 0
        precedence[u,w]:    x_u <= x_w                       for every edge (u, w)
        sent_once[u,w]:     s_u >= x_w - x_u                 for every edge (u, w), d_u > 0
        T_edge = sum_v t_e[v] (1 - x_v),  T_transfer = sum_u t_t[u] s_u,  T_cloud = sum_v t_c[v] x_v
        light:  min T_edge + T_transfer + T_cloud
        heavy:  min z,  z >= T_edge (bottleneck_edge), z >= T_transfer (bottleneck_transfer),
                        z >= T_cloud (bottleneck_cloud)

    One ``s_u`` per tensor, not per edge: a tensor read by several cloud nodes is paid once.
    ``load`` overrides the instance's. Times are expressed in units of ``time_unit`` seconds
    (default 1): solvers check constraints to an absolute tolerance (HiGHS: 1e-6), so a model
    whose times are milliseconds should be solved in a unit near them (:func:`time_unit_for`).
    """
    import pyomo.environ as pyo

    load = load or inst.load
    if load not in LOADS:
        raise InputError("load", f"must be 'light' or 'heavy' (got {load!r})")
    if not (time_unit > 0 and np.isfinite(time_unit)):
        raise InputError("time_unit", f"must be a positive number of seconds (got {time_unit})")
    t_t = transfer_times(inst) / time_unit
    t_e = np.asarray(inst.t_e, dtype=float) / time_unit
    t_c = np.asarray(inst.t_c, dtype=float) / time_unit
    u_arr, w_arr = inst.edges()
    edges = list(zip(u_arr.tolist(), w_arr.tolist(), strict=True))
    tensors = sorted({u for u, _ in edges if t_t[u] > 0})
    m = pyo.ConcreteModel(name="dag_partition")
    m.V = pyo.RangeSet(0, inst.n - 1)
    m.E = pyo.Set(initialize=edges, dimen=2, ordered=True)
    m.U = pyo.Set(initialize=tensors, ordered=True)
    m.SE = pyo.Set(initialize=[(u, w) for u, w in edges if t_t[u] > 0], dimen=2, ordered=True)
    m.x = pyo.Var(m.V, domain=pyo.Binary)
    m.s = pyo.Var(m.U, domain=pyo.Binary)
    _add_input_on_edge(m)
    _add_precedence(m)
    _add_sent_once(m)
    m.T_edge = pyo.Expression(expr=sum(float(t_e[v]) * (1 - m.x[v]) for v in m.V
                                       if t_e[v] > 0))
    m.T_transfer = pyo.Expression(expr=sum(float(t_t[u]) * m.s[u] for u in m.U))
    m.T_cloud = pyo.Expression(expr=sum(float(t_c[v]) * m.x[v] for v in m.V if t_c[v] > 0))
    if load == "light":
        m.latency = pyo.Objective(expr=m.T_edge + m.T_transfer + m.T_cloud, sense=pyo.minimize)
    else:
        _add_bottleneck(m)
    return m


def _add_input_on_edge(m: Any) -> None:
    """``x_0 = 0``: the input is produced on the edge side (DADS Sec. III)."""
    import pyomo.environ as pyo

    m.input_on_edge = pyo.Constraint(expr=m.x[0] == 0)


def _add_precedence(m: Any) -> None:
    """``x_u <= x_w`` for every edge: once in the cloud, stay in the cloud (DADS Sec. III)."""
    import pyomo.environ as pyo

    m.precedence = pyo.Constraint(m.E, rule=lambda mm, u, w: mm.x[u] <= mm.x[w])


def _add_sent_once(m: Any) -> None:
    """``s_u >= x_w - x_u``: tensor u is sent (once) if any consumer is in the cloud."""
    import pyomo.environ as pyo

    m.sent_once = pyo.Constraint(m.SE, rule=lambda mm, u, w: mm.s[u] >= mm.x[w] - mm.x[u])


def _add_bottleneck(m: Any) -> None:
    """Heavy load (DADS DSH): ``min z`` with ``z`` above every stage time."""
    import pyomo.environ as pyo

    m.z = pyo.Var(domain=pyo.NonNegativeReals)
    m.bottleneck_edge = pyo.Constraint(expr=m.z >= m.T_edge)
    m.bottleneck_transfer = pyo.Constraint(expr=m.z >= m.T_transfer)
    m.bottleneck_cloud = pyo.Constraint(expr=m.z >= m.T_cloud)
    m.bottleneck = pyo.Objective(expr=m.z, sense=pyo.minimize)


def time_unit_for(inst: Instance) -> float:
    """A time unit that puts the model's numbers near 1..1000: a thousandth of the larger of
    the all-edge and the all-cloud latency (1 s if both are zero)."""
    all_edge = float(np.sum(inst.t_e))
    all_cloud = float(np.sum(inst.t_c)) + float(transfer_times(inst)[0])
    ref = max(all_edge, all_cloud)
    return ref / 1000.0 if ref > 0 else 1.0


def mask_from_pyomo(m: Any) -> np.ndarray:
    """The cloud assignment of a solved :func:`build_pyomo` model."""
    import pyomo.environ as pyo

    return np.array([pyo.value(m.x[v]) > 0.5 for v in m.V], dtype=bool)


# ----------------------------------------------------------------------------- builders
def from_profile(profile: Any, edge: Any, cloud: Any, link: Any, *,
                 use_measured_latency: bool = False, name: str | None = None,
                 load: Literal["light", "heavy"] = "light") -> Instance:
    """Build an instance from a profile's DAG and catalogue hardware.

    Parameters
    ----------
    profile
        A :class:`~edgesplit.profiles.Profile` (figures for its whole batch).
    edge, cloud
        :class:`~edgesplit.profiles.Device`. By default a node takes ``flops / F`` seconds on a
        device of ``F`` FLOP/s (000 eq. 4).
    link
        :class:`~edgesplit.profiles.Link`: its uplink rate is ``B`` (edge to cloud), its latency
        ``link_latency``.
    use_measured_latency
        Use the profile's measured per-node latency scaled to each device instead of FLOPs:
        ``t[v] = latency[v] * F_meas / F`` with ``F_meas = (total FLOPs) / (total measured
        latency)``, the FLOP/s of the machine that measured the profile. This keeps the measured
        shape (memory-bound layers are slower than their FLOPs say) while the total matches
        ``total FLOPs / F``.
    name
        Instance name (default: the profile's model name).
    load
        ``"light"`` or ``"heavy"`` (DADS DSL or DSH objective).

    Notes
    -----
    The input node costs nothing; constants and non-tensor values (``op == "constant"`` or
    ``dtype == "none"``) have ``d = 0``: they are known on both sides.
    """
    nodes = profile.nodes
    flops = np.array([float(nd.flops) for nd in nodes])
    flops[0] = 0.0
    if use_measured_latency:
        if any(nd.latency_s is None for nd in nodes[1:]):
            raise InputError("profile", "use_measured_latency needs a measured latency for "
                                        "every node")
        lat = np.array([float(nd.latency_s or 0.0) for nd in nodes])
        lat[0] = 0.0
        if lat.sum() <= 0:
            raise InputError("profile", "the profile's measured latencies sum to zero")
        f_meas = flops.sum() / lat.sum()
        t_e, t_c = lat * f_meas / edge.flops, lat * f_meas / cloud.flops
    else:
        t_e, t_c = flops / edge.flops, flops / cloud.flops
    index = {nd.name: i for i, nd in enumerate(nodes)}
    d = [0.0 if (nd.op == "constant" or nd.dtype == "none") else float(nd.output_bytes)
         for nd in nodes]
    return Instance(
        name=name or profile.model,
        nodes=[nd.name for nd in nodes],
        preds=[[index[s] for s in nd.inputs] for nd in nodes],
        t_e=[float(t) for t in t_e], t_c=[float(t) for t in t_c], d=d,
        B=float(link.up), link_latency=float(link.latency_s), load=load,
        meta={"profile": profile.model, "input_shape": profile.input_shape,
              "edge": edge.name, "cloud": cloud.name, "link": link.name,
              "times": "measured latency, scaled" if use_measured_latency else "FLOPs / FLOP/s"},
    )


def random_instance(seed: int, n_nodes: int, *, load: Literal["light", "heavy"] | None = None,
                    name: str | None = None) -> Instance:
    """A random CNN-like DAG with branches and joins.

    Nodes are added in topological order. Each new node reads the previous node (a chain) with
    probability 0.6, otherwise it opens a branch from one of the last five nodes; with
    probability 0.3 it also joins a second earlier node (a residual add or a concatenation).
    Edge compute is lognormal around 1 ms, the cloud is 2-50 times faster and tensors shrink
    with depth from about 600 kB. The bandwidth is set so that sending a tensor of median size
    takes 0.03 to 3 times the whole edge compute time, so that early, late and interior cuts
    are all in play. ``load`` is drawn at random unless given.
    """
    if n_nodes < 2:
        raise InputError("n_nodes", f"needs at least 2 nodes (got {n_nodes})")
    rng = np.random.default_rng(seed)
    preds: list[list[int]] = [[]]
    for v in range(1, n_nodes):
        first = v - 1 if rng.random() < 0.6 else int(rng.integers(max(0, v - 5), v))
        ps = {first}
        if v >= 2 and rng.random() < 0.3:
            ps.add(int(rng.integers(max(0, v - 8), v)))
        preds.append(sorted(ps))
    t_e = rng.lognormal(np.log(1e-3), 1.0, n_nodes)
    t_e[0] = 0.0
    speedup = float(rng.uniform(2, 50))
    depth = np.arange(n_nodes) / max(n_nodes - 1, 1)
    d = 6e5 * np.exp(-3.0 * depth) * rng.lognormal(0.0, 0.7, n_nodes)
    chosen = load if load is not None else ("light" if rng.random() < 0.5 else "heavy")
    return Instance(
        name=name or f"random-{n_nodes}-{seed}",
        nodes=["input", *[f"n{v}" for v in range(1, n_nodes)]],
        preds=preds,
        t_e=[float(t) for t in t_e],
        t_c=[float(t / speedup) for t in t_e],
        d=[float(round(x)) for x in d],
        B=float(8 * np.median(d) / t_e.sum() * 10 ** rng.uniform(-0.5, 1.5)),
        link_latency=float(rng.choice([0.0, 1e-3])),
        load=chosen,
        meta={"generator": "dag_partition.random_instance", "seed": seed, "n_nodes": n_nodes},
    )


def generate(seed: int, size: Literal["small", "paper"] = "small") -> Instance:
    """A random valid instance: ``small`` has 3-12 nodes (brute force checks it), ``paper``
    100-300 (ResNet-34's DAG has 126, GoogLeNet's about 200); light or heavy load at random."""
    if size not in ("small", "paper"):
        raise InputError("size", f"must be 'small' or 'paper' (got {size!r})")
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 13) if size == "small" else rng.integers(100, 301))
    inst = random_instance(int(rng.integers(2**31)), n, name=f"random-{size}-{seed}")
    inst.meta = {"generator": "dag_partition.generate", "seed": seed, "size": size}
    return inst
