"""Sweeps: spec expansion, resume after interruption, failures, local processes vs Dask."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from edgesplit.errors import InputError
from edgesplit.formulations import available_problems
from edgesplit.sweeps import ResultStore, load_results, load_spec, plan, run_sweep
from edgesplit.sweeps.store import COLUMNS

# A plugin registering test methods on split_pareto. Its source travels with every run, so
# spawned local workers and Dask workers register the same methods.
PLUGIN = '''
import os, time
from edgesplit.solvers import register
from edgesplit.solvers.split_pareto import solve_enumerate


@register("split_pareto", "test-slow", kind="heuristic")
def slow(inst, *, time_limit=None, seed=0, delay=0.0, log=""):
    """Enumerate after a delay; log each finished execution (pid and instance)."""
    time.sleep(delay)
    res = solve_enumerate(inst)
    res.method = "test-slow"
    if log:
        with open(log, "a") as fh:
            fh.write(f"{os.getpid()} {inst.name}\\n")
    return res


@register("split_pareto", "test-raise", kind="heuristic")
def always_raise(inst, *, time_limit=None, seed=0):
    """Raise for every instance."""
    raise RuntimeError(f"boom on {inst.name}")


@register("split_pareto", "test-crash", kind="heuristic")
def crash(inst, *, time_limit=None, seed=0, marker_dir="", always=False):
    """Kill the worker process: once per instance (a marker file remembers), or always."""
    marker = os.path.join(marker_dir, f"{inst.name}.{'always' if always else 'once'}")
    if always or not os.path.exists(marker):
        open(marker, "w").close()
        os._exit(3)
    res = solve_enumerate(inst)
    res.method = "test-crash"
    return res
'''


def _spec(tmp_path: Path, methods: list, seeds: int = 4, **extra) -> Path:
    (tmp_path / "plugin.py").write_text(PLUGIN)
    spec = {"name": "t", "imports": ["plugin.py"], "time_limit": 30,
            "grid": [{"problem": "split_pareto", "seeds": {"start": 0, "stop": seeds},
                      "methods": methods}], **extra}
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(spec))
    return path


# ----------------------------------------------------------------------------- spec
def test_plan_expands_the_grid_once_per_pair(tmp_path):
    spec = load_spec(_spec(tmp_path, ["enumerate", {"method": "enumerate", "label": "enum-w",
                                                    "options": {"rule": "weighted"}}],
                           seeds=3, time_limit=[1, 2]))
    runs = plan(spec)
    assert len(runs) == 3 * 2 * 2
    assert len({r.key for r in runs}) == len(runs)
    assert {r.method for r in runs} == {"enumerate", "enum-w"}
    assert {r.time_limit for r in runs} == {1, 2}
    assert [r.key for r in plan(spec)] == [r.key for r in runs]  # deterministic
    weighted = [r for r in runs if r.method == "enum-w"]
    assert all(r.method_name == "enumerate" and r.options == {"rule": "weighted"}
               for r in weighted)
    # the same pair named twice (a duplicate grid entry) is still one run
    data = json.loads((tmp_path / "spec.json").read_text())
    data["grid"] *= 2
    data["base_dir"] = str(tmp_path)
    assert len(plan(load_spec(data))) == len(runs)


def test_method_seeds_multiply_only_randomised_methods(tmp_path):
    from edgesplit.solvers import available_methods

    randomised = [n for n, m in available_methods("split_pareto").items() if m.randomized]
    if not randomised:
        pytest.skip("no randomised split_pareto method in this installation")
    spec = load_spec(_spec(tmp_path, ["enumerate", randomised[0]], seeds=2,
                           method_seeds=[0, 1, 2]))
    runs = plan(spec)
    assert sum(r.method == "enumerate" for r in runs) == 2
    assert sum(r.method == randomised[0] for r in runs) == 6
    assert {r.seed for r in runs if r.method == randomised[0]} == {0, 1, 2}


@pytest.mark.parametrize(("change", "field"), [
    ({"methods": ["no-such-method"]}, "grid.0.methods.0"),
    ({"methods": [{"method": "enumerate", "options": {"nope": 1}}]},
     "grid.0.methods.0.options.nope"),
    ({"params": {"n_layers": [3]}}, "grid.0.params.n_layers"),
    ({"seeds": None}, "grid.0.seeds"),
    ({"time_limit": -1}, "grid.0.time_limit"),
    ({"problem": "no_such_problem"}, "grid.0.problem"),
    ({"methods": ["enumerate", "enumerate"]}, "grid.0.methods.1"),
])
def test_bad_specs_name_the_field(tmp_path, change, field):
    path = _spec(tmp_path, ["enumerate"])
    data = json.loads(path.read_text())
    data["grid"][0].update(change)
    data["base_dir"] = str(tmp_path)
    with pytest.raises(InputError) as err:
        plan(load_spec(data))
    assert err.value.field == field


def test_unknown_spec_key_and_bad_yaml_are_input_errors(tmp_path, cli):
    bad = tmp_path / "bad.yaml"
    bad.write_text("grid: [\n")
    code, _, err = cli("sweep", bad)
    assert code == 2 and err.startswith("error: spec:") and "line" in err
    typo = tmp_path / "typo.yaml"
    typo.write_text("grid:\n  - problem: split_pareto\n    seed: [1]\n")
    code, _, err = cli("sweep", typo)
    assert code == 2 and "grid.0.seed" in err


def test_generator_parameters_are_a_grid_axis(tmp_path, monkeypatch):
    from edgesplit.formulations import split_pareto as sp

    original = sp.generate

    def generate(seed, size="small", num=1.0):  # a generator with one more parameter
        return original(seed, size).model_copy(update={"num": float(num)})

    monkeypatch.setattr(sp, "generate", generate)
    spec = _spec(tmp_path, ["enumerate"], seeds=2)
    data = json.loads(spec.read_text())
    data["grid"][0]["params"] = {"num": [1, 64]}
    spec.write_text(json.dumps(data))
    rows = run_sweep(spec, tmp_path / "res", serial=True).rows.sort_values("instance_id")
    assert list(rows["instance_id"]) == [f"split_pareto/small/seed={s},num={n}"
                                         for s in (0, 1) for n in (1, 64)]
    assert [json.loads(p) for p in rows["params"]] == [{"num": 1}, {"num": 64}] * 2
    assert rows["instance_sha"].nunique() == 4
    t = [json.loads(o)["T"] for o in rows["objectives"]]
    assert t[1] > t[0] and t[3] > t[2]  # 64 samples take longer than one


def test_gaps_of_a_single_objective_problem_equal_a_direct_computation(tmp_path):
    """Heuristics' gaps against the MILP optimum, as ``edgesplit gap`` computes them."""
    if "task_assignment" not in available_problems():
        pytest.skip("task_assignment is not in this installation")
    from edgesplit.formulations import get_problem
    from edgesplit.gaps import gap
    from edgesplit.solvers import available_methods

    methods = [m for m in ("milp", "fcfs", "pso") if m in available_methods("task_assignment")]
    if "milp" not in methods or len(methods) < 2:
        pytest.skip("task_assignment lacks milp or a heuristic")
    spec = {"base_dir": str(tmp_path), "name": "ta", "time_limit": 60,
            "grid": [{"problem": "task_assignment", "seeds": [0, 1], "methods": methods}]}
    rows = run_sweep(spec, tmp_path / "res", serial=True).rows
    assert set(rows["status"]) <= {"optimal", "feasible"}
    for row in rows.to_dict("records"):
        inst = get_problem("task_assignment").generate(row["instance_seed"], "small")
        if row["method"] == "milp":
            assert row["status"] == "optimal" and row["gap"] == pytest.approx(0, abs=1e-6)
            continue
        direct = gap(inst, row["method"], "milp", time_limit=60)
        assert row["objective"] == pytest.approx(direct["heuristic_objective"], rel=1e-9)
        assert row["gap"] == pytest.approx(direct["gap"], rel=1e-6, abs=1e-9)
        assert row["gap"] >= -1e-6  # no heuristic beats the optimum


def test_a_folder_of_instance_files(tmp_path):
    from edgesplit.formulations import split_pareto as sp

    folder = tmp_path / "instances"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.json").write_text(sp.generate(0).to_json())
    (folder / "sub" / "b.json").write_text(sp.generate(1).to_json())
    (folder / "broken.json").write_text('{"problem": "split_pareto", "f": [')
    spec = {"base_dir": str(tmp_path), "name": "files",
            "grid": [{"folder": "instances", "methods": ["enumerate", "cloud-only"]}]}
    summary = run_sweep(spec, tmp_path / "res", serial=True)
    assert summary.ran == 4 and len(summary.warnings) == 1
    assert "broken.json" in summary.warnings[0] and "not valid JSON" in summary.warnings[0]
    rows = summary.rows.sort_values(["instance_id", "method"])
    assert [i.split("@")[0] for i in rows["instance_id"]] == ["a.json"] * 2 + ["sub/b.json"] * 2
    assert rows["size"].isna().all() and rows["instance_file"].str.endswith(".json").all()
    direct = {r["method"]: r for r in rows[rows["instance_id"].str.startswith("a.")]
              .to_dict("records")}
    assert json.loads(direct["enumerate"]["objectives"]) == \
        sp.evaluate(sp.generate(0), sp.Solution(**json.loads(direct["enumerate"]["solution"]))
                    ).objectives
    # split_pareto's gap comes from its compare, with the instance read back from the file
    if hasattr(sp, "compare"):
        assert (rows.loc[rows["method"] == "enumerate", "gap"] == 0).all()
        assert rows.loc[rows["method"] == "cloud-only", "gap"].notna().all()
    # editing a file makes its runs new; the other file's runs are skipped
    (folder / "a.json").write_text(sp.generate(5).to_json())
    again = run_sweep(spec, tmp_path / "res", serial=True)
    assert (again.skipped, again.ran) == (2, 2)


# ----------------------------------------------------------------------------- resume
def _finished(results: Path) -> dict[str, str]:
    """run_key -> finished_at of every stored row."""
    frame = ResultStore(results).read()
    return dict(zip(frame["run_key"], frame["finished_at"], strict=True))


def test_resume_after_an_interruption_loses_nothing_and_runs_nothing_twice(tmp_path):
    spec = _spec(tmp_path, ["enumerate", "test-slow"], seeds=5)
    results = tmp_path / "res"
    total = len(plan(load_spec(spec)))
    seen: list[str] = []

    def stop_after_three(row):
        seen.append(row["run_key"])
        if len(seen) == 3:
            raise KeyboardInterrupt  # as a user's Ctrl-C after the third row

    with pytest.raises(KeyboardInterrupt):
        run_sweep(spec, results, serial=True, on_row=stop_after_three)
    before = _finished(results)
    assert sorted(before) == sorted(seen)  # every row handed on is on disk
    rerun: list[str] = []
    summary = run_sweep(spec, results, serial=True, on_row=lambda r: rerun.append(r["run_key"]))
    assert summary.skipped == 3 and summary.ran == total - 3
    assert not set(rerun) & set(before)  # nothing finished ran again
    after = _finished(results)
    assert len(after) == total
    assert all(after[k] == v for k, v in before.items())  # the old rows are untouched
    assert run_sweep(spec, results, serial=True).ran == 0


def test_resume_after_killing_the_sweep_process(tmp_path):
    """SIGKILL the whole `edgesplit sweep` (parent and workers) half-way, then rerun."""
    log = tmp_path / "executions.log"
    spec = _spec(tmp_path, [{"method": "test-slow",
                             "options": {"delay": 0.25, "log": str(log)}}], seeds=8)
    results = tmp_path / "res"
    proc = subprocess.Popen([sys.executable, "-m", "edgesplit.cli", "sweep", str(spec),
                             "--results", str(results),
                             "--workers", "1", "--no-progress"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    journal = results / "runs"
    deadline = time.time() + 60
    while time.time() < deadline and proc.poll() is None:
        if journal.is_dir() and len(list(journal.glob("*.json"))) >= 3:
            break
        time.sleep(0.05)
    assert proc.poll() is None, proc.stderr.read().decode()
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    before = _finished(results)
    assert 3 <= len(before) < 8
    n_logged = len(log.read_text().splitlines())
    rerun: list[str] = []
    summary = run_sweep(spec, results, serial=True, on_row=lambda r: rerun.append(r["run_key"]))
    assert summary.skipped == len(before) and summary.ran == 8 - len(before)
    assert not set(rerun) & set(before)
    after = _finished(results)
    assert len(after) == 8 and all(after[k] == v for k, v in before.items())
    ours = [line for line in log.read_text().splitlines()[n_logged:]
            if line.split()[0] == str(os.getpid())]
    assert len(ours) == 8 - len(before)  # this process ran exactly the unfinished ones
    assert not list(results.glob(".*.tmp")) and not list(journal.glob("*.json"))


def test_results_folder_survives_torn_and_duplicate_rows(tmp_path):
    spec = _spec(tmp_path, ["enumerate"], seeds=3)
    results = tmp_path / "res"
    run_sweep(spec, results, serial=True)
    store = ResultStore(results)
    frame = store.read()
    assert len(frame) == 3 and store.parquet.is_file()
    # a kill between the compacted file's rename and the journal's cleanup: a row in both
    row = {k: (None if v != v else v) for k, v in frame.iloc[0].to_dict().items()}
    row["instance_seed"] = int(row["instance_seed"])
    store.append(row)
    (store.journal / "torn.json").write_bytes(b'{"run_key": "abc", "sta')  # machine crash
    assert len(store.read()) == 3
    assert run_sweep(spec, results, serial=True).ran == 0
    assert not list(store.journal.iterdir())  # compaction folded and dropped both files
    assert len(ResultStore(results).read()) == 3


def test_a_second_sweep_on_the_same_folder_is_refused(tmp_path):
    spec = _spec(tmp_path, ["enumerate"], seeds=1)
    store = ResultStore(tmp_path / "res")
    with store.lock(), pytest.raises(InputError, match="another sweep"):
        run_sweep(spec, store.path, serial=True)


# ----------------------------------------------------------------------------- failures
def test_a_failing_run_is_recorded_and_the_sweep_goes_on(tmp_path):
    spec = _spec(tmp_path, ["enumerate", "test-raise"], seeds=3)
    summary = run_sweep(spec, tmp_path / "res", serial=True)
    assert summary.counts == {"optimal": 3, "error": 3}
    rows = summary.rows.set_index("method")
    err = rows.loc["test-raise"]
    assert all(e.startswith("RuntimeError: boom on random-small-") for e in err["error"])
    assert summary.rows.loc[summary.rows["status"] != "error", "error"].isna().all()
    # rerunning keeps error rows unless asked to retry them
    assert run_sweep(spec, tmp_path / "res", serial=True).ran == 0
    again = run_sweep(spec, tmp_path / "res", serial=True, retry_errors=True)
    assert again.ran == 3 and again.counts == {"error": 3}
    assert len(load_results(tmp_path / "res")) == 6  # the retried rows replaced the old


def test_a_dying_worker_is_replaced_and_a_killer_run_recorded(tmp_path):
    markers = tmp_path / "markers"
    markers.mkdir()
    spec = _spec(tmp_path, ["enumerate",
                            {"method": "test-crash", "options": {"marker_dir": str(markers)}},
                            {"method": "test-crash", "label": "always-crash",
                             "options": {"marker_dir": str(markers), "always": True}}],
                 seeds=1)
    summary = run_sweep(spec, tmp_path / "res", workers=2)
    rows = summary.rows.set_index("method")
    assert len(summary.rows) == 3 and summary.ran == 3
    assert len(list(markers.iterdir())) == 2  # both crashing runs did crash
    assert set(rows.loc[["enumerate"], "status"]) == {"optimal"}
    assert set(rows.loc[["test-crash"], "status"]) == {"optimal"}  # crashed once, then ran
    killer = rows.loc[["always-crash"]]
    assert set(killer["status"]) == {"error"}
    assert all(e.startswith("WorkerDied") for e in killer["error"])


# ----------------------------------------------------------------------------- executors
def _deterministic_spec(tmp_path: Path) -> Path:
    path = _spec(tmp_path, ["enumerate", "test-slow"], seeds=4)
    data = json.loads(path.read_text())
    from edgesplit.solvers import available_methods

    if "dag_partition" in available_problems():
        exact = [n for n, m in available_methods("dag_partition").items()
                 if n in ("mincut", "neurosurgeon")]
        if exact:
            data["grid"].append({"problem": "dag_partition", "seeds": [0, 1],
                                 "methods": exact})
    if "task_assignment" in available_problems():
        cheap = [n for n in available_methods("task_assignment") if n in ("fcfs", "pso")]
        if cheap:
            data["grid"].append({"problem": "task_assignment", "seeds": [0, 1],
                                 "methods": cheap})
    path.write_text(json.dumps(data))
    return path


_SAME = ["run_key", "instance_id", "problem", "size", "instance_seed", "params",
         "instance_sha", "instance_size", "method", "method_name", "kind", "options",
         "time_limit", "seed", "status", "objective", "objectives", "bound", "solution", "gap",
         "gap_to_best", "best_bound", "error"]


def test_local_processes_and_a_dask_local_cluster_give_the_same_rows(tmp_path):
    distributed = pytest.importorskip("distributed")
    import dask

    spec = _deterministic_spec(tmp_path)
    local = run_sweep(spec, tmp_path / "local", workers=2).rows
    # Dask's worker processes are daemons by default; guarded methods need children
    with dask.config.set({"distributed.worker.daemon": False}), \
            distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                     dashboard_address=None) as cluster:
        on_dask = run_sweep(spec, tmp_path / "dask", scheduler=cluster).rows
    assert len(local) == len(plan(load_spec(spec))) and len(on_dask) == len(local)
    a = local[_SAME].sort_values("run_key").reset_index(drop=True)
    b = on_dask[_SAME].sort_values("run_key").reset_index(drop=True)
    assert a.equals(b)
    assert set(on_dask["worker"]) != set(local["worker"])  # really ran elsewhere


# ----------------------------------------------------------------------------- rows and CLI
def test_rows_hold_the_schema_and_values_equal_a_direct_solve(tmp_path):
    from edgesplit.formulations import split_pareto as sp
    from edgesplit.solvers import solve

    spec = _spec(tmp_path, ["enumerate"], seeds=2)
    rows = run_sweep(spec, tmp_path / "res", serial=True).rows
    assert set(COLUMNS) <= set(rows.columns)
    for row in rows.to_dict("records"):
        direct = solve(sp.generate(row["instance_seed"], "small"), "enumerate")
        assert row["status"] == "optimal" and row["kind"] == "exact"
        assert json.loads(row["objectives"]) == direct.objectives
        assert json.loads(row["solution"]) == direct.solution
        assert json.loads(row["versions"])["edgesplit"]


def test_count_numbers_counts_every_number_but_meta():
    from edgesplit.sweeps.runner import count_numbers

    assert count_numbers({"a": [1, 2.5, [3]], "b": "x", "c": True, "meta": {"seed": 4},
                          "d": {"e": 0.0}}) == 4


def test_cli_sweep_then_report(tmp_path, cli, monkeypatch):
    spec = _spec(tmp_path, ["enumerate", "test-raise"], seeds=2)
    results = tmp_path / "res"
    code, out, err = cli("sweep", spec, "--results", results, "--serial", "--no-progress")
    assert code == 0, err
    assert "4 runs in the spec: 0 already finished, ran 4" in out
    assert "test-raise" in out and "enumerate" in out
    code, out, _ = cli("sweep", spec, "--results", results, "--dry-run")
    assert code == 0 and "4 already finished, would run 0" in out
    code, out, err = cli("report", results)
    assert code == 0, err
    assert (results / "report" / "report.md").is_file()
    assert "RuntimeError: boom on" in (results / "report" / "report.md").read_text()
    monkeypatch.setattr("edgesplit.sweeps.runner.DASK_CONNECT_TIMEOUT_S", 0.5)
    code, _, err = cli("sweep", spec, "--scheduler", "tcp://127.0.0.1:9", "--results",
                       tmp_path / "other")
    assert code == 2 and err.startswith("error: scheduler:")
