"""slotted_allocation (003, GSPI): instance rules, evaluate, exact models, heuristics, CLI."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edgesplit.errors import InputError
from edgesplit.formulations import slotted_allocation as sa
from edgesplit.io import load_instance
from edgesplit.results import Status
from edgesplit.solvers import solve

GOLDEN = Path(__file__).parent / "golden"


def tiny() -> sa.Instance:
    """Hand-checked: t_d = (0, 3, 7), t_t = (2, 1, 0), J = ((2, 1, 0), (4, 2, 0)), T_loc = 7."""
    return sa.Instance(name="tiny", n=3, h=4, B=4e6, t_D=[3, 4], t_S=[[1, 1], [2, 2]],
                       d=[1000, 500, 40], tasks=[sa.Task(i=0, j=0), sa.Task(i=1, j=0),
                                                 sa.Task(i=2, j=2)])


def brute_force(inst: sa.Instance) -> float:
    """Optimum by enumeration: every (p, k) per task (no pruning), every order per server that
    keeps FGFS among same-slot arrivals, each started as early as the order allows (optimal
    for a fixed order)."""
    tm = sa.timing(inst)
    options = [(tm.v, -1)] if tm.local_allowed else []
    options += [(p, k) for p in tm.offload_points for k in range(tm.u)]
    cache: dict[tuple, int] = {}

    def server(k: int, items: tuple[tuple[int, int], ...]) -> int:
        if (k, items) not in cache:
            best = None
            for order in itertools.permutations(items):
                arrival = [int(tm.j[m] + tm.c[p]) for m, p in order]
                if any(arrival[x] == arrival[y] and tm.fgfs_key(order[y][0], arrival[y])
                       < tm.fgfs_key(order[x][0], arrival[x])
                       for x in range(len(order)) for y in range(x + 1, len(order))):
                    continue
                free, total = -(10**9), 0
                for (m, p), a in zip(order, arrival, strict=True):
                    free = max(a, free) + int(tm.J[k, p])
                    total += free + tm.t_r - int(tm.j[m])
                best = total if best is None else min(best, total)
            cache[k, items] = best
        return cache[k, items]

    best = None
    for combo in itertools.product(options, repeat=inst.N):
        per: dict[int, list[tuple[int, int]]] = {}
        total = 0
        for m, (p, k) in enumerate(combo):
            if k < 0:
                total += tm.T_loc
            else:
                per.setdefault(k, []).append((m, p))
        total += sum(server(k, tuple(items)) for k, items in per.items())
        best = total if best is None else min(best, total)
    return best / inst.N


# ----------------------------------------------------------------------------- instance
def test_timing_follows_eq_2_to_6():
    tm = sa.timing(tiny())
    assert tm.t_d.tolist() == [0, 3, 7]  # eq. 2
    assert tm.t_t.tolist() == [2, 1, 0]  # eq. 3: ceil(8 * 1000 B / 4 Mbit/s / 1 ms) = 2
    assert tm.J.tolist() == [[2, 1, 0], [4, 2, 0]]  # eq. 5
    assert tm.c.tolist() == [2, 4, 7] and tm.T_loc == 7  # eq. 6 without j


def test_table2_family_matches_003_table2_and_the_profile():
    inst = sa.table2_instance(75, 4e6, 100, seed=3)
    tm = sa.timing(inst)
    assert tm.t_d.tolist() == list(sa.TABLE2_DEVICE)
    assert tm.J.tolist() == [list(row) for row in sa.TABLE2_SERVERS]
    # vgg16_32: input, max-pool 2-5 outputs, logits (bytes at batch 1)
    assert inst.d == [12288.0, 32768.0, 16384.0, 8192.0, 2048.0, 40.0]
    assert tm.t_t.tolist() == [25, 66, 33, 17, 5, 0]
    assert inst.N == 75 and inst.h == 100 and inst.u == 4
    assert all(0 <= t.j < 100 for t in inst.tasks)
    again = sa.table2_instance(75, 4e6, 100, seed=3)
    assert again.tasks == inst.tasks  # same seed, same task set


@pytest.mark.parametrize(("change", "field"), [
    ({"d": [1000, 500]}, "d: needs"),
    ({"t_S": [[1, 1], [2]]}, "t_S.1"),
    ({"SP": [0, 3]}, "SP"),
    ({"tasks": [{"i": 5, "j": 0}]}, "tasks.0.i"),
    ({"tasks": [{"i": 0, "j": 9}]}, "tasks.0.j"),
    ({"tasks": [{"i": 0, "j": 0}, {"i": 0, "j": 0}]}, "tasks.1"),
    ({"tasks": [{"i": 0, "j": 0}, {"i": 0, "j": 3}]}, "tasks.1"),  # device still busy
    ({"B": 0}, "B"),
])
def test_bad_instances_name_the_field(change, field):
    data = json.loads(tiny().to_json()) | change
    with pytest.raises(InputError) as err:
        load_instance(data)
    assert field in str(err.value)


def test_devices_never_queue_message():
    data = json.loads(tiny().to_json()) | {"tasks": [{"i": 0, "j": 0}, {"i": 0, "j": 3}]}
    with pytest.raises(InputError, match="devices never queue"):
        load_instance(data)


# ----------------------------------------------------------------------------- evaluate
def test_evaluate_fifo_by_hand():
    inst = tiny()
    # both offloaded at p = 0 on different servers, third local: 4 + 6 + 7
    ev = sa.evaluate(inst, sa.Solution(p=[0, 0, 2], k=[0, 1, None]))
    assert ev.feasible and ev.objective == pytest.approx(17 / 3)
    # all on server 0: tasks 0 and 1 arrive together (FGFS by device): [2,4) and [4,6);
    # task 2 at p = 1 arrives at 2 + 4 = 6 and runs [6, 7): t = 4, 6, 5
    ev = sa.evaluate(inst, sa.Solution(p=[0, 0, 1], k=[0, 0, 0]))
    assert ev.feasible and ev.objective == pytest.approx(5.0)
    assert ev.details["start"].tolist() == [2, 4, 6]
    assert ev.details["t_w"].tolist() == [0, 2, 0]


@pytest.mark.parametrize(("start", "violation"), [
    ([1, 4, None], "start before arrival"),
    ([2, 3, None], "one task at a time"),
    ([4, 2, None], "first-generated-first-served"),
])
def test_evaluate_names_violations(start, violation):
    ev = sa.evaluate(tiny(), sa.Solution(p=[0, 0, 2], k=[0, 0, None], start=start))
    assert not ev.feasible
    assert any(violation in v for v in ev.violations)


def test_evaluate_explicit_schedule_may_reorder_different_arrivals():
    # task 2 (p = 1, arrives 6) may run before a task that arrived earlier if it waits
    ev = sa.evaluate(tiny(), sa.Solution(p=[0, 0, 1], k=[0, 0, 0], start=[2, 7, 6]))
    assert ev.feasible and ev.objective == pytest.approx((4 + 9 + 5) / 3)


def test_partition_point_outside_sp_is_a_violation():
    inst = tiny().model_copy(update={"SP": [0, 2]})
    ev = sa.evaluate(inst, sa.Solution(p=[1, 2, 2], k=[0, None, None]))
    assert not ev.feasible and "outside SP" in ev.violations[0]


@pytest.mark.parametrize(("sol", "field"), [
    ({"p": [0, 0], "k": [0, 0]}, "solution.p"),
    ({"p": [0, 0, 3], "k": [0, 0, None]}, "solution.p.2"),
    ({"p": [0, 0, 2], "k": [0, 0, 1]}, "solution.k.2"),
    ({"p": [0, 0, 2], "k": [0, None, None]}, "solution.k.1"),
    ({"p": [0, 0, 2], "k": [0, 5, None]}, "solution.k.1"),
    ({"p": [0, 0, 2], "k": [0, 0, None], "start": [2, None, None]}, "solution.start.1"),
])
def test_malformed_solutions_raise(sol, field):
    with pytest.raises(InputError, match=re.escape(field)):
        sa.evaluate(tiny(), sa.Solution(**sol))


def _eq7_literal(arrival: list[int], dur: list[int]) -> list[int]:
    """003 eq. 7-8 on one server, FIFO: wait = work of earlier arrivals - time elapsed since
    the first slot, clipped at 0 (0-based slots)."""
    return [max(0, sum(dur[:q]) - arrival[q]) for q in range(len(arrival))]


def test_fifo_equals_eq7_while_busy_and_counts_idle_periods():
    inst = sa.Instance(n=3, h=60, B=8e6, t_D=[1], t_S=[[7]], d=[0, 0],
                       tasks=[sa.Task(i=0, j=0), sa.Task(i=1, j=3), sa.Task(i=2, j=5)])
    tm = sa.timing(inst)
    start = sa.fifo_starts(inst, np.zeros(3), np.zeros(3), tm)
    assert (start - np.array([0, 3, 5])).tolist() == _eq7_literal([0, 3, 5], [7, 7, 7])
    # idle until slot 50, then a 7-slot task; the next arrives at 52 and waits 5 slots, where
    # eq. 7 read literally gives 0 (the server's idle time counted as work done)
    inst = inst.model_copy(update={"tasks": [sa.Task(i=0, j=50), sa.Task(i=1, j=52)]})
    start = sa.fifo_starts(inst, np.zeros(2), np.zeros(2), sa.timing(inst))
    assert start.tolist() == [50, 57]
    assert _eq7_literal([50, 52], [7, 7]) == [0, 0]


# ----------------------------------------------------------------------------- exact
def _small_seeds(limit: int = 20000, count: int = 6) -> list[int]:
    out = []
    for seed in range(100):
        inst = sa.generate(seed)
        tm = sa.timing(inst)
        if (len(tm.offload_points) * tm.u + 1) ** inst.N <= limit:
            out.append(seed)
        if len(out) == count:
            break
    return out


@pytest.mark.parametrize("seed", _small_seeds())
def test_milp_equals_brute_force(seed):
    inst = sa.generate(seed)
    best = brute_force(inst)
    for form in sa.FORMS:
        r = solve(inst, "milp", form=form)
        assert r.status is Status.OPTIMAL, r.message
        assert r.objective == pytest.approx(best, abs=1e-9)
        ev = r.info["evaluation"]
        assert ev.feasible and ev.objective == pytest.approx(r.objective, abs=1e-12)
        assert r.bound == pytest.approx(best, abs=1e-6)


def test_tiny_optimum_by_hand():
    # best: task 0 at p = 0 on server 0 [2, 4): 4; task 1 at p = 1 on server 0 arrives 4,
    # [4, 5): 5; task 2 at p = 0 on server 0 arrives 4, [5, 7): 7 - 2 = 5. Average 14/3.
    assert brute_force(tiny()) == pytest.approx(14 / 3)
    r = solve(tiny(), "milp")
    assert r.objective == pytest.approx(14 / 3)


@pytest.mark.parametrize("form", ["flow", "slots", "tasks"])
@pytest.mark.parametrize("seed", [1, 6])
def test_backends_and_builds_agree(form, seed):
    inst = sa.generate(seed)
    ref = solve(inst, "milp", form=form, build="pyomo").objective
    for build, backend in (("direct", "highs"), ("direct", "scip"), ("pyomo", "scip")):
        r = solve(inst, "milp", form=form, build=build, backend=backend)
        assert r.status is Status.OPTIMAL
        assert r.objective == pytest.approx(ref, abs=1e-9)
        assert not r.info.get("objective_mismatch")


def _lp_rows(lp) -> tuple[dict, dict]:
    """Rows as {name: (lower, upper, {column: coefficient})} and columns as
    {name: (cost, lower, upper, integer)} of a HighsLp; Pyomo's constant column becomes an
    offset entry."""
    import highspy

    names = list(lp.col_names_)
    a = lp.a_matrix_
    start, index, value = list(a.start_), list(a.index_), list(a.value_)
    rows: dict[str, tuple[float, float, dict[str, float]]] = {}
    entries: list[dict[str, float]] = [{} for _ in range(lp.num_row_)]
    assert a.format_ == highspy.MatrixFormat.kColwise
    for c in range(lp.num_col_):
        for q in range(start[c], start[c + 1]):
            entries[index[q]][names[c]] = value[q]
    for r, name in enumerate(lp.row_names_):
        clean = re.sub(r"^c_[elu]_", "", name).rstrip("_")
        rows[clean] = (lp.row_lower_[r], lp.row_upper_[r], entries[r])
    integer = [x == highspy.HighsVarType.kInteger for x in lp.integrality_] or \
        [False] * lp.num_col_
    cols = {n: (lp.col_cost_[c], lp.col_lower_[c], lp.col_upper_[c], integer[c])
            for c, n in enumerate(names)}
    offset = lp.offset_
    if "ONE_VAR_CONSTANT" in cols:
        offset += cols.pop("ONE_VAR_CONSTANT")[0]
        rows = {k: (lo, up, {c: v for c, v in e.items() if c != "ONE_VAR_CONSTANT"})
                for k, (lo, up, e) in rows.items()}
    return rows, {"cols": cols, "offset": offset}


@pytest.mark.parametrize("form", ["flow", "slots", "tasks"])
@pytest.mark.parametrize("seed", [0, 7])
def test_direct_highspy_model_is_the_pyomo_model(form, seed, tmp_path):
    import highspy

    inst = sa.generate(seed)
    path = tmp_path / "m.lp"
    sa.build_pyomo(inst, form=form).write(str(path), io_options={"symbolic_solver_labels": True})
    h = highspy.Highs()
    h.silent()
    h.readModel(str(path))
    rows_p, cols_p = _lp_rows(h.getLp())
    direct, _ = sa.build_highspy(inst, form=form, names=True)
    rows_d, cols_d = _lp_rows(direct.getLp())
    assert rows_p == rows_d
    assert cols_p == cols_d


@pytest.mark.parametrize("form", ["tasks", "slots", "flow"])
def test_golden_model_files(form, tmp_path, cli):
    path = tmp_path / "inst.json"
    path.write_text(tiny().to_json())
    out = tmp_path / f"{form}.lp"
    code, _, err = cli("export", path, "-o", out, "-O", f"form={form}")
    assert code == 0, err
    golden = GOLDEN / f"slotted_allocation_{form}.lp"
    assert out.read_text() == golden.read_text()


def _lp_relaxation(h) -> float:
    from edgesplit._highs import silent_highs

    lp = h.getLp()
    lp.integrality_ = []
    relaxed = silent_highs()
    relaxed.passModel(lp)
    relaxed.run()
    return relaxed.getInfo().objective_function_value


@pytest.mark.parametrize(("n_tasks", "bandwidth"), [(30, 8e6), (75, 4e6)])
def test_flow_form_has_the_lp_bound_of_form_slots(n_tasks, bandwidth):
    # the network rows are the interval rows differenced: same relaxation, fractional here
    inst = sa.table2_instance(n_tasks=n_tasks, B=bandwidth)
    slots = _lp_relaxation(sa.build_highspy(inst, form="slots")[0])
    flow = _lp_relaxation(sa.build_highspy(inst, form="flow")[0])
    assert flow == pytest.approx(slots, abs=1e-6)
    assert abs(flow - round(flow)) > 1e-3


def test_flow_values_satisfy_every_row():
    inst = sa.table2_instance(n_tasks=40, B=8e6)
    h, sc = sa.build_highspy(inst, form="flow")
    start = solve(inst, "gspi").solution
    full = sa.flow_values(sc, sa.slot_column_values(inst, sc, start))
    lp = h.getLp()
    a = lp.a_matrix_
    activity = np.zeros(lp.num_row_)
    for c in range(lp.num_col_):
        for q in range(a.start_[c], a.start_[c + 1]):
            activity[a.index_[q]] += a.value_[q] * full[c]
    assert (activity >= np.array(lp.row_lower_) - 1e-9).all()
    assert (activity <= np.array(lp.row_upper_) + 1e-9).all()
    assert (full >= np.array(lp.col_lower_) - 1e-9).all()
    assert (full <= np.array(lp.col_upper_) + 1e-9).all()
    # and its objective is the schedule's total time
    total = float(full @ np.array(lp.col_cost_)) + lp.offset_
    assert total <= sa.evaluate(inst, sa.Solution(**start)).objective * inst.N + 1e-9


@pytest.mark.parametrize("form", ["flow", "slots", "tasks"])
@pytest.mark.parametrize("build", ["pyomo", "direct"])
def test_no_server_worth_using(form, build):
    # every server part is slower than the whole task on the device (13 slots): all local
    data = sa.generate(1).model_dump()
    data["t_S"] = [[30, 30, 10], [10, 20, 10]]
    inst = sa.Instance(**data)
    r = solve(inst, "milp", form=form, build=build)
    assert r.status is Status.OPTIMAL, r.message
    assert r.objective == pytest.approx(13.0)
    assert all(p == sa.timing(inst).v for p in r.solution["p"])


def test_export_mps_and_direct(tmp_path, cli):
    path = tmp_path / "inst.json"
    path.write_text(sa.generate(2).to_json())
    for suffix, build in ((".mps", "pyomo"), (".lp", "direct"), (".mps", "direct")):
        out = tmp_path / f"m_{build}{suffix}"
        code, _, err = cli("export", path, "-o", out, "-O", "form=slots", "-O", f"build={build}")
        assert code == 0, err
        assert out.stat().st_size > 0
    code, _, err = cli("export", path, "-o", tmp_path / "m.nl")
    assert code == 2 and "formats" in err


def test_pruning_is_much_smaller_than_the_whole_horizon():
    inst = sa.table2_instance(75, 16e6, 100, seed=0)
    tc = sa.task_columns(inst)
    sc = sa.slot_columns(inst)
    assert tc.n_x < tc.unpruned_x / 50
    assert sc.n_y < tc.n_x / 10


def test_time_limit_returns_best_schedule_with_bound():
    inst = sa.table2_instance(100, 16e6, 100, seed=1)
    r = solve(inst, "milp", time_limit=1.0)
    assert r.status in (Status.TIME_LIMIT, Status.OPTIMAL)
    assert r.info["evaluation"].feasible
    assert r.bound is not None and r.bound <= r.objective + 1e-9
    assert r.gap is not None
    # the warm start: never worse than the better heuristic
    assert r.objective <= min(solve(inst, m).objective for m in ("online", "gspi")) + 1e-9
    # the limit is honoured (a hang guard, not a speed test)
    assert r.runtime_s < 30


def test_realize_jobs_keeps_fgfs_or_reports_none():
    # one server; p = 1 arrives 3 slots after generation, p = 0 one slot after
    inst = sa.Instance(n=2, h=3, B=8e6, t_D=[2, 10], t_S=[[0, 1]], d=[1000, 1000, 40],
                       tasks=[sa.Task(i=0, j=0), sa.Task(i=1, j=2)])
    tm = sa.timing(inst)
    assert tm.c.tolist() == [1, 3, 12] and tm.J[0].tolist() == [1, 1, 0]

    def jobs(spec):
        p = np.array([x[0] for x in spec])
        s = np.array([x[1] for x in spec])
        return sa.SlotColumns(p=p, k=np.zeros(len(spec), int), s=s, J=tm.J[0, p],
                              theta=s - tm.c[p], g=np.array([0, 2]), n_g=np.array([1, 1]),
                              local=True, cost=np.zeros(len(spec) + 2), offset=0.0,
                              unpruned_y=0)

    from edgesplit.solvers.slotted_allocation import realize_jobs

    # jobs (p=1, s=5) and (p=0, s=3): task 0 -> (1, 5) and task 2 -> (0, 3) both arrive at 3
    # and the later-generated one would start first; task 0 -> (0, 3), task 2 -> (1, 5) is fine
    sc = jobs([(1, 5), (0, 3)])
    sol = realize_jobs(inst, sc, np.array([1, 1, 0, 0]))
    assert sol is not None and sa.evaluate(inst, sa.Solution(**sol)).feasible
    assert sol["p"] == [0, 1]
    # jobs (p=1, s=4) and (p=0, s=3): only task 0 has arrived for (1, 4), so task 2 takes
    # (0, 3): both arrive in slot 3 and the later-generated task starts first
    sc = jobs([(1, 4), (0, 3)])
    assert realize_jobs(inst, sc, np.array([1, 1, 0, 0])) is None
    loose = realize_jobs(inst, sc, np.array([1, 1, 0, 0]), fgfs=False)
    ev = sa.evaluate(inst, sa.Solution(**loose))
    assert not ev.feasible and "first-generated" in ev.violations[0]


def test_fallback_when_no_matching_keeps_fgfs(monkeypatch):
    import edgesplit.solvers.slotted_allocation as mod

    original = mod.realize_jobs
    monkeypatch.setattr(mod, "realize_jobs",
                        lambda inst, sc, values, fgfs=True: None if fgfs
                        else original(inst, sc, values, fgfs=False))
    inst = sa.generate(1)
    r = solve(inst, "milp")
    assert r.info["fgfs_matching"] is False and "fallback" in r.info
    assert r.info["evaluation"].feasible
    assert r.status is Status.OPTIMAL  # form "tasks" closes the gap on a small instance
    assert r.objective == pytest.approx(brute_force(inst))


# ----------------------------------------------------------------------------- heuristics
def test_pps_on_table2():
    from edgesplit.solvers.slotted_allocation import pps

    inst = sa.table2_instance(10, 4e6, 100, 0)
    # P2: 25 + 66 + 27 > 88 and P3: 41 + 33 + 19 > 88 on Server4; P4 on Server4 is 88
    assert pps(inst) == [0, 3, 4, 5]
    assert pps(inst, latency=1000) == [0, 1, 2, 3, 4, 5]
    with pytest.raises(InputError, match="latency"):
        pps(inst, latency=10)


def test_gspi_replans_improvable_tasks():
    inst = sa.table2_instance(30, 4e6, 20, seed=0)
    r = solve(inst, "gspi")
    r0 = solve(inst, "gspi", max_rounds=0)
    assert r.info["replanned"] > 0 and r0.info["replanned"] == 0
    assert r.objective < r0.objective
    assert r.info["evaluation"].feasible


def test_online_follows_eq11_in_assignment_order():
    # seed 1: a task sent at P1 (arriving 13 slots after generation at 8 Mbit/s) overtakes an
    # older one sent at a deeper point on the same server, so the two queue orders differ
    inst = sa.table2_instance(40, 8e6, 50, seed=1)
    r = solve(inst, "online")
    ev = r.info["evaluation"]
    assert ev.feasible and r.solution["start"] is not None
    tm = sa.timing(inst)
    for k in range(inst.u):
        on = sorted((m for m in range(inst.N) if r.solution["k"][m] == k),
                    key=lambda m: (tm.j[m], tm.i[m]))
        free = -1
        for m in on:  # each starts when it has arrived and the previous assignment is done
            assert r.solution["start"][m] == max(ev.details["AS"][m], free)
            free = r.solution["start"][m] + ev.details["t_s"][m]
    arrival = solve(inst, "online", queue="arrival")
    assert arrival.solution["p"] == r.solution["p"]
    p = np.array(arrival.solution["p"])
    k = np.array([-1 if x is None else x for x in arrival.solution["k"]])
    fifo = sa.fifo_starts(inst, p, k, tm)
    assert [-1 if x is None else x for x in arrival.solution["start"]] == fifo.tolist()
    assert arrival.solution["start"] != r.solution["start"]
    overtaken = [(a, b) for a in range(inst.N) for b in range(inst.N)
                 if r.solution["k"][a] is not None and r.solution["k"][a] == r.solution["k"][b]
                 and (tm.j[a], tm.i[a]) < (tm.j[b], tm.i[b])
                 and ev.details["AS"][b] < ev.details["AS"][a]]
    assert overtaken  # the reason the orders differ: a later task arrives first


def test_baselines():
    inst = sa.table2_instance(20, 4e6, 100, seed=1)
    assert solve(inst, "end-only").objective == 88.0
    r = solve(inst, "server-only")
    assert set(r.solution["p"]) == {0} and r.info["evaluation"].feasible
    no_local = inst.model_copy(update={"SP": [0, 4]})
    assert solve(no_local, "end-only").status is Status.ERROR


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 100_000))
def test_heuristics_never_beat_the_optimum(seed):
    inst = sa.generate(seed)
    best = solve(inst, "milp")
    assert best.status is Status.OPTIMAL and best.info["evaluation"].feasible
    for method in ("gspi", "online", "end-only", "server-only"):
        r = solve(inst, method)
        assert r.info["evaluation"].feasible, (method, r.message)
        assert r.objective >= best.objective - 1e-9, method
        assert not r.info.get("objective_mismatch"), r.message


def test_same_seed_same_answer():
    inst = sa.table2_instance(60, 6e6, 100, seed=4)
    for method in ("gspi", "online"):
        assert solve(inst, method, seed=1).solution == solve(inst, method, seed=1).solution


def test_from_profile_with_catalogue_hardware():
    from edgesplit.profiles import get_device, get_link, load_profile

    prof = load_profile("vgg16_32")
    servers = [get_device(f"paper003-server-{k}") for k in range(1, 5)]
    inst = sa.from_profile(prof, get_device("paper003-end-device"), servers,
                           get_link("paper003-wireless"), tasks=[(0, 0), (1, 5)], h=10,
                           cuts=list(sa.TABLE2_CUTS))
    tm = sa.timing(inst)
    # the catalogue's FLOP/s were derived from Table 2's P6 and P1 rows; slots round up
    assert tm.T_loc in (88, 89)
    assert np.all(np.abs(tm.J[:, 0] - np.array([7, 10, 20, 38])) <= 1)
    assert solve(inst, "milp").status is Status.OPTIMAL


# ----------------------------------------------------------------------------- CLI
def test_cli_solve_evaluate_gantt(tmp_path, cli):
    inst = tmp_path / "inst.json"
    code, _, _ = cli("generate", "slotted_allocation", "--seed", "5", "-o", inst)
    assert code == 0
    png = tmp_path / "g.png"
    result = tmp_path / "r.json"
    code, out, err = cli("solve", inst, "-m", "milp", "--json", "--gantt", png, "-o", result)
    assert code == 0, err
    data = json.loads(out)
    assert data["status"] == "optimal" and png.stat().st_size > 1000
    code, out, _ = cli("evaluate", inst, result)
    ev = json.loads(out)
    assert code == 0 and ev["feasible"] and ev["objective"] == pytest.approx(data["objective"])
    code, _, err = cli("solve", inst, "-m", "milp", "-O", "form=nope")
    assert code == 2 and "form" in err
    code, _, err = cli("solve", inst, "-m", "gspi", "-O", "colour=1")
    assert code == 2 and "colour" in err
    code, out, _ = cli("methods", "slotted_allocation")
    assert all(m in out for m in ("milp", "gspi", "online", "end-only", "server-only"))


# ----------------------------------------------------------------------------- paper scale
@pytest.mark.slow
@pytest.mark.parametrize(("n_tasks", "bandwidth"), [(75, 4e6), (150, 4e6), (75, 16e6)])
def test_paper_scale_is_solved_to_optimality(n_tasks, bandwidth):
    inst = sa.table2_instance(n_tasks, bandwidth, 100, seed=0)
    r = solve(inst, "milp", time_limit=300)
    assert r.status is Status.OPTIMAL, r.message
    assert r.info["evaluation"].feasible and r.info["fgfs_matching"]
    for method in ("gspi", "online"):
        assert solve(inst, method).objective >= r.objective - 1e-9
