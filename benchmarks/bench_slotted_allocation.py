"""Benchmark slotted_allocation (003, GSPI): model size, build time, time to proven optimality.

1. Model size and build time: forms "flow" (the default of ``milp``), "slots" and "tasks", the
   columns of the whole horizon against the pruned start windows, rows and nonzeros, and the
   build time through Pyomo (the model alone, and the model loaded into HiGHS, which is what a
   solve pays) against the direct highspy build (ratio of the latter; issue 5's target: the
   direct build at least 10 times faster).
2. ``milp`` (HiGHS, default options) as the task count grows at 003's setting (B = 4 Mbit/s,
   100 slots, 4 servers); issue 5's targets: 75 tasks proven optimal in < 10 s and 150 tasks
   in < 60 s.
3. Every Fig. 7(b) instance (75 tasks, 2-16 Mbit/s): proven optimal or within 1 % in < 60 s.
4. GSPI's and online's gaps to the optimum, with their run times as ratios to the MILP's.

Times are wall-clock seconds of one solve each in this process; nothing is asserted.

    .venv/bin/python benchmarks/bench_slotted_allocation.py [--seeds 1] [--time-limit 60]
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from edgesplit.formulations import slotted_allocation as sa
from edgesplit.solvers import solve


def _timed(fn: Any, *args: Any, **kwargs: Any) -> tuple[Any, float]:
    """``fn(*args, **kwargs)`` and its wall time in seconds."""
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t0


def model_sizes(seed: int) -> None:
    """Part 1: columns, rows, nonzeros; Pyomo against direct highspy build times."""
    print("1. model size and build time (B = 4 Mbit/s, 100 slots)")
    from pyomo.contrib.solver.solvers.highs import Highs

    print(f"{'tasks':>5} {'form':>5} {'cols (horizon)':>14} {'cols':>6} {'rows':>6} "
          f"{'nnz':>7} {'pyomo s':>8} {'pyomo+load s':>13} {'direct s':>9} {'ratio':>6}")
    for n in (25, 75, 150):
        inst = sa.table2_instance(n, 4e6, 100, seed)
        for form in sa.FORMS:
            cols = (sa.task_columns if form == "tasks" else sa.slot_columns)(inst)
            unpruned = (cols.unpruned_x + (cols.n_cols - cols.n_x) if form == "tasks"
                        else cols.unpruned_y + cols.n_cols - cols.n_y)
            model, t_pyomo = _timed(sa.build_pyomo, inst, form)
            _, t_load = _timed(Highs().set_instance, model)  # Pyomo hands the model to HiGHS
            (h, _), t_direct = _timed(sa.build_highspy, inst, form)
            lp = h.getLp()
            t_total = t_pyomo + t_load
            print(f"{n:>5} {form:>5} {unpruned:>14,} {lp.num_col_:>6,} {lp.num_row_:>6,} "
                  f"{len(lp.a_matrix_.value_):>7,} {t_pyomo:>8.3f} {t_total:>13.3f} "
                  f"{t_direct:>9.4f} {t_total / t_direct:>6.0f}x")
    print()


def solve_row(inst: sa.Instance, label: str, time_limit: float) -> dict[str, float]:
    """Solve one instance with milp, gspi and online; print one row."""
    milp, t_milp = _timed(solve, inst, "milp", time_limit=time_limit)
    gspi, t_gspi = _timed(solve, inst, "gspi")
    online = solve(inst, "online")
    ref = milp.objective if milp.status == "optimal" else milp.bound
    g_gspi = gspi.objective / ref - 1 if ref else float("nan")
    g_online = online.objective / ref - 1 if ref else float("nan")
    print(f"{label:<22} {milp.status!s:>10} {milp.objective:>8.3f} {100 * (milp.gap or 0):>6.2f}% "
          f"{t_milp:>7.1f} {milp.info.get('nodes', '-')!s:>6} {100 * g_gspi:>7.1f}% "
          f"{100 * g_online:>7.1f}% {t_gspi / t_milp:>9.4f}")
    return {"time": t_milp, "gap": milp.gap or 0.0, "optimal": milp.status == "optimal"}


def header() -> None:
    """Column heads of solve_row."""
    print(f"{'instance':<22} {'status':>10} {'optimum':>8} {'gap':>7} {'time s':>7} "
          f"{'nodes':>6} {'GSPI':>8} {'online':>8} {'GSPI t/x':>9}")


def main() -> None:
    """Run the benchmark and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--time-limit", type=float, default=60.0)
    args = parser.parse_args()
    model_sizes(0)

    print("2. milp as the task count grows (B = 4 Mbit/s, 100 slots, 4 servers)")
    header()
    worst: dict[int, float] = {}
    for n in (25, 50, 75, 100, 150):
        for seed in range(args.seeds):
            row = solve_row(sa.table2_instance(n, 4e6, 100, seed), f"N={n} seed={seed}",
                            args.time_limit)
            t = row["time"] if row["optimal"] else float("inf")
            worst[n] = max(worst.get(n, 0.0), t)
    for n, target in ((75, 10.0), (150, 60.0)):
        verdict = "met" if worst[n] < target else "missed"
        print(f"  target: {n} tasks proven optimal in < {target:g} s: {verdict} "
              f"(worst {worst[n]:.1f} s)")
    print()

    print("3. Fig. 7(b): 75 tasks in 100 slots, bandwidth 2-16 Mbit/s")
    header()
    ok = True
    for mbit in range(2, 17, 2):
        for seed in range(args.seeds):
            row = solve_row(sa.table2_instance(75, mbit * 1e6, 100, seed),
                            f"B={mbit} Mbit/s seed={seed}", args.time_limit)
            ok &= (row["optimal"] or row["gap"] <= 0.01) and row["time"] < 60.0
    print(f"  target: every instance proven or within 1 % in < 60 s: {'met' if ok else 'missed'}")


if __name__ == "__main__":
    main()
