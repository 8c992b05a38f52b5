"""profile -> instance -> model -> solve -> verify on split_pareto (000), by hand and by CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest

import edgesplit
from edgesplit.formulations import split_pareto as sp
from edgesplit.results import JSON_KEYS, Result, Status
from edgesplit.solvers import available_methods, get_method, register, solve

GIB = 2.0**30


@pytest.fixture
def toy() -> sp.Instance:
    """Three layers; every number below is worked out by hand from 000 eq. 4-12."""
    return sp.Instance(
        f=[1e9, 2e9, 3e9], o=[1e6, 5e5, 2e5], F_e=1e10, F_c=1e11,
        V_trans=1e8, V_up=1e8, V_down=1e8, num=1,
        m=[3 * GIB, 4 * GIB, 5 * GIB, 6 * GIB], M_wait=2 * GIB, M_total=5.5 * GIB)


def test_completion_times_by_hand(toy):
    # t_e = f/F_e = [0.1, 0.2, 0.3] s; t_c = f/F_c = [0.01, 0.02, 0.03] s;
    # t_total,i = 8 o_i (1/V_up + 1/V_trans + 1/V_down) = [0.24, 0.12, 0.048] s (eq. 5-7)
    # eq. 9:  T_0 = 0.24 + 0.06                 = 0.30
    # eq. 8:  T_1 = 0.12 + 0.1 + (0.02 + 0.03)  = 0.27
    #         T_2 = 0.048 + (0.1 + 0.2) + 0.03  = 0.378
    # eq. 10: T_3 = 0.1 + 0.2 + 0.3             = 0.6
    np.testing.assert_allclose(sp.completion_times(toy), [0.30, 0.27, 0.378, 0.6], rtol=1e-12)


def test_memory_objective_by_hand(toy):
    # eq. 11-12: r_k = (m_k - M_wait) / M_total = [1, 2, 3, 4] / 5.5
    np.testing.assert_allclose(sp.memory_unused(toy), 1 - np.array([1, 2, 3, 4]) / 5.5)
    # C3: m_3 = 6 GiB > M_total = 5.5 GiB
    assert sp.feasible_splits(toy).tolist() == [True, True, True, False]


def test_evaluate_by_hand(toy):
    ev = edgesplit.evaluate(toy, {"split": 2})
    assert ev.feasible and ev.violations == []
    assert ev.objective is None
    assert ev.objectives == pytest.approx({"T": 0.378, "memory_unused": 1 - 3 / 5.5})
    bad = edgesplit.evaluate(toy, {"split": 3})
    assert not bad.feasible
    assert bad.violations[0].startswith("C3 edge memory (000 eq. 13): split 3")
    assert bad.objectives["T"] == pytest.approx(0.6)


def test_enumerate_front_by_hand(toy):
    # k=0 (0.30, 0.818) is dominated by k=1 (0.27, 0.636); k=3 violates C3
    result = solve(toy, "enumerate")
    assert result.status is Status.OPTIMAL
    assert result.solution["front"] == [1, 2]
    assert result.info["evaluation"].feasible
    # the reported objectives are evaluate's
    assert "objective_mismatch" not in result.info
    ev = edgesplit.evaluate(toy, result)
    assert result.objectives == pytest.approx(ev.objectives)


def test_no_feasible_split_is_a_status_not_a_crash(toy):
    tight = toy.model_copy(update={"M_total": 2.5 * GIB})
    result = solve(tight, "enumerate")
    assert result.status is Status.INFEASIBLE
    assert result.solution is None and "C3" in result.message


def test_from_profile_uses_the_chain_view_per_sample():
    prof = edgesplit.load_profile("alexnet_32")
    edge, cloud = edgesplit.profiles.get_device("paper000-edge"), \
        edgesplit.profiles.get_device("paper000-cloud")
    link = edgesplit.profiles.get_link("paper000-wan")
    inst = sp.from_profile(prof, edge, cloud, link, num=5000)
    chain = prof.chain()
    assert inst.N == chain.n_layers
    assert sum(inst.f) == pytest.approx(prof.total_flops)
    assert inst.o[0] == 3 * 32 * 32 * 4  # the raw input crosses at split 0 (000 eq. 5)
    assert inst.F_e == 8 * 2.5e9 * 32  # 000 eq. 3
    assert inst.memory_source == "model"
    assert np.all(np.diff(inst.m) >= 0)  # more layers on the edge never need less memory
    training = sp.from_profile(prof, edge, cloud, link, num=5000, mode="training")
    assert sum(training.f) == pytest.approx(3 * prof.total_flops)
    result = solve(inst, "enumerate")
    assert result.status is Status.OPTIMAL and result.info["evaluation"].feasible


def test_cli_solve_json_and_evaluate_round_trip(cli, tmp_path):
    inst = tmp_path / "inst.json"
    code, _, _ = cli("generate", "split_pareto", "--seed", "7", "-o", inst)
    assert code == 0
    code, out, _ = cli("solve", inst, "--method", "enumerate", "--json")
    assert code == 0
    data = json.loads(out)
    assert tuple(data) == JSON_KEYS
    assert data["problem"] == "split_pareto" and data["status"] == "optimal"
    res = tmp_path / "res.json"
    res.write_text(out)
    code, out, _ = cli("evaluate", inst, res)
    assert code == 0
    ev = json.loads(out)
    assert set(ev) == {"feasible", "objective", "objectives", "violations"}
    assert ev["feasible"] is True and ev["objectives"] == pytest.approx(data["objectives"])


def test_generate_is_deterministic_per_seed(cli):
    _, a, _ = cli("generate", "split_pareto", "--seed", "3")
    _, b, _ = cli("generate", "split_pareto", "--seed", "3")
    _, c, _ = cli("generate", "split_pareto", "--seed", "4")
    assert a == b and a != c
    assert edgesplit.load_instance(json.loads(a)).N >= 3


def test_schema_is_published(cli):
    code, out, _ = cli("schema", "split_pareto")
    schema = json.loads(out)
    assert code == 0 and {"f", "o", "F_e", "F_c", "m", "M_total"} <= set(schema["properties"])
    code, out, _ = cli("schema", "profile")
    assert code == 0 and "nodes" in json.loads(out)["properties"]


def test_help_lists_the_commands(cli):
    code, out, _ = cli("--help")
    assert code == 0
    for command in ("profile", "schema", "generate", "solve", "evaluate", "export", "gap",
                    "reproduce"):
        assert command in out


def test_export_writes_each_format(cli, tmp_path):
    inst = tmp_path / "inst.json"
    cli("generate", "split_pareto", "--seed", "1", "-o", inst)
    for suffix in (".lp", ".mps", ".nl", ".gms"):
        code, _, err = cli("export", inst, "-o", tmp_path / f"m{suffix}")
        assert code == 0, err
        assert (tmp_path / f"m{suffix}").stat().st_size > 100
    assert "C3_edge_memory" in (tmp_path / "m.lp").read_text()


# ----------------------------------------------------------------------------- registry
def test_registry_lists_and_rejects():
    assert "enumerate" in available_methods("split_pareto")
    assert get_method("split_pareto", "enumerate").kind == "exact"
    with pytest.raises(edgesplit.InputError, match=r"available: .*enumerate"):
        get_method("split_pareto", "nope")
    with pytest.raises(edgesplit.InputError, match="unknown problem key"):
        available_methods("nope")


def test_registering_a_name_twice_is_refused():
    @register("split_pareto", "_test_once", kind="baseline")
    def first(inst, *, time_limit=None, seed=0):  # pragma: no cover - never called
        raise AssertionError

    with pytest.raises(RuntimeError, match="registered twice"):
        @register("split_pareto", "_test_once", kind="baseline")
        def second(inst, *, time_limit=None, seed=0):  # pragma: no cover
            raise AssertionError


@register("split_pareto", "_test_wrong_objective", kind="baseline")
def _wrong_objective(inst, *, time_limit=None, seed=0):
    return Result("split_pareto", "_test_wrong_objective", Status.FEASIBLE,
                  objectives={"T": 123.0, "memory_unused": 0.0}, solution={"split": 0})


@register("split_pareto", "_test_infeasible_claim", kind="baseline")
def _infeasible_claim(inst, *, time_limit=None, seed=0):
    return Result("split_pareto", "_test_infeasible_claim", Status.OPTIMAL,
                  solution={"split": inst.N})


@register("split_pareto", "_test_crash", kind="baseline")
def _crash(inst, *, time_limit=None, seed=0):
    raise ZeroDivisionError("oops")


def test_verify_reports_a_solver_whose_objective_differs_from_evaluate(toy):
    result = solve(toy, "_test_wrong_objective")
    assert result.info["objective_mismatch"] is True
    assert "solver T 123.0 differs from evaluate's 0.3" in result.message
    assert result.objectives["T"] == 123.0  # reported, not silently replaced


def test_verify_downgrades_a_solution_that_violates_constraints(toy):
    result = solve(toy, "_test_infeasible_claim")
    assert result.status is Status.ERROR
    assert "C3 edge memory" in result.message


def test_a_crashing_method_gives_an_error_status(toy):
    result = solve(toy, "_test_crash")
    assert result.status is Status.ERROR
    assert result.message == "ZeroDivisionError: oops"


@register("split_pareto", "_test_sleeper", kind="baseline", guarded=True)
def _sleeper(inst, *, time_limit=None, seed=0):
    import time

    time.sleep(60)
    raise AssertionError("should have been killed")  # pragma: no cover


@register("split_pareto", "_test_guarded_ok", kind="baseline", guarded=True)
def _guarded_ok(inst, *, time_limit=None, seed=0):
    return Result("split_pareto", "_test_guarded_ok", Status.FEASIBLE, solution={"split": 1})


def test_guarded_method_runs_in_a_child_and_returns(toy):
    result = solve(toy, "_test_guarded_ok", time_limit=5)
    assert result.status is Status.FEASIBLE
    assert result.objectives["T"] == pytest.approx(0.27)


def test_guard_stops_a_method_that_ignores_its_time_limit(toy, monkeypatch):
    import edgesplit.solvers as solvers

    monkeypatch.setattr(solvers, "GUARD_SLACK_S", 1.0)
    result = solve(toy, "_test_sleeper", time_limit=0.5)
    assert result.status is Status.TIME_LIMIT
    assert "wall-clock guard" in result.message
    assert result.runtime_s < 30  # killed, not waited for: it sleeps 60 s


def test_reproduce_all_with_a_failed_experiment_exits_1(cli, monkeypatch):
    import edgesplit.experiments as ex

    def failing(name, out, quick=False, seed=0):
        raise ex.ExperimentsFailedError("1 experiment(s) failed: gspi; see out/report.md")

    monkeypatch.setattr(ex, "run_experiment", failing)
    code, out, err = cli("reproduce", "all", "--quick")
    assert code == 1 and out == ""
    assert err.strip() == "error: 1 experiment(s) failed: gspi; see out/report.md"
