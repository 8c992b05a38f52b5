"""``task_assignment``: K tasks of a sliding window on x heterogeneous edge nodes (001, ATSA).

Xu et al. 2020, "A collaborative cloud-edge computing framework in distributed neural network",
EURASIP JWCN (paper 001), Sec. 2.3, eq. 1-4 and Alg. 1. A window holds K independent tasks
``a_1..a_K`` (001's assumptions (1)-(3): data-intensive, no dependencies, a node runs one task
at a time). Each task goes to exactly one of x slave nodes ``v_1..v_x``; ``w_ij = 1`` if task
``a_i`` runs on node ``v_j``.

Execution times (001 eq. 1)::

    et_ij = Zt_i / F_j                      (ET is the K x x matrix of eq. 1)

Load of node ``v_j`` (001 Sec. 2.3): ``td_j = sum_i w_ij et_ij``. Two objectives, the instance
field ``objective`` picks one:

- ``"total"``: ``Z = sum_j td_j = sum_ij w_ij et_ij``, 001's ``Z_y`` (eq. 3), the score by
  which 001's ants deposit pheromone. It is minimised by sending every task to the fastest
  node its memory allows (``et_ij = Zt_i / F_j`` ranks the nodes the same for every task), so
  it balances nothing;
- ``"makespan"`` (default): ``C = max_j td_j``, the time the window's last task ends when each
  node runs its tasks one after the other: the load balance 001 motivates ATSA with.

Memory (001 eq. 4): task ``a_i`` needs ``P_cur_i`` bytes; node ``v_j`` has ``Pv_j``. 001 uses
memory only inside ATSA's heuristic ``eta_ij = delta (1 - mu_vj)`` with the running usage
``mu_vj(t+1) = mu_vj(t) + P_cur / Pv_j``. With 001's assumption (3) that a node runs one task at
a time, the constraint it implies is per task: ``P_cur_i <= Pv_j`` whenever ``w_ij = 1``; the
running usage ``mu`` is a balancing heuristic, not a capacity (it exceeds 1 after a few tasks on
any node). docs/task_assignment.md discusses the reading.
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

PROBLEM = "task_assignment"
OBJECTIVES = ("makespan", "total")
EXPORT_FORMATS = (".lp", ".mps", ".nl", ".gms")

__all__ = [
    "EXPORT_FORMATS",
    "OBJECTIVES",
    "PROBLEM",
    "Instance",
    "Solution",
    "allowed_nodes",
    "build_pyomo",
    "evaluate",
    "execution_times",
    "generate",
    "node_loads",
    "objective_values",
    "solution_from_pyomo",
    "tasks_from_offloading",
    "unplaceable_tasks",
]


class Instance(InstanceBase):
    """A task_assignment instance (001 Sec. 2.3, eq. 1-4); SI units."""

    problem: Literal["task_assignment"] = "task_assignment"
    Zt: list[NonNegFloat] = Field(
        min_length=1,
        description="Calculation amount of each task a_1..a_K, FLOP (001 eq. 1: Zt^i, the "
                    "offloaded model's work for the task's data).")
    F: list[PosFloat] = Field(
        min_length=1, description="Speed of each node v_1..v_x, FLOP/s (001 Sec. 2.2, F).")
    P_cur: list[NonNegFloat] = Field(
        min_length=1, description="Memory each task needs, bytes (001 eq. 4, P_cur).")
    P: list[PosFloat] = Field(
        min_length=1, description="Memory of each node, bytes (001 Sec. 2.2 and eq. 4, Pv_j).")
    objective: Literal["makespan", "total"] = Field(
        default="makespan",
        description="'makespan': max_j td_vj (the load balance 001 motivates ATSA with); "
                    "'total': sum_ij w_ij et_ij (001's Z_y, eq. 3).")

    @model_validator(mode="after")
    def _check_lengths(self) -> Instance:
        if len(self.P_cur) != len(self.Zt):
            raise ValueError(f"P_cur: needs one entry per task, i.e. {len(self.Zt)} "
                             f"(got {len(self.P_cur)})")
        if len(self.P) != len(self.F):
            raise ValueError(f"P: needs one entry per node, i.e. {len(self.F)} "
                             f"(got {len(self.P)})")
        return self

    @property
    def K(self) -> int:
        """Number of tasks in the window."""
        return len(self.Zt)

    @property
    def x(self) -> int:
        """Number of slave nodes."""
        return len(self.F)


class Solution(SolutionBase):
    """Node of every task: ``assign[i] = j`` (0-based) means ``w_ij = 1``."""

    assign: list[int] = Field(description="Node index (0-based) of each task, in task order.")


# ----------------------------------------------------------------------------- the model
def execution_times(inst: Instance) -> np.ndarray:
    """The K x x matrix ``ET_ij = Zt_i / F_j`` of 001 eq. 1, seconds."""
    return np.asarray(inst.Zt, dtype=float)[:, None] / np.asarray(inst.F, dtype=float)[None, :]


def allowed_nodes(inst: Instance) -> np.ndarray:
    """Boolean K x x mask: task ``i`` fits node ``j``'s memory, ``P_cur_i <= Pv_j`` (001 eq. 4)."""
    p_cur = np.asarray(inst.P_cur, dtype=float)[:, None]
    return p_cur <= np.asarray(inst.P, dtype=float)[None, :] * (1 + 1e-12)


def unplaceable_tasks(inst: Instance) -> list[int]:
    """Tasks that fit no node's memory (the instance is then infeasible)."""
    return [int(i) for i in np.flatnonzero(~allowed_nodes(inst).any(axis=1))]


def node_loads(inst: Instance, assign: np.ndarray, et: np.ndarray | None = None) -> np.ndarray:
    """Loads ``td_vj = sum_i w_ij et_ij`` (001 Sec. 2.3) of one or many assignments.

    Parameters
    ----------
    inst
        The instance.
    assign
        Node index of each task, shape (K,) for one assignment or (m, K) for m of them (a
        colony of ants, a swarm of particles).
    et
        ``execution_times(inst)``, if already computed.

    Returns
    -------
    numpy.ndarray
        Shape (x,) or (m, x).
    """
    et = execution_times(inst) if et is None else et
    a = np.asarray(assign, dtype=np.int64)
    single = a.ndim == 1
    a2 = a[None, :] if single else a
    m, k = a2.shape
    x = et.shape[1]
    times = et[np.arange(k)[None, :], a2]  # (m, K): et of each task on its node
    flat = (a2 + x * np.arange(m)[:, None]).ravel()
    loads = np.bincount(flat, weights=times.ravel(), minlength=m * x).reshape(m, x)
    return loads[0] if single else loads


def objective_values(inst: Instance, assign: np.ndarray, objective: str | None = None,
                     et: np.ndarray | None = None) -> np.ndarray | float:
    """Objective of one assignment (a float) or of m assignments (shape (m,)).

    ``objective`` defaults to the instance's: ``"makespan"`` is ``max_j td_vj``, ``"total"``
    is ``Z = sum_j td_vj`` (001 eq. 3's Z_y). :func:`evaluate` uses this function, so every
    heuristic that scores with it scores exactly as ``evaluate`` does.
    """
    objective = objective or inst.objective
    if objective not in OBJECTIVES:
        raise InputError("objective", f"must be one of {', '.join(OBJECTIVES)} "
                                      f"(got {objective!r})")
    loads = node_loads(inst, assign, et)
    value = loads.max(axis=-1) if objective == "makespan" else loads.sum(axis=-1)
    return float(value) if np.ndim(value) == 0 else value


def evaluate(inst: Instance, sol: Solution) -> Evaluation:
    """Objective (the instance's), both objectives, and the memory check of 001 eq. 4.

    A node index outside ``0..x-1`` or a wrong number of tasks is bad input
    (:class:`InputError`), not a violation.
    """
    assign = np.asarray(sol.assign, dtype=np.int64)
    if assign.shape != (inst.K,):
        raise InputError("solution.assign", f"needs one node per task, i.e. {inst.K} entries "
                                            f"(got {len(sol.assign)})")
    bad = np.flatnonzero((assign < 0) | (assign >= inst.x))
    if bad.size:
        i = int(bad[0])
        raise InputError(f"solution.assign.{i}", f"node index {int(assign[i])} out of range "
                                                 f"0..{inst.x - 1}")
    ok = allowed_nodes(inst)[np.arange(inst.K), assign]
    v = Violations()
    for i in np.flatnonzero(~ok):
        j = int(assign[i])
        v.check(False, "memory P_cur <= Pv (001 eq. 4)",
                f"task {int(i)} needs {inst.P_cur[i]:.6g} B > node {j}'s {inst.P[j]:.6g} B")
    loads = node_loads(inst, assign)
    values = {"makespan": float(loads.max()), "total": float(loads.sum())}
    return Evaluation(
        feasible=not v,
        objective=values[inst.objective],
        objectives=values,
        violations=v.items,
        details={"td": loads.tolist(), "tasks_per_node": np.bincount(
            assign, minlength=inst.x).tolist()},
    )


# ----------------------------------------------------------------------------- MILP
def build_pyomo(inst: Instance) -> Any:
    """The assignment MILP of 001 Sec. 2.3 for the instance's objective.

    ::

        min  C                      (makespan)   or   sum_j td_j   (total, 001 eq. 3's Z_y)
        s.t. sum_j w_ij = 1                          for every task i      (eq_assign)
             td_j = sum_i et_ij w_ij                 for every node j      (eq1_load)
             td_j <= C                               for every node j      (makespan only)
             P_cur_i w_ij <= Pv_j                    where P_cur_i > Pv_j  (eq4_memory)
             w_ij in {0, 1},  td_j >= 0

    with ``et_ij = Zt_i / F_j`` (001 eq. 1). eq4_memory is written only for the pairs it
    forbids (it holds trivially for the others). For the makespan, two valid rows tighten the
    LP relaxation without cutting off any assignment: ``C >= sum_j et_ij w_ij`` for every task
    (a task is never shorter than itself; ``valid_task``) and ``C sum_j F_j >= sum_i Zt_i``
    (all work done at full speed by all nodes; ``valid_fluid``).
    """
    import pyomo.environ as pyo

    et = execution_times(inst)
    allow = allowed_nodes(inst)
    m = pyo.ConcreteModel(name="task_assignment")
    m.I = pyo.RangeSet(0, inst.K - 1)
    m.J = pyo.RangeSet(0, inst.x - 1)
    m.w = pyo.Var(m.I, m.J, domain=pyo.Binary)
    m.td = pyo.Var(m.J, domain=pyo.NonNegativeReals)
    _add_assignment(m)
    _add_eq1_load(m, et)
    _add_eq4_memory(m, inst, allow)
    if inst.objective == "makespan":
        m.C = pyo.Var(domain=pyo.NonNegativeReals)
        m.makespan = pyo.Constraint(m.J, rule=lambda mdl, j: mdl.td[j] <= mdl.C)
        m.valid_task = pyo.Constraint(
            m.I, rule=lambda mdl, i: sum(float(et[i, j]) * mdl.w[i, j] for j in mdl.J) <= mdl.C)
        m.valid_fluid = pyo.Constraint(
            expr=float(sum(inst.F)) * m.C >= float(sum(inst.Zt)))
        m.obj = pyo.Objective(expr=m.C, sense=pyo.minimize)
    else:
        m.obj = pyo.Objective(expr=sum(m.td[j] for j in m.J), sense=pyo.minimize)
    return m


def _add_assignment(m: Any) -> None:
    """Every task runs on exactly one node: ``sum_j w_ij = 1`` (001 Sec. 2.3, w_vj^ai)."""
    import pyomo.environ as pyo

    m.eq_assign = pyo.Constraint(m.I, rule=lambda mdl, i: sum(mdl.w[i, j] for j in mdl.J) == 1)


def _add_eq1_load(m: Any, et: np.ndarray) -> None:
    """Node load ``td_vj = sum_i w_ij et_ij`` with ``et_ij = Zt_i / F_j`` (001 eq. 1)."""
    import pyomo.environ as pyo

    m.eq1_load = pyo.Constraint(m.J, rule=lambda mdl, j: mdl.td[j] == sum(
        float(et[i, j]) * mdl.w[i, j] for i in mdl.I))


def _add_eq4_memory(m: Any, inst: Instance, allow: np.ndarray) -> None:
    """A task fits its node's memory, ``P_cur_i w_ij <= Pv_j`` (001 eq. 4), for the pairs
    where it binds (``P_cur_i > Pv_j``, so ``w_ij = 0``)."""
    import pyomo.environ as pyo

    pairs = [(int(i), int(j)) for i, j in zip(*np.nonzero(~allow), strict=True)]
    m.FORBIDDEN = pyo.Set(initialize=pairs, dimen=2, ordered=True)
    m.eq4_memory = pyo.Constraint(m.FORBIDDEN, rule=lambda mdl, i, j: float(
        inst.P_cur[i]) * mdl.w[i, j] <= float(inst.P[j]))


def solution_from_pyomo(m: Any) -> list[int]:
    """Node of every task in a solved :func:`build_pyomo` model."""
    import pyomo.environ as pyo

    return [max(m.J, key=lambda j: pyo.value(m.w[i, j], exception=False) or 0.0)
            for i in m.I]


# ----------------------------------------------------------------------------- builders
def tasks_from_offloading(Zt_sample: float, Par_bytes: float, Map_bytes: float,
                          samples: np.ndarray | list[int], F: list[float], P: list[float], *,
                          objective: Literal["makespan", "total"] = "makespan",
                          name: str | None = None, meta: dict[str, Any] | None = None
                          ) -> Instance:
    """Tasks that run the edge part of an offloaded model (001 Sec. 2.2-2.3) on batches.

    Task ``i`` runs the first j layers on ``samples[i]`` inputs: ``Zt_i = samples[i] * Zt^j``
    (001 eq. 8) and ``P_cur_i = Par^j + samples[i] * Map^j`` (the parameters once plus every
    feature map per sample, 001 eq. 10).

    Parameters
    ----------
    Zt_sample
        Edge work for one input, ``Zt^j`` (FLOP).
    Par_bytes, Map_bytes
        ``sum_{i<=j} Par_i`` and ``sum_{i<=j} Map_i`` for one input, bytes (001 eq. 10).
    samples
        Inputs in each task.
    F, P
        Node speeds (FLOP/s) and memories (bytes).
    """
    n = np.asarray(samples, dtype=float)
    if n.ndim != 1 or n.size == 0 or (n <= 0).any():
        raise InputError("samples", "needs a positive number of inputs for every task")
    return Instance(
        name=name, Zt=[float(Zt_sample * s) for s in n],
        P_cur=[float(Par_bytes + s * Map_bytes) for s in n],
        F=[float(f) for f in F], P=[float(p) for p in P], objective=objective,
        meta=dict(meta or {}),
    )


def generate(seed: int, size: Literal["small", "paper"] = "small") -> Instance:
    """A random valid instance.

    ``small``: 4-8 tasks on 2-4 nodes (small enough to enumerate all x^K assignments).
    ``paper``: 200 tasks on 30 nodes (001 Fig. 7). Tasks are batches of 1-64 inputs of a
    ResNet-like edge part (about 1.5 GFLOP and 12 MB of feature maps per input, 20 MB of
    parameters); nodes mix four classes from 10 to 200 GFLOP/s with 0.5 to 8 GiB, so large
    batches do not fit the smallest nodes. The objective alternates with the seed.
    """
    rng = np.random.default_rng(seed)
    if size == "small":
        k, x = int(rng.integers(4, 9)), int(rng.integers(2, 5))
    else:
        k, x = 200, 30
    classes = np.array([[1e10, 0.5], [4.8e10, 2.0], [1e11, 4.0], [2e11, 8.0]])
    picks = classes[rng.integers(0, len(classes), size=x)]
    F = picks[:, 0] * rng.uniform(0.8, 1.2, size=x)
    P = picks[:, 1] * 2**30
    samples = rng.integers(1, 65, size=k)
    inst = tasks_from_offloading(
        1.5e9, 2e7, 1.2e7 if size == "paper" else 1e7, samples, list(F), list(P),
        objective="makespan" if seed % 2 == 0 else "total", name=f"random-{size}-{seed}",
        meta={"generator": "task_assignment.generate", "seed": seed, "size": size})
    if unplaceable_tasks(inst):  # every task fits the largest node
        P = list(P)
        P[int(np.argmax(P))] = float(max(inst.P_cur) * 1.01)
        inst = inst.model_copy(update={"P": P})
    return inst
