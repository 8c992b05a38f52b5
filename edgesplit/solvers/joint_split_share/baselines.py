"""Baselines of 002 Sec. 4.2.2: ``cloud-only``, ``greedy`` and ``neurosurgeon``.

Each is a fixed rule; its splits and shares are scored with the formulation. When the rule's
own solution leaves a queue unstable the result is ``infeasible`` with the reason (the rule has
no feasible answer on that instance; another method may well have one).

- ``cloud-only``: no split (``gamma = 0``), equal shares ``1/D``.
- ``greedy``: "as little data transmission as possible": each node sends the least bytes among
  the splits that keep its edge queue stable and still send something to the cloud
  (``gamma < Gamma``; at ``Gamma`` nothing is sent and 002's greedy would not use the cloud at
  all), ties broken towards more cloud work; shares in proportion to each node's cloud work
  ("the amount of task calculation is positively proportional to the resource occupation").
- ``neurosurgeon``: each node picks the split that minimises its own delay given an equal share
  ``1/D`` (Neurosurgeon's per-client choice under the current cloud load); shares stay equal,
  also for nodes that end up sending nothing.
"""

from __future__ import annotations

import numpy as np

from edgesplit.formulations import joint_split_share as js
from edgesplit.results import Result, Status
from edgesplit.solvers import register
from edgesplit.solvers.joint_split_share._shares import result_from

__all__ = ["solve_cloud_only", "solve_greedy", "solve_neurosurgeon"]


def _checked(inst: js.Instance, method: str, gamma: np.ndarray, delta: np.ndarray,
             rule: str) -> Result:
    ev = js.evaluate(inst, js.Solution(gamma=[int(g) for g in gamma],
                                       delta=[float(x) for x in delta]))
    if not ev.feasible:
        return Result(js.PROBLEM, method, Status.INFEASIBLE,
                      message=f"{rule} has no feasible answer here: " + "; ".join(ev.violations[:3])
                      + (f" (and {len(ev.violations) - 3} more)" if len(ev.violations) > 3 else ""))
    return result_from(inst, method, Status.FEASIBLE, gamma, delta, message=rule)


@register(js.PROBLEM, "cloud-only", kind="baseline")
def solve_cloud_only(inst: js.Instance, *, time_limit: float | None = None,
                     seed: int = 0) -> Result:
    """002 baseline: everything in the cloud (gamma = 0), equal shares 1/D."""
    gamma = np.zeros(inst.D, dtype=int)
    delta = np.full(inst.D, 1.0 / inst.D)
    return _checked(inst, "cloud-only", gamma, delta, "cloud-only with equal shares")


@register(js.PROBLEM, "greedy", kind="baseline")
def solve_greedy(inst: js.Instance, *, time_limit: float | None = None, seed: int = 0) -> Result:
    """002 baseline: least bytes sent (still offloading), shares proportional to cloud work."""
    opts = js.options(inst)
    gamma = np.zeros(inst.D, dtype=int)
    for d in range(inst.D):
        G = inst.task_of(d).Gamma
        M = inst.task_of(d).M
        cands = [g for g in range(G) if opts.edge_stable[d, g]]
        if not cands:
            gamma[d] = G  # nothing can be offloaded with a stable edge queue but all of it
            continue
        gamma[d] = min(cands, key=lambda g: (M[g], g))
    rows = np.arange(inst.D)
    W = opts.W[rows, gamma]
    delta = W / W.sum() if W.sum() > 0 else np.zeros(inst.D)
    return _checked(inst, "greedy", gamma, delta,
                    "greedy: least transfer, shares proportional to cloud work")


@register(js.PROBLEM, "neurosurgeon", kind="baseline")
def solve_neurosurgeon(inst: js.Instance, *, time_limit: float | None = None,
                       seed: int = 0) -> Result:
    """002 baseline: each node's own best split given an equal share 1/D; equal shares."""
    opts = js.options(inst)
    share = 1.0 / inst.D
    T = opts.e + js.cloud_delay(opts.a, opts.lam, share)
    ok = opts.valid & opts.edge_stable & (opts.delta_min <= share + js.FEAS_TOL)
    T = np.where(ok, T, np.inf)
    gamma = np.argmin(T, axis=1)
    delta = np.full(inst.D, share)
    return _checked(inst, "neurosurgeon", gamma, delta,
                    "neurosurgeon: each node's best split at an equal share")
