"""Benchmark: offload_position (001, TMOA): enumerate against Alg. 2's scan.

Both evaluate 001 eq. 8-20 at every position through one table, so they cost the same; the
scan's only possible saving, stopping early, is not worth exploiting at N <= 40. The KDE of eq.
16-17 is cached per list of rates: its first evaluation is timed separately (``kde ms``), the
solves are timed warm. Times are printed as ratios to ``enumerate`` in the same process.

    .venv/bin/python benchmarks/bench_offload_position.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import time

from edgesplit.experiments.xu import table1_instance
from edgesplit.formulations import offload_position as op
from edgesplit.solvers import solve


def best_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    cases = [(f"table1 {v} {x} nodes", table1_instance(x, view=v))
             for v in ("paper", "chain") for x in (10, 20, 30)]
    cases += [(f"generated paper seed {s}", op.generate(s, "paper")) for s in range(3)]
    print("offload_position: best of", args.repeats, "runs; machine shared, times under load")
    print(f"{'instance':28s} {'N':>3s} {'K':>4s} {'x':>3s} {'enumerate ms':>13s} "
          f"{'tmoa ms':>9s} {'tmoa/enum':>9s} {'table ms':>9s} {'kde ms':>8s} {'j*':>4s} "
          f"{'tmoa j':>6s}")
    for name, inst in cases:
        t_enum = best_time(lambda inst=inst: solve(inst, "enumerate"), args.repeats)
        t_tmoa = best_time(lambda inst=inst: solve(inst, "tmoa"), args.repeats)
        t_tab = best_time(lambda inst=inst: op.constraint_table(inst), args.repeats)
        rates = tuple(float(r) for r in inst.Vs[0])
        t_kde = best_time(lambda rates=rates: op._expected_inverse_rate.__wrapped__(rates, 4001),
                          args.repeats)
        e, s = solve(inst, "enumerate"), solve(inst, "tmoa")
        je = e.solution["j"] if e.solution else "-"
        js = s.solution["j"] if s.solution else "-"
        print(f"{name:28s} {inst.N:3d} {inst.K:4d} {inst.x:3d} {1e3 * t_enum:13.2f} "
              f"{1e3 * t_tmoa:9.2f} {t_tmoa / t_enum:9.2f} {1e3 * t_tab:9.2f} "
              f"{1e3 * t_kde:8.2f} {je!s:>4s} {js!s:>6s}")


if __name__ == "__main__":
    main()
