"""Sweep throughput: N small instances x all methods of one problem, with 1 and 2 workers.

    .venv/bin/python benchmarks/bench_sweep.py                   # 1,000 split_pareto instances
    .venv/bin/python benchmarks/bench_sweep.py --instances 100   # a shorter run
    .venv/bin/python benchmarks/bench_sweep.py --dask            # also a Dask LocalCluster

Every configuration runs the same spec into a fresh results folder and is timed from the call
to ``run_sweep`` to its return (pool start-up, planning, compaction included). Throughput is
runs per second; the figure that matters is the ratio of 2 workers to 1 (ideal: 2.0 on a
quiet machine with 2 free cores). Also printed: ``busy``, the share of the elapsed time the
workers spent inside runs (sum of the rows' ``wall_s`` / (elapsed x workers)), which shows
how much the sweep machinery itself costs.

split_pareto's ``mtmgmo`` runs with light options (two populations of 20 over 20
generations) so that a run of 1,000 instances takes minutes, not hours; every other method
runs with its defaults.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from edgesplit.sweeps import run_sweep

LIGHT_OPTIONS = {"split_pareto": {"mtmgmo": {"populations": [20, 20], "generations": 20,
                                             "threads": 1}}}


def spec_for(problem: str, instances: int, time_limit: float) -> dict[str, Any]:
    """Every method of ``problem`` on ``instances`` small instances (seeds 0..N-1)."""
    return {"name": f"bench-{problem}", "time_limit": time_limit,
            "options": LIGHT_OPTIONS.get(problem, {}),
            "grid": [{"problem": problem, "size": "small",
                      "seeds": {"start": 0, "stop": instances}}]}


def timed(spec: dict[str, Any], **executor: Any) -> tuple[float, Any]:
    """Elapsed seconds of one sweep into a fresh folder, and its summary."""
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        summary = run_sweep(spec, Path(tmp) / "res", **executor)
        return time.perf_counter() - start, summary


def report(label: str, elapsed: float, summary: Any, workers: int) -> float:
    runs = summary.ran
    busy = float(summary.rows["wall_s"].sum()) / (elapsed * workers)
    rate = runs / elapsed
    print(f"{label:24s} {runs:6d} runs  {elapsed:8.1f} s  {rate:8.1f} runs/s  busy "
          f"{100 * busy:5.1f} %  statuses {summary.counts}")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--problem", default="split_pareto")
    parser.add_argument("--instances", type=int, default=1000)
    parser.add_argument("--time-limit", type=float, default=30.0)
    parser.add_argument("--dask", action="store_true", help="also time a Dask LocalCluster")
    args = parser.parse_args()
    spec = spec_for(args.problem, args.instances, args.time_limit)
    print(f"sweep benchmark: {args.instances} small {args.problem} instances x all methods "
          f"(time limit {args.time_limit:g} s)")
    rates = {}
    for workers in (1, 2):
        elapsed, summary = timed(spec, workers=workers)
        rates[workers] = report(f"local, {workers} worker(s)", elapsed, summary, workers)
    print(f"throughput ratio, 2 workers / 1 worker (local processes): "
          f"{rates[2] / rates[1]:.2f}")
    if args.dask:
        import dask
        from distributed import LocalCluster

        dask_rates = {}
        for workers in (1, 2):
            with dask.config.set({"distributed.worker.daemon": False}), \
                    LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                 dashboard_address=None) as cluster:
                elapsed, summary = timed(spec, scheduler=cluster)
            dask_rates[workers] = report(f"dask, {workers} worker(s)", elapsed, summary,
                                         workers)
        print(f"throughput ratio, 2 workers / 1 worker (Dask LocalCluster, cluster start "
              f"excluded): {dask_rates[2] / dask_rates[1]:.2f}")
        print(f"throughput ratio, Dask / local processes at 2 workers: "
              f"{dask_rates[2] / rates[2]:.2f}")


if __name__ == "__main__":
    main()
