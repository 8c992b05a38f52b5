"""The convex share problem of 002 for fixed splits, solved exactly, and the Result builder.

For fixed splits, P1 (002 eq. 3-7) is separable in the shares with one coupling row (C1)::

    min  sum_d g_d(delta_d),   g_d(delta) = 0.5 a_d / (delta - lambda_d a_d) + 0.5 a_d / delta
    s.t. sum_d delta_d <= 1,   delta_d >= lo_d,   delta_d > lambda_d a_d

(``a_d = W_d / F_c``; ``lo_d`` is the "cloud faster" bound or 0). Each ``g_d`` is convex and
strictly decreasing, so the budget is tight whenever some node has cloud work, and the KKT
conditions say every node's share solves ``g_d'(delta_d) = -nu`` (clipped to ``[lo_d, 1]``) for
one multiplier ``nu >= 0``. With ``delta = a (lambda + v)`` the stationarity condition is

    1 / v^2 + 1 / (v + lambda)^2 = 2 nu a

whose left side is convex and decreasing in ``v > 0``: Newton's method started at
``v0 = 1 / sqrt(2 nu a)`` (left of the root) converges monotonically and quadratically.
:func:`share_response` evaluates this for many (node, split) options at once;
:func:`solve_shares` finds ``nu`` with ``sum_d delta_d(nu) = 1`` by bisection.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from edgesplit.formulations import joint_split_share as js
from edgesplit.results import Result, Status

__all__ = ["exact_shares_for", "result_from", "share_at_price", "share_response", "solve_shares"]

_NEWTON_ITERS = 60


def share_at_price(a: np.ndarray, lam: np.ndarray, lo: np.ndarray, nu: float) -> np.ndarray:
    """Best share at price ``nu``: ``argmin_delta g(delta) + nu delta`` on ``[lo, 1]``.

    Vectorised over options; an option without cloud work (``a = 0``) gets share 0. The share
    is clipped to at most 1 (a node never needs more than the whole cloud).
    """
    a = np.asarray(a, float)
    delta = np.zeros_like(a)
    c = a > 0
    if c.any():
        ac, lc, loc = a[c], np.asarray(lam, float)[c], np.asarray(lo, float)[c]
        if nu <= 0:
            dc = np.ones_like(ac)
        else:
            k = 2.0 * nu * ac
            v = 1.0 / np.sqrt(k)  # left of the root: Newton increases v monotonically
            for _ in range(_NEWTON_ITERS):
                iv = 1.0 / v
                iw = 1.0 / (v + lc)
                iv2, iw2 = iv * iv, iw * iw
                step = (iv2 + iw2 - k) / (-2.0 * (iv2 * iv + iw2 * iw))  # phi / phi'
                v -= step
                if np.all(np.abs(step) <= 1e-15 * v):
                    break
            dc = np.minimum(ac * (lc + v), 1.0)
        delta[c] = np.maximum(dc, loc)
    return delta


def share_response(a: np.ndarray, lam: np.ndarray, lo: np.ndarray,
                   nu: float) -> tuple[np.ndarray, np.ndarray]:
    """:func:`share_at_price` and the cloud delay ``g(delta)`` there (002 eq. 3-5, through
    :func:`edgesplit.formulations.joint_split_share.cloud_delay`)."""
    delta = share_at_price(a, lam, lo, nu)
    return delta, js.cloud_delay(a, lam, delta)


def solve_shares(a: np.ndarray, lam: np.ndarray, lo: np.ndarray,
                 nu_hint: float | None = None) -> tuple[np.ndarray | None, float]:
    """The exact optimal shares for fixed splits (the convex problem above).

    Finds the price ``nu`` at which the shares use the whole budget by the Illinois variant of
    regula falsi on ``log nu`` (the total share decreases in ``nu``), keeping a bracket whose
    upper end always fits, and returns the shares there.

    Parameters
    ----------
    a, lam, lo
        Per node: ``W / F_c``, ``lambda``, and the closed lower bound of the share.
    nu_hint
        A guess of the multiplier (warm start).

    Returns
    -------
    delta, nu
        Shares with ``sum(delta) <= 1`` (``None`` if no shares keep every cloud queue stable)
        and the budget's multiplier ``nu``.
    """
    a = np.asarray(a, float)
    lam = np.asarray(lam, float)
    lo = np.asarray(lo, float)
    c = a > 0
    if not c.any():
        return np.zeros_like(a), 0.0
    need = np.maximum(lam * a, lo)[c]
    strict = (lam * a >= lo)[c]
    if need.sum() > 1.0 or (need.sum() == 1.0 and strict.any()) or np.any(lo[c] > 1.0):
        return None, np.inf
    d0 = share_at_price(a, lam, lo, 0.0)
    if d0.sum() <= 1.0:
        return d0, 0.0

    def excess(t: float) -> tuple[float, np.ndarray]:
        d = share_at_price(a, lam, lo, float(np.exp(t)))
        return float(d.sum()) - 1.0, d

    t = float(np.log(nu_hint)) if nu_hint and nu_hint > 0 else 0.0
    f, d = excess(t)
    if f > 0:
        t_lo, f_lo = t, f
        t_hi = t + 0.5
        while True:  # at a high price every share nears its least need, which fits
            f_hi, d_hi = excess(t_hi)
            if f_hi <= 0:
                break
            t_lo, f_lo, t_hi = t_hi, f_hi, t_hi + 2.0 * (t_hi - t_lo)
    else:
        t_hi, f_hi, d_hi = t, f, d
        t_lo = t - 0.5
        while True:
            f_lo, d = excess(t_lo)
            if f_lo > 0:
                break
            if t_lo < -690.0:  # nu below 1e-300: the budget hardly binds
                return d, 0.0
            t_hi, f_hi, d_hi, t_lo = t_lo, f_lo, d, t_lo - 2.0 * (t_hi - t_lo)
    side = 0
    for _ in range(200):
        if t_hi - t_lo <= 1e-15 * max(1.0, abs(t_hi)) or f_hi == 0.0:
            break
        t = (t_lo * f_hi - t_hi * f_lo) / (f_hi - f_lo)
        if not t_lo < t < t_hi:
            t = 0.5 * (t_lo + t_hi)
        f, d = excess(t)
        if f > 0:
            t_lo, f_lo = t, f
            if side == -1:
                f_hi *= 0.5
            side = -1
        else:
            t_hi, f_hi, d_hi = t, f, d
            if side == 1:
                f_lo *= 0.5
            side = 1
    return d_hi, float(np.exp(t_hi))


def result_from(inst: js.Instance, method: str, status: Status, gamma: Any, delta: Any, *,
                bound: float | None = None, message: str | None = None,
                info: dict[str, Any] | None = None) -> Result:
    """A Result for splits and shares, its objective from the formulation (002 eq. 3-7)."""
    gamma = [int(g) for g in gamma]
    delta = [float(x) for x in delta]
    objective = js.average_delay(inst, gamma, delta)
    return Result(js.PROBLEM, method, status,
                  objective=objective if np.isfinite(objective) else None,
                  bound=bound, solution={"gamma": gamma, "delta": delta}, message=message,
                  info=info or {})


def exact_shares_for(inst: js.Instance, gamma: Any, opts: js.Options | None = None,
                     nu_hint: float | None = None) -> tuple[np.ndarray | None, float]:
    """:func:`solve_shares` for the instance's nodes at splits ``gamma``."""
    opts = opts or js.options(inst)
    rows = np.arange(inst.D)
    g = np.asarray(gamma, dtype=int)
    return solve_shares(opts.a[rows, g], opts.lam[rows, g], opts.delta_min[rows, g], nu_hint)
