"""Benchmark: task_assignment (001, ATSA) at Fig. 7's scale, 200 tasks on 30 nodes.

Times the makespan MILP (target: a certified gap under 1 % in under 60 s on 2 cores) with and
without its LPT + local-search start, and ATSA, ACO, PSO and FCFS with their gaps to the MILP's
best solution and bound. Run times are printed as ratios to FCFS's in the same process.

    .venv/bin/python benchmarks/bench_task_assignment.py [--seeds 3] [--no-pure]
"""

from __future__ import annotations

import argparse
import time

from edgesplit.experiments.xu import fig7_instance
from edgesplit.formulations import task_assignment as ta
from edgesplit.solvers import solve


def instances(seeds: int) -> list[ta.Instance]:
    out = [fig7_instance(0, "makespan")]
    out += [ta.generate(s, "paper").model_copy(update={"objective": "makespan"})
            for s in range(seeds)]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=3, help="generated instances")
    parser.add_argument("--no-pure", action="store_true",
                        help="skip the 60 s MILP runs without the LPT start")
    args = parser.parse_args()
    print("task_assignment, makespan, 200 tasks x 30 nodes (6000 binaries); "
          "machine shared, times under load")
    header = f"{'instance':28s} {'method':10s} {'status':10s} {'objective':>10s} " \
             f"{'gap->bound':>10s} {'gap->best':>10s} {'time s':>8s} {'x FCFS':>9s}"
    print(header)
    for inst in instances(args.seeds):
        t = time.perf_counter()
        fcfs = solve(inst, "fcfs")
        t_fcfs = max(time.perf_counter() - t, 1e-4)
        milp = solve(inst, "milp", time_limit=60, rel_gap=0.01)
        rows = [("milp rel_gap=1%", milp)]
        if not args.no_pure:
            rows.append(("milp pure 60s", solve(inst, "milp", time_limit=60, rel_gap=0.01,
                                                 start=False)))
        rows += [(m, solve(inst, m, seed=0)) for m in ("atsa", "aco", "pso")]
        rows.append(("fcfs", fcfs))
        best = min(r.objective for _, r in rows if r.objective is not None)
        bound = max(r.bound for _, r in rows if r.bound is not None)
        for name, r in rows:
            gap_b = (r.objective - bound) / r.objective
            gap_best = (r.objective - best) / best
            print(f"{inst.name[:28]:28s} {name:10s} {r.status!s:10s} {r.objective:10.4g} "
                  f"{100 * gap_b:9.2f}% {100 * gap_best:9.2f}% {r.runtime_s:8.2f} "
                  f"{r.runtime_s / t_fcfs:9.0f}")
        ok = milp.gap is not None and milp.gap < 0.01 and milp.runtime_s < 60
        print(f"  target (certified gap < 1 % in < 60 s): {'met' if ok else 'NOT met'} "
              f"(gap {100 * (milp.gap or float('nan')):.2f} %, {milp.runtime_s:.1f} s)")


if __name__ == "__main__":
    main()
