"""``decomposition``: an exact algorithm for 002's P1 that uses its structure (our own).

P1 (002 eq. 3-7) couples the nodes only through the share budget C1. Pricing the budget at
``nu >= 0`` (Lagrangian relaxation) separates it into one small problem per node::

    q(nu) = (1/D) [ sum_d min_{g allowed} r[d,g](nu) - nu ]
    r[d,g](nu) = e[d,g] + min_delta ( g_dg(delta) + nu delta )

``e = T_edge + T_trans`` (eq. 3-2, 3-3) and ``g_dg`` is the cloud delay of eq. 3-5 as a
function of the share; the inner minimum has the closed stationarity condition of
:mod:`._shares` (Newton's method), the minimum over the splits is an enumeration. Every ``q(nu)``
is a lower bound on P1; ``q`` is concave and is maximised by a safeguarded cutting-plane search
on its supergradient ``(sum_d delta_d(nu) - 1) / D``.

The bound is not always tight: at the best price some nodes are indifferent between a
cloud-hungrier and a leaner split (the relaxation mixes them). Branch and bound closes the gap:

- Dominated options (another split of the node has no more cloud work, no larger least share
  for "cloud faster than edge" and no larger ``e``, :func:`js.nondominated`) are dropped
  first; along the splits the rest have decreasing cloud work.
- Reduced-cost fixing: forcing node d onto option g raises the bound by at least
  ``(r[d,g](nu) - min_g' r[d,g'](nu)) / D`` at any price; options whose bound so raised passes
  the incumbent are removed from the subproblem (their bound is kept for the final proof).
- Branching: among the indifferent nodes, the one whose two choices differ most in share, split
  into "split at or before the earlier of its two choices" (at least that much cloud work) and
  "after it".
- Symmetry: switching nodes with the same cloud work, ``lambda`` and share bounds whose ``e``
  differ by a constant on their remaining options (equal nodes, or nodes that differ only in
  bandwidth while the remaining splits send equally many bytes) are interchangeable in the
  subproblem. Within such a group we undo the reduced-cost fixing (so that all members have the
  same options), branch on the middle member and order the others accordingly (members before
  it hungrier, after it leaner): the search over subsets becomes one over counts. ``e``
  differences are compared to 1e-13 s (``SYMMETRY_TOL_S``), far below any gap we prove.
- Upper bounds at every subproblem: the choices at a price just above the optimum (they fit
  in the budget), and with the indifferent nodes switched to their hungrier choice, most
  share-hungry first, as many as the share left over allows (and one more, half, all); each
  scored after the exact share solve (:func:`._shares.solve_shares`).

Best-first search stops when the incumbent is within ``rel_gap`` of the least open bound; the
result's ``bound`` is the proven lower bound.
"""

from __future__ import annotations

import heapq
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from edgesplit.formulations import joint_split_share as js
from edgesplit.results import Result, Status
from edgesplit.solvers import register
from edgesplit.solvers.joint_split_share._shares import result_from, share_response, solve_shares

__all__ = ["solve_decomposition"]

#: e-differences within this many seconds count as equal when grouping interchangeable nodes.
SYMMETRY_TOL_S = 1e-13


@dataclass
class _Data:
    """Every node's options by split index; ``valid`` marks the usable non-dominated ones."""

    D: int
    e: np.ndarray  # (D, G) edge + transfer delay, inf where not valid
    a: np.ndarray  # (D, G) W / F_c: decreases with the split
    lam: np.ndarray  # (D, G)
    lo: np.ndarray  # (D, G) closed share bound
    valid: np.ndarray  # (D, G)
    need: np.ndarray  # (D, G) least share of each option
    open_need: np.ndarray  # (D, G) whether the least share is the open stability bound


def _prepare(inst: js.Instance, opts: js.Options) -> _Data:
    """Keep the usable, non-dominated options (:func:`js.nondominated`)."""
    valid = js.nondominated(opts)
    e = np.where(valid, opts.e, np.inf)
    need = np.maximum(opts.lam * opts.a, opts.delta_min)
    open_need = (opts.a > 0) & (opts.lam * opts.a >= opts.delta_min)
    return _Data(inst.D, e, opts.a.copy(), opts.lam.copy(), opts.delta_min.copy(), valid,
                 need, open_need)


@dataclass
class _Probe:
    """The Lagrangian at one price: every node's best allowed option."""

    nu: float
    q: float  # dual value (a lower bound)
    s: float  # supergradient (sum delta - 1) / D
    choice: np.ndarray  # split per node
    delta: np.ndarray  # share per node
    r: np.ndarray  # (D, R) r[d,g](nu), inf where not allowed


class _Dual:
    """Evaluates and maximises the Lagrangian dual over the price ``nu``."""

    def __init__(self, data: _Data) -> None:
        self.data = data
        self.rows = np.arange(data.D)
        self.probes = 0
        self._cache: OrderedDict[float, tuple[np.ndarray, np.ndarray]] = OrderedDict()

    def _response(self, nu: float) -> tuple[np.ndarray, np.ndarray]:
        hit = self._cache.get(nu)
        if hit is None:  # only valid options are ever allowed: compute those
            data, v = self.data, self.data.valid
            dv, gv = share_response(data.a[v], data.lam[v], data.lo[v], nu)
            delta = np.zeros(v.shape)
            r = np.full(v.shape, np.inf)
            delta[v] = dv
            r[v] = data.e[v] + gv + nu * dv
            hit = (delta, r)
            self._cache[nu] = hit
            if len(self._cache) > 64:
                self._cache.popitem(last=False)
        return hit

    def probe(self, nu: float, mask: np.ndarray) -> _Probe:
        self.probes += 1
        delta, r_all = self._response(nu)
        r = np.where(mask, r_all, np.inf)
        choice = np.argmin(r, axis=1)
        rmin = r[self.rows, choice]
        dsel = delta[self.rows, choice]
        D = self.data.D
        return _Probe(nu, float((rmin.sum() - nu) / D), float((dsel.sum() - 1.0) / D), choice,
                      dsel, r)

    def maximise(self, mask: np.ndarray, bracket: tuple[float, float],
                 tol: float) -> tuple[float, _Probe, _Probe | None]:
        """Best bound, the probe just above the best price (fits) and the one below (if any).

        ``lo`` probes have ``s > 0`` (too hungry); ``hi`` probes ``s <= 0`` (they fit).
        """
        nu_a, nu_b = bracket
        lo_p: _Probe | None = None
        hi_p: _Probe | None = None
        p = self.probe(nu_a, mask)
        if p.s > 0:
            lo_p = p
        else:
            hi_p = p
        if nu_b != nu_a:
            p = self.probe(nu_b, mask)
            if p.s > 0:
                lo_p = p if lo_p is None or p.nu > lo_p.nu else lo_p
            else:
                hi_p = p if hi_p is None or p.nu < hi_p.nu else hi_p
        while hi_p is None:  # terminates: at a high price every share nears its least need
            nu = lo_p.nu * 4.0
            p = self.probe(nu, mask)
            if p.s > 0:
                lo_p = p
            else:
                hi_p = p
        while lo_p is None:
            nu = hi_p.nu / 4.0
            if nu < 1e-200:
                p = self.probe(0.0, mask)
                if p.s <= 0:  # the budget does not bind: nu = 0 is optimal
                    return p.q, p, None
                lo_p = p
                break
            p = self.probe(nu, mask)
            if p.s > 0:
                lo_p = p
            else:
                hi_p = p
        for _ in range(200):
            best = max(lo_p.q, hi_p.q)
            if lo_p.s == hi_p.s or hi_p.nu - lo_p.nu <= 1e-15 * hi_p.nu:
                break
            x = (hi_p.q - lo_p.q + lo_p.s * lo_p.nu - hi_p.s * hi_p.nu) / (lo_p.s - hi_p.s)
            upper = lo_p.q + lo_p.s * (x - lo_p.nu)
            if upper - best <= tol * max(abs(best), 1e-300):
                break
            width = hi_p.nu - lo_p.nu
            if not (lo_p.nu + 0.01 * width < x < hi_p.nu - 0.01 * width):
                x = 0.5 * (lo_p.nu + hi_p.nu)
            p = self.probe(x, mask)
            if p.s > 0:
                lo_p = p
            else:
                hi_p = p
        return max(lo_p.q, hi_p.q), hi_p, lo_p


@dataclass(order=True)
class _Node:
    bound: float
    seq: int
    mask: np.ndarray = field(compare=False)  # allowed options (branching and fixing)
    bmask: np.ndarray = field(compare=False)  # allowed by the branching constraints alone
    bracket: tuple[float, float] = field(compare=False)


class _Search:
    """Best-first branch and bound over per-node sets of allowed options."""

    def __init__(self, inst: js.Instance, opts: js.Options, data: _Data, rel_gap: float,
                 dual_tol: float, deadline: float | None, max_nodes: int) -> None:
        self.inst, self.opts, self.data = inst, opts, data
        self.rel_gap, self.dual_tol = rel_gap, dual_tol
        self.deadline, self.max_nodes = deadline, max_nodes
        self.dual = _Dual(data)
        self.rows = np.arange(data.D)
        self.best_obj = np.inf
        self.best: tuple[np.ndarray, np.ndarray] | None = None
        self.nodes = 0
        self.share_solves = 0
        self.fixed = 0
        self.root_bound: float | None = None
        self.root_gap: float | None = None
        self.closed_lb = np.inf  # least bound of the parts of the tree closed or fixed away

    # -------------------------------------------------------------- helpers
    def _fits(self, mask: np.ndarray) -> bool:
        """Whether the least-needing allowed options fit in the budget (strictly where every
        least-needing option's need is the open stability bound)."""
        if not mask.any(axis=1).all():
            return False
        need = np.where(mask, self.data.need, np.inf)
        least = need.min(axis=1)
        at_least = mask & (need <= least[:, None])
        strict = bool((~(at_least & ~self.data.open_need).any(axis=1)).any())
        total = float(least.sum())
        return total < 1.0 or (total == 1.0 and not strict)

    def _proven(self, bound: float) -> bool:
        return bool(np.isfinite(self.best_obj)
                    and self.best_obj - bound <= self.rel_gap * abs(self.best_obj))

    # -------------------------------------------------------------- upper bounds
    def _score(self, choice: np.ndarray, nu_hint: float) -> None:
        data, rows = self.data, self.rows
        self.share_solves += 1
        delta, _ = solve_shares(data.a[rows, choice], data.lam[rows, choice],
                                data.lo[rows, choice], nu_hint)
        if delta is None:
            return
        gamma = choice
        obj = js.average_delay(self.inst, gamma, delta, self.opts)
        if obj < self.best_obj:
            self.best_obj, self.best = obj, (gamma.copy(), delta.copy())

    def _primal(self, hi: _Probe, lo: _Probe | None) -> None:
        self._score(hi.choice, hi.nu)
        if lo is None:
            return
        sw = np.flatnonzero(lo.choice != hi.choice)
        if len(sw) == 0:
            return
        jump = lo.delta[sw] - hi.delta[sw]
        slack = 1.0 - float(hi.delta.sum())
        order = sw[np.argsort(-jump, kind="stable")]
        fill = np.cumsum(np.sort(jump)[::-1])
        k = int(np.searchsorted(fill, slack, side="right"))  # most switches that fit
        for kk in sorted({k, k + 1, len(sw) // 2, len(sw)}):
            if 0 < kk <= len(sw):
                choice = hi.choice.copy()
                choice[order[:kk]] = lo.choice[order[:kk]]
                self._score(choice, hi.nu)

    # -------------------------------------------------------------- reduced-cost fixing
    def _fix(self, mask: np.ndarray, probes: list[_Probe]) -> np.ndarray:
        """Remove options whose forced bound passes the incumbent (valid at any price)."""
        if not np.isfinite(self.best_obj):
            return mask
        D = self.data.D
        forced = np.full(mask.shape, -np.inf)
        for p in probes:
            rmin = p.r[self.rows, p.choice][:, None]
            with np.errstate(invalid="ignore"):
                forced = np.maximum(forced, p.q + (p.r - rmin) / D)
        cut = self.best_obj * (1.0 - self.rel_gap)
        drop = mask & (forced > cut)
        if drop.any():
            self.fixed += int(drop.sum())
            self.closed_lb = min(self.closed_lb, float(forced[drop].min()))
            mask = mask & ~drop
        return mask

    # -------------------------------------------------------------- branching
    def _children(self, mask: np.ndarray, bmask: np.ndarray, hi: _Probe,
                  lo: _Probe) -> list[tuple[np.ndarray, np.ndarray]]:
        sw = np.flatnonzero(lo.choice != hi.choice)
        if len(sw) == 0:
            return []
        jump = lo.delta[sw] - hi.delta[sw]
        d = int(sw[np.argmax(jump)])
        group, union = self._group(mask, bmask, sw, d)
        mask = mask.copy()
        mask[group] = union  # undo reduced-cost fixing inside the group: all alike
        p = len(group) // 2
        d = group[p]
        # the two choices of d fall on either side of t: splits <= t ("hungry", at least this
        # much cloud work) and > t. Usually the share-hungrier choice (at the lower price) is
        # the earlier split; split 0 under "cloud faster" can be the later one (it needs no
        # least share), hence the min, so that both children exclude one of the two choices.
        t = int(min(lo.choice[d], hi.choice[d]))
        out = []
        for side in ("hungry", "lean"):
            m, b = mask.copy(), bmask.copy()
            members = group[: p + 1] if side == "hungry" else group[p:]
            cols = slice(t + 1, None) if side == "hungry" else slice(None, t + 1)
            m[members, cols] = False
            b[members, cols] = False
            out.append((m, b))
        return out

    def _group(self, mask: np.ndarray, bmask: np.ndarray, sw: np.ndarray,
               d: int) -> tuple[list[int], np.ndarray]:
        """Switching nodes interchangeable with ``d`` in this subproblem, and their options.

        Members share ``a``, ``lambda`` and ``lo``; on the union of their allowed options
        (each member allowed all of them by the branching so far and by dominance), their ``e``
        differ by a constant. Then exchanging two members' choices changes nothing, and the
        members may be ordered (symmetry breaking).
        """
        data = self.data
        same = [int(m) for m in sw
                if np.array_equal(data.a[m], data.a[d]) and np.array_equal(data.lo[m], data.lo[d])
                and data.lam[m, 0] == data.lam[d, 0]]
        union = mask[same].any(axis=0)
        ok = [m for m in same if bool(np.all(data.valid[m][union] & bmask[m][union]))]
        if d not in ok:
            return [d], mask[d].copy()
        union = mask[ok].any(axis=0)
        ref = data.e[d, union] - data.e[d, union][0]
        group = [m for m in ok
                 if np.all(np.abs(data.e[m, union] - data.e[m, union][0] - ref)
                           <= SYMMETRY_TOL_S)]
        return group, union

    # -------------------------------------------------------------- search
    def run(self) -> tuple[Status, float]:
        data = self.data
        heap: list[_Node] = [_Node(-np.inf, 0, data.valid.copy(), data.valid.copy(), (1.0, 1.0))]
        seq = 0
        status = Status.OPTIMAL
        while heap:
            node = heap[0]
            if self._proven(node.bound):
                break  # the least open bound proves the incumbent
            if (self.deadline is not None and time.perf_counter() > self.deadline) or \
                    self.nodes >= self.max_nodes:
                status = Status.TIME_LIMIT
                break
            heapq.heappop(heap)
            self.nodes += 1
            mask = node.mask
            if not self._fits(mask):
                continue
            bound, hi, lo = self.dual.maximise(mask, node.bracket, self.dual_tol)
            if self.root_bound is None:
                self.root_bound = bound
            self._primal(hi, lo)
            if self.nodes == 1 and np.isfinite(self.best_obj):
                self.root_gap = (self.best_obj - bound) / abs(self.best_obj)
            if lo is None or self._proven(bound):
                self.closed_lb = min(self.closed_lb, bound)
                continue
            mask = self._fix(mask, [hi, lo])
            bracket = (lo.nu, hi.nu)
            for child, bchild in self._children(mask, node.bmask, hi, lo):
                seq += 1
                heapq.heappush(heap, _Node(bound, seq, child, bchild, bracket))
        open_lb = min((n.bound for n in heap), default=np.inf)
        return status, float(min(open_lb, self.closed_lb, self.best_obj))


@register(js.PROBLEM, "decomposition", kind="exact")
def solve_decomposition(inst: js.Instance, *, time_limit: float | None = None, seed: int = 0,
                        rel_gap: float = 1e-9, max_nodes: int = 1_000_000) -> Result:
    """Lagrangian bound on the share budget + exact per-node splits + branch and bound."""
    start = time.perf_counter()
    deadline = None if time_limit is None else start + time_limit
    opts = js.options(inst)
    reason = js.infeasibility_reason(inst, opts)
    if reason is not None:
        return Result(js.PROBLEM, "decomposition", Status.INFEASIBLE, message=reason)
    data = _prepare(inst, opts)
    search = _Search(inst, opts, data, rel_gap, dual_tol=min(1e-11, rel_gap * 1e-2),
                     deadline=deadline, max_nodes=max_nodes)
    status, bound = search.run()
    if search.best is None:
        return Result(js.PROBLEM, "decomposition",
                      Status.TIME_LIMIT if status == Status.TIME_LIMIT else Status.ERROR,
                      bound=bound, message="no feasible split found before the limit")
    gamma, delta = search.best
    info: dict[str, Any] = {
        "bb_nodes": search.nodes, "dual_probes": search.dual.probes,
        "share_solves": search.share_solves, "root_bound": search.root_bound,
        "root_gap": search.root_gap, "options_kept": int(data.valid.sum()),
        "options_usable": int(opts.usable.sum()), "options_fixed": search.fixed,
    }
    root = "-" if search.root_gap is None else f"{search.root_gap:.3g}"
    msg = (f"{search.nodes} branch-and-bound node(s), root Lagrangian gap {root}; "
           f"{int(data.valid.sum())} of {int(opts.usable.sum())} usable options non-dominated")
    return result_from(inst, "decomposition", status, gamma, delta,
                       bound=min(bound, search.best_obj), message=msg, info=info)
