"""004's Alg. 1 (closed-form split, eq. 7, then the integer repair loop) and ``alg1-greedy``.

Alg. 1 is written here because the paper's algorithm is the point: it is what ``alg1-td3`` and
``alg1-greedy`` use to split each conv once its threads are known.
"""

from __future__ import annotations

import numpy as np

from edgesplit.formulations import conv_split as cs
from edgesplit.results import Result, Status
from edgesplit.solvers import register
from edgesplit.solvers.conv_split.search import descend

__all__ = [
    "alg1_conv",
    "alg1_split",
    "closed_form_rates",
    "greedy_threads",
    "solve_alg1_greedy",
    "split_all",
    "split_result",
]


def closed_form_rates(size: float, k: np.ndarray, eta: np.ndarray) -> np.ndarray:
    """Split rates of 004 eq. 7: ``x_j = 1 / (a_j sum_m 1/a_m)`` with ``a_j = size / (k_j
    eta_j)``, i.e. every server finishes its compute at the same time (transfer ignored, as 004
    Sec. 4.1 does)."""
    inv_a = np.asarray(k, dtype=float) * np.asarray(eta, dtype=float) / size
    return inv_a / inv_a.sum()


def alg1_split(b: int, size: float, k: np.ndarray, eta: np.ndarray) -> np.ndarray:
    """004 Alg. 1: whole rows per server from the closed-form rates, then the repair loop.

    Lines 1-4: ``d_m = floor(p_m)`` with ``p_m = x_m b`` (004 writes ``x_m size_i``, which
    cannot be a row count; rows are what the loop moves) and the remainder goes to server 1.
    Lines 5-18: for each server m in turn, move one row at a time from m to the server whose
    compute time ``d_j / (k_j eta_j)`` is smallest (the first such server on ties), as long as
    the largest time afterwards is smaller than server m's time before the move (004:
    "repeated until the maximal one ... is not smaller than the original"); the move that fails
    that test is undone.
    004's listing leaves the body of that ``if`` unreadable; undoing the last move and stopping
    is the reading under which the loop never makes the split worse.
    """
    k = np.asarray(k, dtype=float)
    eta = np.asarray(eta, dtype=float)
    p = closed_form_rates(size, k, eta) * b
    d = np.floor(p + 1e-9).astype(np.int64)
    d[0] += b - int(d.sum())
    speed = k * eta
    for m in range(len(d)):
        for _ in range(int(d[m])):
            if d[m] == 0:
                break
            t_before = d[m] / speed[m]
            j = int(np.argmin(d / speed))  # the server that finishes first
            if j == m:
                break
            d[m] -= 1
            d[j] += 1
            if (d / speed).max() >= t_before:
                d[m] += 1
                d[j] -= 1
                break
    return d


def split_all(inst: cs.Instance, k: np.ndarray) -> np.ndarray:
    """Alg. 1 for every conv given threads ``k`` (N x M): rows ``d`` (N x M)."""
    eta = np.asarray(inst.eta, dtype=float)
    return np.vstack([alg1_split(inst.b[i], inst.size[i], k[i], eta) for i in range(inst.N)])


def _conv_time(inst: cs.Instance, i: int, k_row: np.ndarray) -> float:
    return alg1_conv(inst, i, k_row)[1]


def _ideal_time(inst: cs.Instance, i: int, k_row: np.ndarray) -> float:
    """Compute time of conv i under the continuous split of eq. 7 (a tie-breaker)."""
    return inst.size[i] / float(np.dot(k_row, inst.eta))


def greedy_threads(inst: cs.Instance) -> np.ndarray:
    """Marginal-gain thread allocation: start every sub-zone at one thread (004 eq. 5d) and
    give the zones' remaining threads one at a time to the (conv, server) whose conv time, after
    re-splitting it with Alg. 1, drops the most (ties: the larger drop of the continuous
    eq. 7 time). Ends with every zone full (eq. 5f)."""
    n, m_count = inst.N, inst.M
    k = np.ones((n, m_count), dtype=np.int64)
    spare = np.asarray(inst.K, dtype=np.int64) - n
    current = np.array([_conv_time(inst, i, k[i]) for i in range(n)])
    ideal = np.array([_ideal_time(inst, i, k[i]) for i in range(n)])
    while spare.sum() > 0:
        best: tuple[float, float, int, int] | None = None
        for m in np.flatnonzero(spare > 0):
            for i in range(n):
                trial = k[i].copy()
                trial[m] += 1
                gain = current[i] - _conv_time(inst, i, trial)
                ideal_gain = ideal[i] - _ideal_time(inst, i, trial)
                key = (gain, ideal_gain, -i, -int(m))
                if best is None or key > best:
                    best = key
        assert best is not None
        i, m = -best[2], -best[3]
        k[i, m] += 1
        spare[m] -= 1
        current[i] = _conv_time(inst, i, k[i])
        ideal[i] = _ideal_time(inst, i, k[i])
    return k


def alg1_conv(inst: cs.Instance, i: int, k_row: np.ndarray) -> tuple[np.ndarray, float]:
    """Rows of conv i by Alg. 1 for threads ``k_row`` and its time (eq. 1 + 3, max over m)."""
    d = alg1_split(inst.b[i], inst.size[i], k_row, np.asarray(inst.eta, dtype=float))
    return d, float(cs.server_times(inst, d, k_row, conv=i).max())


def split_result(inst: cs.Instance, method: str, k: np.ndarray, *, message: str | None = None,
                 info: dict | None = None) -> Result:
    """A feasible Result for threads ``k``, each conv split by Alg. 1, scored by ``evaluate``."""
    d = split_all(inst, k)
    sol = cs.Solution(d=d.tolist(), k=np.asarray(k).tolist())
    ev = cs.evaluate(inst, sol)
    status = Status.FEASIBLE if ev.feasible else Status.ERROR
    return Result(cs.PROBLEM, method, status, objective=ev.objective, objectives=ev.objectives,
                  solution=sol.model_dump(exclude_none=True), message=message,
                  info=dict(info or {}))


@register(cs.PROBLEM, "alg1-greedy", kind="heuristic")
def solve_alg1_greedy(inst: cs.Instance, *, time_limit: float | None = None, seed: int = 0,
                      local_search: bool = True) -> Result:
    """Alg. 1 split (004 eq. 7) with marginal-gain thread allocation (+ thread-move search).

    ``local_search`` moves threads between convs (:func:`.search.descend`) with every conv
    still split by Alg. 1.
    """
    k = greedy_threads(inst)
    greedy_obj = float(cs.split_latency(inst, split_all(inst, k), k))
    if local_search:
        k, _ = descend(inst, k, split=alg1_conv)
    return split_result(inst, "alg1-greedy", k, info={"greedy_objective": greedy_obj},
                        message=None if not local_search else
                        f"greedy {greedy_obj:.6g} s before the thread-move search")
