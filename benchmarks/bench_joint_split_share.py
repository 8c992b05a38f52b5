"""Benchmark: joint_split_share (002, DMCJIA) on 002 Table 5 instances (ResNet34, 35 splits).

1. The three exact methods side by side as D grows (``decomposition`` alone beyond
   ``--max-scip-d``), with run times as ratios to ``decomposition`` in the same process, and
   the issue's targets: ``decomposition`` proves D = 20 in < 0.1 s and D = 1,000 in < 5 s,
   ``minlp`` proves D = 20 in < 5 s (2 cores).
2. ``minlp``'s perspective form against the compact bilinear form (guarded: the compact form
   can stall).
3. Every heuristic's gap to the proven optimum.

SCIP methods are timed by calling the registered function in this process (no guard process);
the compact form runs through ``solve`` (guarded).

    .venv/bin/python benchmarks/bench_joint_split_share.py [--seeds 3] [--time-limit 120]
        [--max-scip-d 40] [--quick]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from edgesplit.formulations import joint_split_share as js
from edgesplit.solvers import get_method, solve, verify


def _timed(inst: js.Instance, method: str, time_limit: float | None, **opts: object):
    func = get_method(js.PROBLEM, method).func
    t = time.perf_counter()
    r = func(inst, time_limit=time_limit, seed=0, **opts)
    r.runtime_s = time.perf_counter() - t
    verify(inst, r)
    return r


def exact_table(args: argparse.Namespace) -> None:
    Ds = (5, 10, 20) if args.quick else (5, 10, 20, 40, 100, 200, 500, 1000)
    print("\n1. exact methods (Table 5 instances; time in s, ratio to decomposition)")
    print(f"{'D':>5s} {'seed':>4s} {'optimum':>10s} {'decomp s':>9s} {'nodes':>5s} "
          f"{'minlp s':>8s} {'x':>7s} {'misocp s':>8s} {'x':>7s} {'agree':>8s}")
    worst: dict[int, float] = {}
    for D in Ds:
        for seed in range(args.seeds):
            inst = js.table5_instance(D, seed=seed)
            dec = _timed(inst, "decomposition", None)
            worst[D] = max(worst.get(D, 0.0), dec.runtime_s)
            cells = [f"{D:5d} {seed:4d} {dec.objective:10.6f} {dec.runtime_s:9.4f} "
                     f"{dec.info['bb_nodes']:5d}"]
            objs = [dec.objective]
            for m in ("minlp", "misocp"):
                if D <= args.max_scip_d:
                    r = _timed(inst, m, args.time_limit)
                    mark = "" if str(r.status) == "optimal" else "*"
                    cells.append(f"{r.runtime_s:7.2f}{mark:1s} {r.runtime_s / dec.runtime_s:7.0f}")
                    if r.objective is not None and str(r.status) == "optimal":
                        objs.append(r.objective)
                else:
                    cells.append(f"{'-':>8s} {'-':>7s}")
            spread = (max(objs) - min(objs)) / min(objs)
            cells.append(f"{spread:8.1e}")
            print(" ".join(cells))
    print("  (* = not proven optimal within the time limit)")
    for D, limit in ((20, 0.1), (1000, 5.0)):
        if D in worst:
            print(f"  target decomposition D = {D} < {limit} s: "
                  f"{'met' if worst[D] < limit else 'NOT met'} (worst {worst[D]:.3f} s)")


def forms(args: argparse.Namespace) -> None:
    print("\n2. minlp: perspective (default) vs compact bilinear form")
    print(f"{'D':>5s} {'perspective s':>14s} {'status':>10s} {'compact s':>10s} "
          f"{'status':>10s} {'compact gap':>11s}")
    best20 = None
    for D in (5, 10, 20):
        inst = js.table5_instance(D, seed=0)
        p = _timed(inst, "minlp", args.time_limit)
        c = solve(inst, "minlp", time_limit=args.time_limit, form="compact")
        gap = "-" if c.gap is None else f"{c.gap:.1e}"
        print(f"{D:5d} {p.runtime_s:14.2f} {p.status!s:>10s} {c.runtime_s:10.2f} "
              f"{c.status!s:>10s} {gap:>11s}")
        if D == 20:
            best20 = p
    if best20 is not None:
        ok = str(best20.status) == "optimal" and best20.runtime_s < 5.0
        print(f"  target minlp D = 20 < 5 s: {'met' if ok else 'NOT met'} "
              f"({best20.runtime_s:.2f} s, {best20.status})")


def gaps(args: argparse.Namespace) -> None:
    Ds = (5, 10, 20) if args.quick else (5, 10, 20, 50, 100, 200)
    methods = ("dmcjia", "neurosurgeon", "greedy", "cloud-only")
    print("\n3. heuristic gaps to the proven optimum (mean over seeds; n/a: no feasible answer)")
    print(f"{'D':>5s} " + " ".join(f"{m:>14s}" for m in methods) + f" {'GA time x dec':>14s}")
    for D in Ds:
        gaps_: dict[str, list[float]] = {m: [] for m in methods}
        ratio = []
        for seed in range(args.seeds):
            inst = js.table5_instance(D, seed=seed)
            dec = _timed(inst, "decomposition", None)
            for m in methods:
                r = _timed(inst, m, None)
                if r.objective is not None:
                    gaps_[m].append(r.objective / dec.objective - 1)
                if m == "dmcjia":
                    ratio.append(r.runtime_s / dec.runtime_s)
        cells = [f"{100 * np.mean(g):13.2f}%" if g else f"{'n/a':>14s}" for g in gaps_.values()]
        print(f"{D:5d} " + " ".join(cells) + f" {np.mean(ratio):14.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--time-limit", type=float, default=120.0)
    parser.add_argument("--max-scip-d", type=int, default=40)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.seeds = min(args.seeds, 1)
    exact_table(args)
    forms(args)
    gaps(args)


if __name__ == "__main__":
    main()
