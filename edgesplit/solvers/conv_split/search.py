"""Primal search and a lower bound for ``conv_split``, used by ``milp`` (not 004's methods).

- :func:`minmax_split`: the best split of one conv for given threads. Every server's time is
  non-decreasing in its rows, so adding the rows one at a time to the server whose time after
  the addition is smallest minimises the slowest server (the greedy algorithm for min-max
  resource allocation with separable non-decreasing costs; Ibaraki and Katoh 1988, ch. 4).
- :func:`thread_search`: multi-start local search over thread allocations, every conv split
  with :func:`minmax_split`; gives ``milp`` its warm start and time caps.
- :func:`aggregated_bound`: a lower bound on 004 eq. 5 that keeps every conv's integer rows and
  threads but pools the servers' thread budgets (eq. 5f summed over m), solved exactly by
  dynamic programming.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from edgesplit.formulations import conv_split as cs

__all__ = ["aggregated_bound", "cheapest_per_budget", "descend", "least_threads", "min_plus",
           "minmax_split", "thread_search", "time_grid", "time_table"]


def time_table(inst: cs.Instance, i: int, k: np.ndarray) -> np.ndarray:
    """Times of conv i on every server for ``d = 0..b_i`` rows, shape ``(b_i + 1, M)``."""
    d = np.arange(inst.b[i] + 1, dtype=float)[:, None] * np.ones(inst.M)
    return cs.server_times(inst, d, np.broadcast_to(k, d.shape), conv=i)


def minmax_split(inst: cs.Instance, i: int, k: np.ndarray) -> tuple[np.ndarray, float]:
    """Rows of conv i that minimise its slowest server for threads ``k`` (length M), and that
    time."""
    table = time_table(inst, i, k)
    d = np.zeros(inst.M, dtype=np.int64)
    cols = np.arange(inst.M)
    for _ in range(inst.b[i]):
        m = int(np.argmin(table[d + 1, cols]))
        d[m] += 1
    return d, float(table[d, cols].max())


Splitter = Callable[[cs.Instance, int, np.ndarray], tuple[np.ndarray, float]]


def descend(inst: cs.Instance, k: np.ndarray, split: Splitter = minmax_split,
            deadline: float | None = None) -> tuple[np.ndarray, float]:
    """Local search on threads: move threads from conv i to conv j while the total drops.

    A move takes one thread on one server, or one thread on each of the r servers where conv
    j is slowest (r = 2..M), since a conv's time is its slowest server's and a single-server
    move often cannot lower it; first improvement. Every conv is split with ``split`` (rows
    and time of conv i for its threads). Keeps eq. 5d and 5f.
    """
    k = k.copy()
    cur = np.array([split(inst, i, k[i])[1] for i in range(inst.N)])
    improved = True
    while improved and (deadline is None or time.perf_counter() < deadline):
        improved = False
        for j in range(inst.N):
            d_j, _ = split(inst, j, k[j])
            order = np.argsort(-cs.server_times(inst, d_j, k[j], conv=j), kind="stable")
            moves = [[m] for m in range(inst.M)] + [list(order[:r])
                                                    for r in range(2, inst.M + 1)]
            for i in range(inst.N):
                if i == j:
                    continue
                for servers in moves:
                    if (k[i, servers] <= 1).any():
                        continue
                    ki, kj = k[i].copy(), k[j].copy()
                    ki[servers] -= 1
                    kj[servers] += 1
                    ti, tj = split(inst, i, ki)[1], split(inst, j, kj)[1]
                    if ti + tj < (cur[i] + cur[j]) * (1 - 1e-12):
                        k[i], k[j] = ki, kj
                        cur[i], cur[j] = ti, tj
                        improved = True
                        break
                if improved:
                    break
            if improved:
                break
    return k, float(cur.sum())


def thread_search(inst: cs.Instance, *, starts: int = 6, seed: int = 0,
                  initial: list[np.ndarray] | None = None,
                  time_budget: float | None = None,
                  stall: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """Multi-start thread local search (:func:`descend`); returns the best rows ``d`` and
    threads ``k``.

    Starts: the given ``initial`` allocations, threads in proportion to ``sqrt(size_i)`` (the
    continuous optimum of ``sum_i size_i / S_i`` under a thread budget), then random
    allocations drawn with those proportions: ``starts`` of them, or, with ``time_budget``
    (seconds), as many as the budget allows (at least one start is always finished) or until
    ``stall`` restarts in a row found nothing better (small instances then stop in
    milliseconds instead of spending the whole budget). Restarts beat perturbing the best
    allocation on 004's AlexNet: the local optima differ by up to 10 %.
    Deterministic for ``seed`` without a time budget.
    """
    deadline = None if time_budget is None else time.perf_counter() + time_budget
    rng = np.random.default_rng(seed)
    n, m_count = inst.N, inst.M
    weight = np.sqrt(np.asarray(inst.size, dtype=float))
    weight /= weight.sum()
    prop = np.ones((n, m_count), dtype=np.int64)
    for m in range(m_count):
        extra = inst.K[m] - n
        alloc = np.floor(weight * extra).astype(np.int64)
        while alloc.sum() < extra:
            alloc[int(np.argmax(weight * extra - alloc))] += 1
        prop[:, m] += alloc
    fixed = [*(initial or []), prop]

    def random_start() -> np.ndarray:
        k = np.ones((n, m_count), dtype=np.int64)
        for m in range(m_count):
            np.add.at(k[:, m], rng.choice(n, size=inst.K[m] - n, p=weight), 1)
        return k

    best_k, best = None, np.inf
    count = since_better = 0
    while True:
        if deadline is not None and since_better >= stall:
            break
        if count < len(fixed):
            k0 = fixed[count]
        elif (deadline is None and count < len(fixed) + starts) or \
                (deadline is not None and time.perf_counter() < deadline):
            k0 = random_start()
        else:
            break
        if best_k is not None and deadline is not None and time.perf_counter() > deadline:
            break
        count += 1
        k, value = descend(inst, np.asarray(k0, dtype=np.int64), deadline=deadline)
        since_better += 1
        if value < best:
            best_k, best, since_better = k, value, 0
    assert best_k is not None
    d = np.vstack([minmax_split(inst, i, best_k[i])[0] for i in range(n)])
    return d, best_k


def aggregated_bound(inst: cs.Instance) -> float:
    """A lower bound on the optimum of 004 eq. 5 (seconds).

    For conv i and a time ``tau`` (one of the times ``t_{i,m}(d, k)`` a server can have), server
    m needs ``kneed_m(d, tau) = min{k : t_{i,m}(d, k) <= tau}`` threads for d rows (at least 1,
    eq. 5d), and conv i needs at least ``Theta_i(tau) = min_{sum_m d_m = b_i} sum_m
    kneed_m(d_m, tau)`` threads in all (a dynamic programme over servers). Any solution has
    ``sum_i Theta_i(T_i) <= sum_m K_m`` (eq. 5f summed over the servers), so the least
    ``sum_i T_i`` under that pooled budget, a multiple-choice knapsack solved exactly over the
    budget, bounds the optimum from below. What it drops is that every server's own budget must
    hold (how the convs' thread counts pack into the servers).
    """
    budget = int(sum(inst.K))
    cheapest = [_cheapest_time_per_budget(inst, i, budget) for i in range(inst.N)]
    total = cheapest[0]
    for arr in cheapest[1:]:
        total = min_plus(total, arr)
    return cs.cloud_constant(inst) + float(total[budget])


def time_grid(inst: cs.Instance, i: int) -> np.ndarray:
    """Times (seconds) of conv i on every server for ``d = 0..b_i`` rows and ``k = 1..kk``
    threads (``kk`` the largest count any server may give a conv), shape ``(b_i + 1, kk, M)``;
    ``inf`` above server m's own largest count (:func:`~cs.max_threads`)."""
    kmax = np.array([cs.max_threads(inst, m) for m in range(inst.M)])
    top = int(kmax.max())
    b = inst.b[i]
    d = np.arange(b + 1, dtype=float)[:, None, None] * np.ones((1, top, inst.M))
    k = np.arange(1, top + 1, dtype=float)[None, :, None] * np.ones((b + 1, 1, inst.M))
    t = cs.server_times(inst, d, k, conv=i)
    t[k > kmax] = np.inf
    return t


def cheapest_per_budget(levels: np.ndarray, need: np.ndarray, budget: int) -> np.ndarray:
    """``best[h]``: the least level whose thread need (``need[l]`` for ``levels[l]``) is at
    most h, for ``h = 0..budget`` (inf if none)."""
    best = np.full(budget + 1, np.inf)
    for lv, h in zip(levels, need, strict=True):
        if np.isfinite(h) and h <= budget:
            best[int(h)] = min(best[int(h)], lv)
    return np.minimum.accumulate(best)


def _cheapest_time_per_budget(inst: cs.Instance, i: int, budget: int) -> np.ndarray:
    """``best[h]``: the least time of conv i with at most h threads in all (inf if none)."""
    t = time_grid(inst, i)  # (b+1, top, M)
    top = t.shape[1]
    levels = np.unique(t[1:][np.isfinite(t[1:])])
    # kneed[L, d, m]: least threads for d rows within each level (t is non-increasing in k)
    kneed = np.full((len(levels), inst.b[i] + 1, inst.M), np.inf)
    for kk in range(top, 0, -1):
        ok = t[None, :, kk - 1, :] <= levels[:, None, None] * (1 + 1e-12)
        kneed[ok] = kk
    kneed[:, 0, :] = 1.0
    return cheapest_per_budget(levels, least_threads(kneed), budget)


def least_threads(kneed: np.ndarray) -> np.ndarray:
    """Least threads in all that cover every row of a conv, per time level.

    ``kneed[L, d, m]`` is the least threads server m needs for d rows within level L (``inf``
    if it cannot; 1 for ``d = 0``, 004 eq. 5d); a dynamic programme over the servers returns,
    per level, ``min_{sum_m d_m = b} sum_m kneed[L, d_m, m]`` with ``b = kneed.shape[1] - 1``.
    """
    theta = kneed[:, :, 0].copy()  # least threads for r rows on the servers so far
    for m in range(1, kneed.shape[2]):
        nxt = np.full_like(theta, np.inf)
        for r in range(kneed.shape[1]):
            nxt[:, r] = (theta[:, r::-1][:, : r + 1] + kneed[:, : r + 1, m]).min(axis=1)
        theta = nxt
    return theta[:, -1]


def min_plus(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``out[u] = min_{w <= u} a[w] + b[u - w]``: the (min, +) convolution of two budgets."""
    out = np.full_like(a, np.inf)
    for u in range(len(a)):
        out[u] = np.min(a[: u + 1] + b[u::-1])
    return out
