"""Benchmark split_pareto (000): the exact front against MTMGMO on AlexNet and VGG16.

Times ``enumerate`` (the exact front, median of many solves), ``epsilon-milp`` (the exact front
by Pyomo + HiGHS) and ``mtmgmo`` (000's setting: populations 100/200/300/400, 500
generations; in threads and in one thread) through ``edgesplit.solve`` on 000's training
instances (``alexnet_32``, ``vgg16_32``, batches of 5,000, 000's edge, A100 cloud and link),
and prints every time as a ratio to ``enumerate``'s, with MTMGMO's front quality (points of the
exact front missed, hypervolume ratio). Target (issue 3): the exact front at least 1,000 times
faster than MTMGMO with nothing missed.

Run: ``.venv/bin/python benchmarks/bench_split_pareto.py [--generations 500] [--quick]``.
Timings depend on the machine's load; nothing here is asserted.
"""

from __future__ import annotations

import argparse
import statistics
import time

from edgesplit.formulations import split_pareto as sp
from edgesplit.profiles import get_device, get_link, load_profile
from edgesplit.solvers import solve

MODELS = ("alexnet_32", "vgg16_32")


def _instance(profile: str, edge: str) -> sp.Instance:
    return sp.from_profile(load_profile(profile), get_device(edge),
                           get_device("paper000-cloud"), get_link("paper000-wan"), num=5000,
                           mode="training")


def _median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--generations", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=200, help="enumerate solves (median)")
    parser.add_argument("--edge", default="paper000-edge")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="30 generations, 50 repeats")
    args = parser.parse_args(argv)
    if args.quick:
        args.generations, args.repeats = 30, 50
    solve(_instance(MODELS[0], args.edge), "enumerate")  # warm the imports
    print(f"split_pareto benchmark: training, batch 5,000, edge {args.edge}; MTMGMO "
          f"populations 100/200/300/400, {args.generations} generations, seed {args.seed}")
    header = (f"{'model':11s} {'N':>3s} {'method':22s} {'time (s)':>10s} {'x enumerate':>12s} "
              f"{'front':>6s} {'missed':>7s} {'HV ratio':>9s}")
    print(header)
    print("-" * len(header))
    verdicts = []
    for profile in MODELS:
        inst = _instance(profile, args.edge)
        exact = solve(inst, "enumerate")
        t_enum = _median_time(lambda inst=inst: solve(inst, "enumerate"), args.repeats)
        rows = [("enumerate", t_enum, exact)]
        milp = solve(inst, "epsilon-milp")
        rows.append(("epsilon-milp", milp.runtime_s, milp))
        for label, threads in (("mtmgmo (4 threads)", None), ("mtmgmo (1 thread)", 1)):
            res = solve(inst, "mtmgmo", seed=args.seed, generations=args.generations,
                        threads=threads)
            rows.append((label, res.runtime_s, res))
        for label, seconds, res in rows:
            cmp = sp.compare(inst, exact, res)
            print(f"{profile:11s} {inst.N:3d} {label:22s} {seconds:10.4g} "
                  f"{seconds / t_enum:12.4g} {len(res.solution['front']):6d} "
                  f"{len(cmp['missed']):7d} {cmp['hv_ratio']:9.4f}")
            if label.startswith("mtmgmo (4"):
                table = sp.objective_table(inst)
                # heuristic points that no exact point weakly dominates: what exact missed
                beyond = [k for k in res.solution["front"] if not any(
                    (table[j] <= table[k]).all() for j in exact.solution["front"])]
                verdicts.append((profile, seconds / t_enum, len(cmp["missed"]), len(beyond)))
    print()
    for profile, ratio, missed, beyond in verdicts:
        ok = ratio >= 1000 and beyond == 0
        print(f"{profile}: exact front {ratio:,.0f}x faster than MTMGMO; the exact front "
              f"misses {beyond} of MTMGMO's points, MTMGMO misses {missed} of the exact ones "
              f"-> target (>= 1,000x, nothing missed) {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
