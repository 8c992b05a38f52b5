"""Per-layer profiles of a DNN: a DAG of nodes with work, bytes and measured latency.

A :class:`Profile` is what :func:`edgesplit.profiles.profile_model` measures with torch and what
the bundled JSON files hold; nothing here needs torch. Every formulation reads profiles through
this module: the DAG (:meth:`Profile.graph`) for DADS-style partitions and the chain view
(:meth:`Profile.chain`) for the chain-style papers (000, 001, 002, 003).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from functools import cached_property
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["PROFILE_VERSION", "ChainView", "CutPoint", "LayerNode", "Profile"]

PROFILE_VERSION = 1

NonNegInt = Annotated[int, Field(ge=0)]
NonNegFloat = Annotated[float, Field(ge=0, allow_inf_nan=False)]


class LayerNode(BaseModel):
    """One node of the traced graph (a layer, or a function such as ``add`` or ``flatten``).

    Attributes
    ----------
    name
        Unique node name (torch.fx's).
    op
        Operation type: ``input``, ``conv2d``, ``linear``, ``relu``, ``maxpool2d``, ``add``, ...
    target
        The module path (``layer1.0.conv1``) or function name the node calls.
    inputs
        Names of the nodes whose outputs this node reads (its DAG predecessors).
    output_shape
        Shape of the output tensor, batch dimension first.
    output_bytes
        Bytes of the output tensor: product of its dimensions times the element size
        (000 eq. 5, there written in bits and divided by 8).
    params, param_bytes
        Parameters owned by the node's module, and their bytes.
    macs, flops
        Multiply-accumulates and floating-point operations for the whole batch. For conv and
        linear, ``flops = 2 * macs`` (000 eq. 1-2: ``[(C_in K_w K_h) + (C_in K_w K_h - 1) + 1]
        C_out w h``); for other ops, element counts (see docs/profiles.md).
    latency_s, latency_spread_s
        Median and interquartile range of the node's measured run time, if measured.
    memory_bytes
        Measured memory the node needs while it runs, if measured; otherwise formulations
        derive memory from parameters and live activations.
    attrs
        Op attributes (kernel size, stride, padding, channels) that some models need (004).
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    name: str = Field(min_length=1)
    op: str = Field(min_length=1)
    target: str = ""
    inputs: list[str] = Field(default_factory=list)
    output_shape: list[NonNegInt] = Field(default_factory=list)
    dtype: str = "float32"
    output_bytes: NonNegInt
    params: NonNegInt = 0
    param_bytes: NonNegInt = 0
    macs: NonNegInt = 0
    flops: NonNegInt = 0
    latency_s: NonNegFloat | None = None
    latency_spread_s: NonNegFloat | None = None
    memory_bytes: NonNegInt | None = None
    attrs: dict[str, Any] = Field(default_factory=dict)


@dataclass(frozen=True)
class CutPoint:
    """A place in topological order where exactly one tensor crosses from head to tail.

    Attributes
    ----------
    index
        Ordinal among the valid cut points: 0 (everything on the far side, the raw input
        crosses) to N (everything on the near side, the model output is the only tensor).
    position
        Number of non-input nodes before the cut, in topological order.
    after
        Name of the last node before the cut (the input node's name for index 0).
    crossing
        Name of the node whose output crosses the cut.
    crossing_bytes
        Bytes of that tensor.
    """

    index: int
    position: int
    after: str
    crossing: str
    crossing_bytes: int


@dataclass(frozen=True)
class ChainView:
    """The profile as a chain of N segments between its N + 1 valid cut points.

    Segment ``i`` (1-based, as in the papers) holds the nodes between cut ``i - 1`` and cut
    ``i``; for a ``Sequential`` model every layer is one segment. Arrays have length N
    (per segment) or N + 1 (per cut point).
    """

    cuts: tuple[CutPoint, ...]
    segment_names: tuple[str, ...]
    segment_nodes: tuple[tuple[str, ...], ...]
    flops: np.ndarray
    macs: np.ndarray
    latency_s: np.ndarray
    params: np.ndarray
    param_bytes: np.ndarray
    crossing_bytes: np.ndarray

    @property
    def n_layers(self) -> int:
        """N, the number of segments."""
        return len(self.segment_names)

    def cumulative(self, name: str) -> np.ndarray:
        """Cumulative per-segment quantity at each cut point (length N + 1, starting at 0)."""
        values = getattr(self, name)
        return np.concatenate([[0], np.cumsum(values)])

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form, for reports."""
        return {
            "cut_points": [c.__dict__ for c in self.cuts],
            "segments": [{"name": n, "nodes": list(ns), "flops": int(f), "macs": int(m),
                          "latency_s": float(t), "param_bytes": int(p)}
                         for n, ns, f, m, t, p in zip(self.segment_names, self.segment_nodes,
                                                      self.flops, self.macs, self.latency_s,
                                                      self.param_bytes, strict=True)],
        }


class Profile(BaseModel):
    """A measured (or bundled) per-layer profile of one model at one input shape.

    Nodes are stored in topological order; the first is the input.
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    format: Literal["edgesplit-profile"] = "edgesplit-profile"
    version: Literal[1] = PROFILE_VERSION
    model: str = Field(min_length=1)
    input_shape: list[Annotated[int, Field(gt=0)]] = Field(min_length=1)
    dtype: str = "float32"
    device: str = "cpu"
    outputs: list[str] = Field(min_length=1, description="Names of the model's output nodes.")
    nodes: list[LayerNode] = Field(min_length=2)
    measurement: dict[str, Any] = Field(
        default_factory=dict,
        description="How latencies were measured: torch version, threads, warm-up, repeats.")

    @model_validator(mode="after")
    def _check_graph(self) -> Profile:
        seen: set[str] = set()
        for i, node in enumerate(self.nodes):
            if node.name in seen:
                raise ValueError(f"nodes.{i}.name: duplicate node name {node.name!r}")
            for src in node.inputs:
                if src not in seen:
                    raise ValueError(f"nodes.{i}.inputs: {src!r} is not an earlier node "
                                     "(nodes must be in topological order)")
            seen.add(node.name)
        if self.nodes[0].op != "input" or self.nodes[0].inputs:
            raise ValueError("nodes.0: the first node must be the input (op 'input', no inputs)")
        for out in self.outputs:
            if out not in seen:
                raise ValueError(f"outputs: {out!r} is not a node")
        return self

    # ------------------------------------------------------------------ basic views
    @cached_property
    def index(self) -> dict[str, int]:
        """Position of each node name in topological order."""
        return {n.name: i for i, n in enumerate(self.nodes)}

    def node(self, name: str) -> LayerNode:
        """The node called ``name``."""
        return self.nodes[self.index[name]]

    @cached_property
    def successors(self) -> dict[str, list[str]]:
        """Consumers of each node's output."""
        succ: dict[str, list[str]] = {n.name: [] for n in self.nodes}
        for n in self.nodes:
            for src in n.inputs:
                succ[src].append(n.name)
        return succ

    @property
    def total_flops(self) -> int:
        """FLOPs of the whole model (batch included)."""
        return sum(n.flops for n in self.nodes)

    @property
    def total_macs(self) -> int:
        """MACs of the whole model (batch included)."""
        return sum(n.macs for n in self.nodes)

    @property
    def total_params(self) -> int:
        """Parameters of the whole model."""
        return sum(n.params for n in self.nodes)

    @property
    def total_latency_s(self) -> float | None:
        """Sum of measured node latencies, or None if not measured."""
        if any(n.latency_s is None for n in self.nodes[1:]):
            return None
        return float(sum(n.latency_s or 0.0 for n in self.nodes))

    @property
    def batch_size(self) -> int:
        """First dimension of the input shape."""
        return self.input_shape[0]

    def graph(self) -> Any:
        """The DAG as a ``networkx.DiGraph``; node attributes are the LayerNode fields."""
        import networkx as nx

        g = nx.DiGraph()
        for n in self.nodes:
            g.add_node(n.name, **n.model_dump(exclude={"name", "inputs"}))
            for src in n.inputs:
                g.add_edge(src, n.name, bytes=self.node(src).output_bytes)
        return g

    # ------------------------------------------------------------------ chain view
    def live_after(self) -> list[set[str]]:
        """For each position ``k`` (0 = after the input), the nodes at or before ``k`` whose
        output is still needed after ``k`` (by a later node, or as a model output)."""
        last_use = {n.name: self.index[n.name] for n in self.nodes}
        for n in self.nodes:
            for src in n.inputs:
                last_use[src] = max(last_use[src], self.index[n.name])
        for out in self.outputs:
            last_use[out] = len(self.nodes)  # outputs live to the end
        live: list[set[str]] = []
        current: set[str] = set()
        for k, n in enumerate(self.nodes):
            current.add(n.name)
            current = {m for m in current if last_use[m] > k}
            live.append(set(current))
        return live

    def live_activation_bytes(self) -> np.ndarray:
        """Bytes of activations held in memory while each node runs (its inputs, its output and
        every earlier tensor still needed later), in topological order."""
        live = self.live_after()
        out = np.zeros(len(self.nodes))
        for k, n in enumerate(self.nodes):
            held = set(live[k - 1]) if k > 0 else set()
            held |= set(n.inputs) | {n.name}
            out[k] = sum(self.node(m).output_bytes for m in held)
        return out

    def chain(self) -> ChainView:
        """The chain view: valid single-tensor cut points and the segments between them.

        A cut after topological position ``k`` is valid when exactly one tensor produced at or
        before ``k`` is needed after ``k``. Cut 0 sends the raw input; the last cut is after
        the final node (nothing is sent but the output).
        """
        live = self.live_after()
        cuts: list[CutPoint] = []
        for k, n in enumerate(self.nodes):
            # constants (weights read via get_attr) and non-tensor values (sizes) are known on
            # both sides, so they never count as crossing tensors
            crossing = {m for m in live[k]
                        if self.node(m).op != "constant" and self.node(m).dtype != "none"}
            if len(crossing) == 1:
                (name,) = crossing
                cuts.append(CutPoint(len(cuts), k, n.name, name, self.node(name).output_bytes))
        # the last node is always a valid cut when the model has one output
        if not cuts or cuts[-1].position != len(self.nodes) - 1:
            raise ValueError("the profile has no valid cut after its last node "
                             "(several outputs?)")
        names, members = [], []
        fl, ma, lat, par, pby = [], [], [], [], []
        for a, b in itertools.pairwise(cuts):
            seg = self.nodes[a.position + 1: b.position + 1]
            members.append(tuple(n.name for n in seg))
            names.append(seg[-1].name)
            fl.append(sum(n.flops for n in seg))
            ma.append(sum(n.macs for n in seg))
            lat.append(sum((n.latency_s or 0.0) for n in seg))
            par.append(sum(n.params for n in seg))
            pby.append(sum(n.param_bytes for n in seg))
        return ChainView(
            cuts=tuple(cuts),
            segment_names=tuple(names),
            segment_nodes=tuple(members),
            flops=np.array(fl, dtype=float),
            macs=np.array(ma, dtype=float),
            latency_s=np.array(lat, dtype=float),
            params=np.array(par, dtype=float),
            param_bytes=np.array(pby, dtype=float),
            crossing_bytes=np.array([c.crossing_bytes for c in cuts], dtype=float),
        )

    def summary(self) -> dict[str, Any]:
        """Headline figures: node count, cut points, totals."""
        chain = self.chain()
        lat = self.total_latency_s
        return {
            "model": self.model,
            "input_shape": self.input_shape,
            "nodes": len(self.nodes) - 1,
            "chain_cut_points": len(chain.cuts),
            "gmacs": self.total_macs / 1e9,
            "gflops": self.total_flops / 1e9,
            "params_m": self.total_params / 1e6,
            "latency_ms": None if lat is None else lat * 1e3,
            "joins": sum(1 for n in self.nodes if len(n.inputs) > 1),
        }

    def to_json(self, indent: int | None = 1) -> str:
        """Serialise to the profile-file JSON."""
        return self.model_dump_json(indent=indent, exclude_defaults=False)


def element_size(dtype: str) -> int:
    """Bytes per element of a dtype name (``float32`` -> 4)."""
    table = {"float64": 8, "float32": 4, "float16": 2, "bfloat16": 2, "int64": 8, "int32": 4,
             "int16": 2, "int8": 1, "uint8": 1, "bool": 1}
    if dtype not in table:
        raise ValueError(f"unknown dtype {dtype!r}")
    return table[dtype]


def numel(shape: list[int]) -> int:
    """Number of elements of a shape."""
    return int(math.prod(shape)) if shape else 1
