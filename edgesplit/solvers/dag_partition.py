"""Methods for ``dag_partition`` (DADS, Hu et al. INFOCOM 2019).

* ``mincut`` (exact for light load): DADS's DSL, an s-t minimum cut of an auxiliary graph
  built with networkx.
* ``milp`` (exact, light and heavy load): :func:`edgesplit.formulations.dag_partition.build_pyomo`
  solved by HiGHS.
* ``dads-heavy`` (heuristic): DADS's DSH for heavy load, min-cuts under a search over a virtual
  bandwidth (and, our extension, a virtual edge speed) that balances the three stages.
* ``neurosurgeon`` (baseline): the best chain cut point (Kang et al. 2017), by enumeration.

Every method scores its partitions with the formulation's :func:`stage_times`, the same helper
``evaluate`` uses.
"""

from __future__ import annotations

import math
import time
from typing import Literal

import networkx as nx
import numpy as np

from edgesplit.errors import InputError
from edgesplit.formulations import dag_partition as dp
from edgesplit.results import Result, Status
from edgesplit.solvers import register
from edgesplit.solvers._pyomo import solve_pyomo

__all__ = [
    "cut_graph",
    "dsh_search",
    "mincut_mask",
    "solve_dads_heavy",
    "solve_milp",
    "solve_mincut",
    "solve_neurosurgeon",
]

SOURCE, SINK = "_edge_", "_cloud_"

#: Capacities are scaled to integers of this many units per total finite capacity, so that
#: networkx's max-flow works on exact integers (float capacities may round wrongly).
_RESOLUTION = 2**52


def cut_graph(inst: dp.Instance, w_e: float = 1.0, w_t: float = 1.0,
              w_c: float = 1.0) -> nx.DiGraph:
    """DADS's min-cut graph (DSL, Sec. IV-B) for the weighted cost ``w_e T_e + w_t T_t + w_c T_c``.

    Vertices: the source ``e`` (the edge), the sink ``c`` (the cloud), every DAG node, and one
    auxiliary vertex ``u'`` per tensor read by several nodes. Arcs (a missing capacity is
    infinite):

    * ``e -> v`` with capacity ``w_c t_c[v]``: cut when ``v`` runs in the cloud;
    * ``v -> c`` with capacity ``w_e t_e[v]``: cut when ``v`` runs on the edge;
    * ``u -> w`` with capacity ``w_t t_t[u]`` for a tensor with a single consumer ``w``; for a
      tensor with several consumers ``u -> u'`` with ``w_t t_t[u]`` and ``u' -> w`` infinite for
      each consumer, so the tensor is paid once however many cloud nodes read it;
    * ``w -> u`` infinite for every DAG edge (precedence: a cloud node never feeds an edge node),
      and ``e -> input`` infinite (the input is on the edge).

    An ``e``-``c`` cut of finite capacity is a feasible partition (source side = edge) and its
    capacity is the weighted cost. Capacities are integers (see :data:`_RESOLUTION`).
    """
    t_t = dp.transfer_times(inst)
    t_e = w_e * np.asarray(inst.t_e, dtype=float)
    t_c = w_c * np.asarray(inst.t_c, dtype=float)
    t_s = w_t * t_t
    total = float(t_e.sum() + t_c.sum() + t_s.sum())
    unit = total / _RESOLUTION if total > 0 else 1.0

    def cap(t: float) -> int:
        return round(t / unit)

    g = nx.DiGraph()
    g.add_node(SOURCE)
    g.add_node(SINK)
    g.add_edge(SOURCE, 0)  # input on the edge: infinite
    for v in range(inst.n):
        if v > 0 and t_c[v] > 0:
            g.add_edge(SOURCE, v, capacity=cap(t_c[v]))
        if t_e[v] > 0:
            g.add_edge(v, SINK, capacity=cap(t_e[v]))
    for u, consumers in enumerate(inst.successors()):
        for w in consumers:
            g.add_edge(w, u)  # precedence: infinite
        if t_s[u] <= 0 or not consumers:
            continue
        if len(consumers) == 1:
            g.add_edge(u, consumers[0], capacity=cap(t_s[u]))
        else:
            aux = ("aux", u)
            g.add_edge(u, aux, capacity=cap(t_s[u]))
            for w in consumers:
                g.add_edge(aux, w)
    return g


def mincut_mask(inst: dp.Instance, w_e: float = 1.0, w_t: float = 1.0,
                w_c: float = 1.0) -> np.ndarray:
    """The cloud assignment minimising ``w_e T_e + w_t T_t + w_c T_c`` (DADS DSL).

    Among several minimum cuts, networkx returns the one whose source side is smallest, i.e.
    the partition running the fewest nodes on the edge.
    """
    g = cut_graph(inst, w_e, w_t, w_c)
    _, (edge_side, _) = nx.minimum_cut(g, SOURCE, SINK, capacity="capacity",
                                       flow_func=nx.algorithms.flow.preflow_push)
    x = np.ones(inst.n, dtype=bool)
    for v in edge_side:
        if isinstance(v, int):
            x[v] = False
    return x


def _result(inst: dp.Instance, method: str, x: np.ndarray, status: Status,
            message: str | None = None, **info: object) -> Result:
    stages = dp.stage_times(inst, x)[0]
    objective = float(dp.objective_of(inst, stages)[0])
    return Result(dp.PROBLEM, method, status, objective=objective,
                  objectives=dp.named_objectives(stages),
                  solution=dp.solution_from_mask(inst, x), message=message,
                  info={"stages": stages, **info})


@register(dp.PROBLEM, "mincut", kind="exact")
def solve_mincut(inst: dp.Instance, *, time_limit: float | None = None,
                 seed: int = 0) -> Result:
    """DADS DSL: s-t minimum cut (networkx), exact for light load."""
    x = mincut_mask(inst)
    if inst.load == "light":
        return _result(inst, "mincut", x, Status.OPTIMAL)
    return _result(inst, "mincut", x, Status.FEASIBLE,
                   "mincut minimises the light-load latency; for load 'heavy' its partition "
                   "is DADS's 3-approximation of the bottleneck (use milp or dads-heavy)")


@register(dp.PROBLEM, "milp", kind="exact")
def solve_milp(inst: dp.Instance, *, time_limit: float | None = None, seed: int = 0,
               backend: Literal["highs", "scip"] = "highs") -> Result:
    """MILP of the partition (Pyomo + HiGHS), light and heavy load."""
    if backend not in ("highs", "scip"):
        raise InputError("backend", f"must be 'highs' or 'scip' (got {backend!r})")
    unit = dp.time_unit_for(inst)
    model = dp.build_pyomo(inst, time_unit=unit)
    out = solve_pyomo(model, backend, time_limit=time_limit)
    info = {"variables": model.nvariables(), "constraints": model.nconstraints(),
            "time_unit_s": unit, "solver": out.raw}
    if not out.has_solution:
        return Result(dp.PROBLEM, "milp", out.status, message=out.message, info=info)
    x = dp.mask_from_pyomo(model)
    bound = None if out.bound is None else out.bound * unit
    stages = dp.stage_times(inst, x)[0]
    return Result(dp.PROBLEM, "milp", out.status, objective=out.objective * unit, bound=bound,
                  gap=out.gap, objectives=dp.named_objectives(stages),
                  solution=dp.solution_from_mask(inst, x), message=out.message,
                  info={**info, "stages": stages})


@register(dp.PROBLEM, "neurosurgeon", kind="baseline")
def solve_neurosurgeon(inst: dp.Instance, *, time_limit: float | None = None,
                       seed: int = 0) -> Result:
    """Neurosurgeon: the best chain cut point (one crossing tensor), by enumeration."""
    cuts = dp.chain_cuts(inst)
    masks = np.array([dp.prefix_mask(inst, p) for p in cuts])
    values = dp.objective_of(inst, dp.stage_times(inst, masks))
    best = int(np.argmin(values))  # ties: the earliest cut
    return _result(inst, "neurosurgeon", masks[best], Status.FEASIBLE,
                   f"best of {len(cuts)} chain cut points: cut {best} after node "
                   f"{inst.nodes[cuts[best]]!r}", chain_values=values)


def _bottleneck(inst: dp.Instance, x: np.ndarray) -> tuple[float, int, np.ndarray]:
    stages = dp.stage_times(inst, x)[0]
    return float(stages.max()), int(np.argmax(stages)), stages


def dsh_search(inst: dp.Instance, *, steps: int = 12, rounds: int = 2, span: float = 1e4,
               search: Literal["bandwidth", "both"] = "both", deadline: float | None = None
               ) -> tuple[np.ndarray, float, list[dict[str, float]]]:
    """DADS DSH as we implement it: min-cuts under virtual bandwidth (and edge speed) search.

    Starting from DSL's partition (the light-load min-cut, already a 3-approximation of the
    bottleneck since ``max <= sum <= 3 max``), bisect on a log scale over a weight ``w_t`` on
    every transfer time, i.e. a virtual bandwidth ``B / w_t``, within ``[1/span, span]``. Each
    step computes the min-cut of ``w_e T_e + w_t T_t + T_c`` and evaluates its true stages: if
    the edge stage is the bottleneck, transfers are made cheaper (offload more); if the
    transfer or the cloud stage is, dearer (send less, keep more on the edge). With
    ``search="both"`` (our extension, off in DADS) a second bisection over a weight on edge
    compute (a virtual edge speed) balances the edge against the cloud stage, alternating with
    the bandwidth search for ``rounds`` rounds. The best true bottleneck seen is kept, so the
    result is never worse than DSL. The search stops early at ``deadline``
    (``time.perf_counter()`` seconds).

    Every weighted min-cut also yields a lower bound on the heavy-load optimum (weak duality):
    for weights ``w`` and the partition ``P_w`` minimising ``w . T``, every partition has
    ``max T >= w . T(P_w) / sum(w)``.

    Returns
    -------
    tuple
        The best assignment, the best lower bound found, and the trace of the search.
    """
    x = mincut_mask(inst)
    best_val, _, stages = _bottleneck(inst, x)
    best_x = x
    lower = float(stages.sum()) / 3.0
    trace = [{"w_e": 1.0, "w_t": 1.0, "w_c": 1.0, "bottleneck": best_val}]
    weights = {"w_e": 1.0, "w_t": 1.0, "w_c": 1.0}
    dims = ["w_t"] if search == "bandwidth" else ["w_t", "w_e"]
    for _ in range(rounds if search == "both" else 1):
        for dim in dims:
            lo, hi = -math.log(span), math.log(span)
            for _ in range(steps):
                if deadline is not None and time.perf_counter() > deadline:
                    break
                mid = 0.5 * (lo + hi)
                w = dict(weights, **{dim: math.exp(mid)})
                x = mincut_mask(inst, **w)
                val, which, stages = _bottleneck(inst, x)
                wvec = np.array([w["w_e"], w["w_t"], w["w_c"]])
                lower = max(lower, float(wvec @ stages) / float(wvec.sum()))
                trace.append({**w, "bottleneck": val})
                if val < best_val:
                    best_val, best_x = val, x
                if dim == "w_t":
                    dearer = which in (1, 2)  # transfer or cloud bottleneck: send less
                else:
                    if which == 1:
                        break  # the edge weight cannot relieve the transfer stage
                    dearer = which == 0  # edge bottleneck: make edge compute dearer
                if dearer:
                    lo = mid
                else:
                    hi = mid
            best_w = min(trace, key=lambda r: r["bottleneck"])
            weights[dim] = best_w[dim]
    # a tiny slack for the integer rounding of the cut capacities
    return best_x, lower * (1 - 1e-9), trace


@register(dp.PROBLEM, "dads-heavy", kind="heuristic")
def solve_dads_heavy(inst: dp.Instance, *, time_limit: float | None = None, seed: int = 0,
                     steps: int = 12, rounds: int = 2,
                     search: Literal["bandwidth", "both"] = "both") -> Result:
    """DADS DSH: min-cuts under a virtual bandwidth search balancing the stages (heavy load)."""
    if search not in ("bandwidth", "both"):
        raise InputError("search", f"must be 'bandwidth' or 'both' (got {search!r})")
    if steps < 1 or rounds < 1:
        raise InputError("steps", "steps and rounds must be >= 1")
    if inst.load == "light":
        x = mincut_mask(inst)
        return _result(inst, "dads-heavy", x, Status.FEASIBLE,
                       "load is 'light': DADS accepts DSL's min-cut partition (DADS Alg. 3)")
    deadline = None if time_limit is None else time.perf_counter() + time_limit
    x, lower, trace = dsh_search(inst, steps=steps, rounds=rounds, search=search,
                                 deadline=deadline)
    val = float(dp.stage_times(inst, x)[0].max())
    gap = (val - lower) / val if val > 0 else 0.0
    return _result(inst, "dads-heavy", x, Status.FEASIBLE,
                   f"{len(trace)} min-cuts; Lagrangian lower bound {lower:.6g} s "
                   f"(gap at most {100 * gap:.2f} %)", lower_bound=lower, trace=trace)
