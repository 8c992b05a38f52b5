"""``dmcjia``: 002's two-level heuristic (Table 3, Algorithm 1), written as the paper describes it.

Outer level (002 Sec. 3.3.2, Table 5): a binary-coded genetic algorithm over the splits. Each
node's ``gamma_d`` is a gene of ``ceil(log2(Gamma + 1))`` bits; the initial population is ``K``
individuals whose nodes pick random splits; every generation the individuals are scored
(fitness ``-T``, eq. 3-10), the better half is kept ("keep the high fitness individuals and
discard the low fitness individuals") and the other half is bred from it by one-point crossover
(probability ``P2``) and bit-flip mutation (probability ``P1`` per bit), for ``N`` generations.
Defaults are 002 Table 5: ``K = 50``, ``N = 32``, ``P1 = 0.01``, ``P2 = 0.1``.

Inner level (002 eq. 3-11, 3-12): for the splits of an individual, the shares come from the
augmented Lagrangian method on P4 with the constraints ``X_d = lambda_d / mu_d,c - 1 < 0``
(stability) and ``Y = sum_d delta_d - 1 <= 0`` (C1), slack variables folded into the usual
``max(0, multiplier + rho * constraint)`` terms (P5): the primal step minimises the augmented
Lagrangian (Newton's method on its stationarity condition, "solved according to KKT"), the
multipliers then rise along the constraint values and the penalties double ("gradient rising").

What 002 leaves open, and what we chose (docs/joint_split_share.md):

- Decoding a gene: ``2^b`` codes for ``Gamma + 1`` splits; code ``c`` means split
  ``round(c Gamma / (2^b - 1))`` (the usual linear map of a binary GA).
- Infeasible individuals (an unstable edge queue, or cloud shares that cannot keep every cloud
  queue stable) rank below every feasible one, fewer violating nodes first.
- The kept half survives unchanged (elitism), so the best delay never rises.
- P5 relaxes ``X_d < 0``, but the cloud delay ``(X^2 - 1) / (2 lambda X)`` (eq. 3-11, with the
  paper's typo ``2 lambda_d (delta_d)`` read as ``2 lambda_d X``) tends to -inf as ``X -> 0+``:
  an unconstrained primal step would run into unstable shares with negative "delay". We keep
  every iterate in ``X < 0`` by a backtracking line search, so the stability multipliers stay 0.
- Iteration counts are not given: ``alm_outer = 30`` multiplier updates of at most
  ``alm_inner = 30`` Newton steps each, starting from ``rho = 1``. A final share vector that
  still overruns the budget is scaled back onto it (its overrun is reported in ``info``).
- ``cloud_faster`` (not part of 002's P4): shares are projected onto ``delta >= delta_min``.

``inner="exact"`` replaces the augmented Lagrangian by the exact share solve, to separate the GA's
shortfall from the inner method's.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from edgesplit.errors import InputError
from edgesplit.formulations import joint_split_share as js
from edgesplit.results import Result, Status
from edgesplit.solvers import register
from edgesplit.solvers.joint_split_share._shares import result_from, solve_shares

__all__ = ["AlmOutcome", "alm_shares", "decode", "encode", "solve_dmcjia"]


# ----------------------------------------------------------------------------- inner level
@dataclass
class AlmOutcome:
    """Shares from the augmented Lagrangian (P5) for fixed splits."""

    delta: np.ndarray | None  # on the budget (scaled back if needed); None if no stable shares
    overrun: float  # sum(delta) - 1 before scaling back (<= 0 if the method met C1 itself)
    outer: int  # multiplier updates done
    newton: int  # Newton steps done


def alm_shares(a: np.ndarray, lam: np.ndarray, lo: np.ndarray, *, outer: int = 30,
               inner: int = 30, rho0: float = 1.0, growth: float = 2.0,
               tol: float = 1e-10) -> AlmOutcome:
    """The shares of P4 by the augmented Lagrangian method of 002 eq. 3-12 (P5).

    Minimises ``sum_d g_d(delta_d)`` (002 eq. 3-11's objective without the constant ``1/D``,
    ``g_d`` the cloud delay of eq. 3-5) subject to ``Y = sum_d delta_d - 1 <= 0``; ``X_d < 0`` is
    kept by the line search (see the module notes). Nodes without cloud work get share 0.
    """
    a = np.asarray(a, float)
    lam = np.asarray(lam, float)
    lo = np.asarray(lo, float)
    c = a > 0
    delta_all = np.zeros_like(a)
    if not c.any():
        return AlmOutcome(delta_all, -1.0, 0, 0)
    ac, lc, loc = a[c], lam[c], lo[c]
    need = np.maximum(lc * ac, loc)
    if need.sum() >= 1.0 or np.any(loc > 1.0):
        return AlmOutcome(None, float(need.sum() - 1.0), 0, 0)
    n = len(ac)
    delta = need + (1.0 - need.sum()) / n  # an equal split of the share above the needs
    delta = np.maximum(delta, lc * ac * (1 + 1e-9))
    beta, rho = 0.0, rho0
    newton = 0

    def f_and_derivs(x: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        u = x - lc * ac
        f = float(np.sum(0.5 * ac / u + 0.5 * ac / x))
        g1 = -0.5 * ac / u**2 - 0.5 * ac / x**2
        g2 = ac / u**3 + ac / x**3
        return f, g1, g2

    def lagrangian(x: np.ndarray) -> float:
        if np.any(x <= lc * ac):
            return np.inf
        y = float(x.sum()) - 1.0
        f = float(np.sum(0.5 * ac / (x - lc * ac) + 0.5 * ac / x))
        return f + (max(0.0, beta + rho * y) ** 2 - beta**2) / (2.0 * rho)

    k = 0
    while k < outer:
        k += 1
        for _ in range(inner):
            f, g1, g2 = f_and_derivs(delta)
            y = float(delta.sum()) - 1.0
            w = max(0.0, beta + rho * y)
            grad = g1 + w
            free = ~((delta <= loc) & (grad > 0))  # projected Newton on delta >= lo
            if not free.any() or np.max(np.abs(grad[free])) <= 1e-14 * (1 + abs(f)):
                break
            h = np.where(free, g2, 1.0)
            gfree = np.where(free, grad, 0.0)
            cc = rho if w > 0 else 0.0
            hinv_g = gfree / h
            hinv_1 = np.where(free, 1.0 / h, 0.0)
            step = hinv_g - cc * hinv_1 * hinv_g.sum() / (1.0 + cc * hinv_1.sum())
            decrement = float(gfree @ step)  # Newton decrement^2: about 2 (L - min L)
            if decrement <= 1e-15 * (1.0 + abs(f)):
                break
            base = lagrangian(delta)
            t = 1.0
            while t > 1e-12:
                trial = np.maximum(delta - t * step, loc)
                val = lagrangian(trial)
                if val <= base - 1e-4 * t * float(gfree @ step):
                    break
                t *= 0.5
            else:
                break
            delta = trial
            newton += 1
        y = float(delta.sum()) - 1.0
        beta = max(0.0, beta + rho * y)  # "gradient rising" of the multiplier
        if y <= tol and abs(beta * y) <= tol:
            break
        rho = min(rho * growth, 1e12)
    overrun = float(delta.sum()) - 1.0
    if overrun > 0:  # scale the share above the needs back onto the budget
        spare = delta - need
        delta = need + spare * (1.0 - need.sum()) / spare.sum()
        delta = np.minimum(delta, 1.0)
    delta_all[c] = delta
    return AlmOutcome(delta_all, overrun, k, newton)


# ----------------------------------------------------------------------------- coding
def _bits(Gamma: int) -> int:
    return max(1, int(np.ceil(np.log2(Gamma + 1))))


def decode(genes: np.ndarray, Gammas: np.ndarray) -> np.ndarray:
    """Splits of a population: ``genes`` is (individuals, sum of bits), nodes in order."""
    out = np.zeros((genes.shape[0], len(Gammas)), dtype=int)
    pos = 0
    for d, G in enumerate(Gammas):
        b = _bits(int(G))
        weights = 1 << np.arange(b - 1, -1, -1)
        code = genes[:, pos:pos + b] @ weights
        out[:, d] = np.rint(code * G / ((1 << b) - 1)).astype(int)
        pos += b
    return out


def encode(gammas: np.ndarray, Gammas: np.ndarray) -> np.ndarray:
    """Inverse of :func:`decode` (the code nearest to each split)."""
    cols = []
    for d, G in enumerate(Gammas):
        b = _bits(int(G))
        code = np.rint(gammas[:, d] * ((1 << b) - 1) / G).astype(int)
        cols.append(((code[:, None] >> np.arange(b - 1, -1, -1)) & 1).astype(np.int8))
    return np.concatenate(cols, axis=1)


# ----------------------------------------------------------------------------- outer level
class _Fitness:
    """Scores split vectors with the inner method; caches by split vector.

    The score sorts infeasible individuals below feasible ones: ``(unstable edge nodes, share
    shortfall, average delay)``, where the shortfall is how far the least shares that keep the
    cloud queues stable exceed the budget (0 when they fit).
    """

    def __init__(self, inst: js.Instance, inner: str, alm: dict[str, Any]) -> None:
        self.inst, self.inner, self.alm = inst, inner, alm
        self.opts = js.options(inst)
        self.rows = np.arange(inst.D)
        self.cache: dict[bytes, tuple[tuple[int, float, float], np.ndarray | None, float]] = {}
        self.evaluations = 0

    def __call__(self, gamma: np.ndarray) -> tuple[tuple[int, float, float],
                                                   np.ndarray | None, float]:
        """(score, shares, budget overrun of the inner method before repair)."""
        key = gamma.tobytes()
        hit = self.cache.get(key)
        if hit is not None:
            return hit
        self.evaluations += 1
        o, r = self.opts, self.rows
        unstable = int(np.sum(~(o.valid[r, gamma] & o.edge_stable[r, gamma])))
        a, lam, lo = o.a[r, gamma], o.lam[r, gamma], o.delta_min[r, gamma]
        shortfall = max(0.0, float(o.need[r, gamma].sum()) - 1.0)
        delta, overrun = None, float("nan")
        if unstable == 0:
            if self.inner == "exact":
                delta, _ = solve_shares(a, lam, lo)
                overrun = 0.0
            else:
                res = alm_shares(a, lam, lo, **self.alm)
                delta, overrun = res.delta, res.overrun
        if delta is None:
            out = ((max(unstable, 0), max(shortfall, 1e-300), np.inf), None, overrun)
        else:
            out = ((0, 0.0, js.average_delay(self.inst, gamma, delta, o)), delta, overrun)
        self.cache[key] = out
        return out


@register(js.PROBLEM, "dmcjia", kind="heuristic", randomized=True)
def solve_dmcjia(inst: js.Instance, *, time_limit: float | None = None, seed: int = 0,
                 population: int = 50, generations: int = 32, mutation: float = 0.01,
                 crossover: float = 0.1, inner: Literal["alm", "exact"] = "alm",
                 alm_outer: int = 30, alm_inner: int = 30) -> Result:
    """002's DMCJIA: binary GA over the splits + augmented Lagrangian for the shares."""
    if population < 2:
        raise InputError("population", f"must be at least 2 (got {population})")
    if generations < 0:
        raise InputError("generations", f"must be >= 0 (got {generations})")
    for name, p in (("mutation", mutation), ("crossover", crossover)):
        if not 0.0 <= p <= 1.0:
            raise InputError(name, f"must be a probability in [0, 1] (got {p})")
    if inner not in ("alm", "exact"):
        raise InputError("inner", f"must be 'alm' or 'exact' (got {inner!r})")
    start = time.perf_counter()
    rng = np.random.default_rng(seed)
    Gammas = inst.Gamma_d()
    fit = _Fitness(inst, inner, {"outer": alm_outer, "inner": alm_inner})
    # Initialisation: every node picks a random split (002 Sec. 3.3.2 (2))
    first = np.column_stack([rng.integers(0, G + 1, size=population) for G in Gammas])
    genes = encode(first, Gammas)
    history: list[float] = []
    keep = max(1, population // 2)
    stopped = None
    best: tuple[tuple[int, float, float], np.ndarray, np.ndarray | None, float] | None = None
    for gen in range(generations + 1):
        gammas = decode(genes, Gammas)
        scores = [fit(g) for g in gammas]
        order = sorted(range(population), key=lambda i: scores[i][0])
        top = order[0]
        if best is None or scores[top][0] < best[0]:
            best = (scores[top][0], gammas[top].copy(), scores[top][1], scores[top][2])
        history.append(float(best[0][2]))
        if gen == generations:
            break
        if time_limit is not None and time.perf_counter() - start > time_limit:
            stopped = gen
            break
        parents = genes[order[:keep]]  # keep the fitter half (002 Table 3 step 9)
        children = []
        while len(children) < population - keep:
            i, j = rng.integers(0, keep, size=2)
            c1, c2 = parents[i].copy(), parents[j].copy()
            if rng.random() < crossover:  # one-point crossover, probability P2
                cut = int(rng.integers(1, genes.shape[1]))
                c1[cut:], c2[cut:] = parents[j][cut:], parents[i][cut:]
            children += [c1, c2]
        kids = np.array(children[: population - keep])
        flips = rng.random(kids.shape) < mutation  # bit-flip mutation, probability P1
        kids[flips] ^= 1
        genes = np.concatenate([parents, kids])
    info = {"history": history, "evaluations": fit.evaluations, "generations_run": len(history)
            - 1, "inner": inner}
    score, gamma, delta, overrun = best
    if delta is None:
        return Result(js.PROBLEM, "dmcjia", Status.ERROR,
                      message=f"no individual with stable queues in {len(history)} "
                              f"generations (best: {score[0]} unstable edge node(s), cloud "
                              f"shares short by {score[1]:.3g})", info=info)
    info["overrun"] = overrun
    msg = f"best of {len(history) - 1} generations, {fit.evaluations} share solves ({inner})"
    if stopped is not None:
        msg += f"; stopped by the time limit after generation {stopped}"
    if inner == "alm" and overrun > 0:
        msg += f"; the augmented Lagrangian overran C1 by {overrun:.2g} (scaled back)"
    return result_from(inst, "dmcjia", Status.FEASIBLE, gamma, delta, message=msg, info=info)
