"""Benchmark: conv_split (004) at the paper's scale, AlexNet (Table 2) on 8 servers x 20 threads.

Times the exact ``milp`` (target in the issue: proven optimal in under 60 s on 2 cores) in its
default form (the time-level model where servers share a speed) and in the compact form with and
without its warm start and speed cuts, the pooled-budget lower bound, and ``alg1-greedy`` and
``alg1-td3`` with their gaps to the best solution and to the bound. Run times are printed as
ratios to ``alg1-greedy``'s in the same process. ``--vgg`` adds VGG-16 (Table 3).

    .venv/bin/python benchmarks/bench_conv_split.py [--time-limit 60] [--episodes 1000]
        [--no-pure] [--vgg] [--small 10]
"""

from __future__ import annotations

import argparse
import time

from edgesplit.formulations import conv_split as cs
from edgesplit.solvers import solve
from edgesplit.solvers.conv_split.search import aggregated_bound


def bench(inst: cs.Instance, args: argparse.Namespace) -> None:
    t = time.perf_counter()
    greedy = solve(inst, "alg1-greedy")
    t_greedy = max(time.perf_counter() - t, 1e-4)
    t = time.perf_counter()
    lower = aggregated_bound(inst)
    t_bound = time.perf_counter() - t
    first = solve(inst, "milp", time_limit=args.time_limit)
    rows = [(f"milp ({first.info['form']})", first)]
    if first.info["form"] != "compact":
        rows.append(("milp compact", solve(inst, "milp", time_limit=args.time_limit,
                                           form="compact")))
    if not args.no_pure:
        rows.append(("milp compact bare", solve(inst, "milp", time_limit=args.time_limit,
                                                form="compact", tighten=False, cuts=False)))
    rows += [("alg1-greedy", greedy),
             (f"alg1-td3 {args.episodes}ep", solve(inst, "alg1-td3", seed=0,
                                                   episodes=args.episodes))]
    best = min(r.objective for _, r in rows if r.objective is not None)
    bound = max([lower] + [r.bound for _, r in rows if r.bound is not None])
    const = cs.cloud_constant(inst)
    print(f"\n{inst.name}: N={inst.N} convs, M={inst.M}, K={inst.K[0]}; eq. 5 constant "
          f"t_c + t_t^c = {1e3 * const:.4f} ms; pooled-budget bound {1e3 * lower:.4f} ms "
          f"in {t_bound:.2f} s")
    print(f"{'method':18s} {'status':10s} {'latency ms':>11s} {'edge ms':>9s} "
          f"{'gap->bound':>10s} {'edge gap':>9s} {'gap->best':>9s} {'time s':>8s} "
          f"{'x greedy':>9s}")
    for name, r in rows:
        edge_gap = (r.objective - bound) / (r.objective - const)
        gap_bound = (r.objective - bound) / r.objective
        print(f"{name:18s} {r.status!s:10s} {1e3 * r.objective:11.5f} "
              f"{1e3 * (r.objective - const):9.5f} {100 * gap_bound:9.2f}%"
              f" {100 * edge_gap:8.2f}% {100 * (r.objective - best) / best:8.2f}% "
              f"{r.runtime_s:8.2f} {r.runtime_s / t_greedy:9.1f}")
    milp = rows[0][1]
    proven = str(milp.status) == "optimal" and milp.runtime_s < 60
    size = (f"master {milp.info.get('master_columns')} columns, "
            f"{milp.info.get('master_solves')} master solves, {milp.info.get('slices')} slices"
            if milp.info["form"] == "levels" else
            f"model {milp.info.get('model_vars')} variables, {milp.info.get('binaries')} "
            "binaries")
    print(f"  target (proven optimal in < 60 s): {'met' if proven else 'NOT met'} "
          f"({milp.status}, gap {100 * (milp.gap or 0):.2f} % of the latency, "
          f"{milp.runtime_s:.1f} s; {size})")


def small(count: int) -> None:
    print(f"\nmilp on generate(seed, 'small'), seeds 0..{count - 1}")
    times = []
    for seed in range(count):
        inst = cs.generate(seed, "small")
        r = solve(inst, "milp")
        times.append(r.runtime_s)
        assert str(r.status) == "optimal", r.message
    print(f"  all optimal; time mean {sum(times) / len(times):.2f} s, max {max(times):.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--episodes", type=int, default=1000, help="TD3 training episodes")
    parser.add_argument("--no-pure", action="store_true",
                        help="skip the compact MILP without warm start and cuts")
    parser.add_argument("--vgg", action="store_true", help="also VGG-16 (Table 3)")
    parser.add_argument("--small", type=int, default=10, help="small generated instances")
    args = parser.parse_args()
    print("conv_split (004); wall-clock seconds of one run each in this process")
    bench(cs.paper_instance("alexnet", seed=0), args)
    bench(cs.paper_instance("alexnet", rates="nominal"), args)
    if args.vgg:
        bench(cs.paper_instance("vgg16", seed=0), args)
    if args.small:
        small(args.small)


if __name__ == "__main__":
    main()
