"""Benchmark dag_partition: min-cut against the MILP (issue 3 targets).

Run: ``.venv/bin/python benchmarks/bench_dag_partition.py [--repeats N]``

Prints, for the light load, the time of ``mincut`` on ResNet-34 (target: under 50 ms) and on a
random 1,000-node DAG, each against the ``milp`` on the same instance (ratio milp / mincut,
same optimum checked), and for the heavy load the time and quality of ``dads-heavy`` and the
best chain cut against the MILP optimum. Times are medians of wall-clock solves (``solve``,
model building and the check with ``evaluate`` included), measured in this process; on a
shared machine read the ratios rather than the absolute numbers.
"""

from __future__ import annotations

import argparse
import statistics
import time

from edgesplit.formulations import dag_partition as dp
from edgesplit.profiles import Link, get_device, load_profile
from edgesplit.solvers import solve


def timed(inst: dp.Instance, method: str, repeats: int, **options: object) -> tuple[float, float]:
    """Median wall time (s) of ``repeats`` solves, and the objective."""
    times, objective = [], float("nan")
    for _ in range(repeats):
        t0 = time.perf_counter()
        res = solve(inst, method, **options)
        times.append(time.perf_counter() - t0)
        if res.objective is None:
            raise RuntimeError(f"{method}: {res.status} {res.message}")
        objective = res.objective
    return statistics.median(times), objective


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    r = args.repeats
    prof = load_profile("resnet34_224")
    edge, cloud = get_device("paper002-edge-5g"), get_device("paper002-cloud")
    cases = {
        "resnet34_224 (5 GFLOP/s edge, 400 GFLOP/s cloud, 3.2 Mbit/s)":
            dp.from_profile(prof, edge, cloud, Link(name="l", bandwidth_bit_s=3.2e6)),
        "resnet34_224 (same, 1 Gbit/s)":
            dp.from_profile(prof, edge, cloud, Link(name="l", bandwidth_bit_s=1e9)),
        "random DAG, 1,000 nodes": dp.random_instance(1, 1000, load="light"),
    }
    print("light load: mincut (networkx min-cut, DADS DSL) vs milp (Pyomo + HiGHS)")
    print(f"{'instance':<62} {'nodes':>5} {'mincut ms':>10} {'milp ms':>9} "
          f"{'milp/mincut':>11} {'same optimum':>12}")
    for label, inst in cases.items():
        t_cut, v_cut = timed(inst, "mincut", r)
        t_milp, v_milp = timed(inst, "milp", max(1, r // 2))
        same = abs(v_cut - v_milp) <= 1e-6 * abs(v_milp)
        print(f"{label:<62} {inst.n:>5} {1e3 * t_cut:>10.1f} {1e3 * t_milp:>9.1f} "
              f"{t_milp / t_cut:>11.1f} {same!s:>12}")
    t_cut, _ = timed(cases["resnet34_224 (5 GFLOP/s edge, 400 GFLOP/s cloud, 3.2 Mbit/s)"],
                     "mincut", r)
    print(f"target: mincut on resnet34 under 50 ms -> {1e3 * t_cut:.1f} ms "
          f"({t_cut / 0.05:.2f} of the target)")

    print("\nheavy load: dads-heavy (DSH) and neurosurgeon vs the milp optimum")
    print(f"{'instance':<62} {'milp ms':>9} {'dsh ms':>8} {'dsh/opt':>8} {'chain/opt':>9}")
    heavy_cases = {
        "resnet34_224 (640 GFLOP/s edge, A100 cloud, 1 Gbit/s)": dp.from_profile(
            prof, get_device("paper000-edge"), get_device("paper000-cloud"),
            Link(name="l", bandwidth_bit_s=1e9), load="heavy"),
        "random DAG, 300 nodes": dp.random_instance(2, 300, load="heavy"),
    }
    for label, inst in heavy_cases.items():
        t_milp, opt = timed(inst, "milp", 1)
        t_dsh, v_dsh = timed(inst, "dads-heavy", 1)
        _, v_chain = timed(inst, "neurosurgeon", 1)
        print(f"{label:<62} {1e3 * t_milp:>9.1f} {1e3 * t_dsh:>8.1f} {v_dsh / opt:>8.3f} "
              f"{v_chain / opt:>9.3f}")


if __name__ == "__main__":
    main()
