"""split_pareto's paper heuristic MTMGMO (000) and the CECMS reproduction."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edgesplit.errors import InputError
from edgesplit.formulations import split_pareto as sp
from edgesplit.profiles import get_device, get_link, load_profile
from edgesplit.results import Status
from edgesplit.solvers import solve

SMALL = {"populations": [8, 12], "generations": 15}


def _alexnet() -> sp.Instance:
    return sp.from_profile(load_profile("alexnet_32"), get_device("paper000-edge-calibrated"),
                           get_device("paper000-cloud"), get_link("paper000-wan"), num=5000,
                           mode="training")


@given(seed=st.integers(0, 10**6))
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_mtmgmo_is_never_better_than_the_exact_front(seed):
    inst = sp.generate(seed, "small")
    exact, heur = solve(inst, "enumerate"), solve(inst, "mtmgmo", seed=seed, **SMALL)
    if exact.status is Status.INFEASIBLE:
        assert heur.status is Status.INFEASIBLE and heur.solution is None
        return
    assert heur.status is Status.FEASIBLE and heur.info["evaluation"].feasible
    assert "objective_mismatch" not in heur.info
    table = sp.objective_table(inst)
    ex = exact.solution["front"]
    for k in heur.solution["front"]:  # every point is on, or weakly dominated by, the front
        assert any(np.all(table[j] <= table[k]) for j in ex)
    cmp = sp.compare(inst, exact, heur)
    assert cmp["hv_ratio"] <= 1 + 1e-12
    assert cmp["not_on_exact_front"] == []  # the merged front is filtered for dominance
    assert (cmp["missed"] == []) == (cmp["hv_ratio"] == pytest.approx(1.0))


def test_mtmgmo_finds_the_whole_front_on_alexnet():
    inst = _alexnet()
    heur = solve(inst, "mtmgmo", seed=3, populations=[20, 40], generations=40)
    exact = solve(inst, "enumerate")
    assert heur.solution == exact.solution == {"split": 6, "front": [0, 6, 15, 21]}
    cmp = sp.compare(inst, exact, heur)
    assert cmp["missed"] == [] and cmp["hv_ratio"] == pytest.approx(1.0)


def test_same_seed_same_answer_whatever_the_threads():
    inst = sp.generate(11, "paper")
    a = solve(inst, "mtmgmo", seed=5, **SMALL)
    b = solve(inst, "mtmgmo", seed=5, threads=1, **SMALL)
    c = solve(inst, "mtmgmo", seed=5, **SMALL)
    assert a.solution == b.solution == c.solution
    pops = [[p["initial_distribution"], p["final_distribution"], p["front"]]
            for p in a.info["populations"]]
    assert pops == [[p["initial_distribution"], p["final_distribution"], p["front"]]
                    for p in b.info["populations"]]
    assert a.info["threads"] == 2 and b.info["threads"] == 1
    # each population holds its size: 000 Tables 3-4 count individuals per split value
    assert [sum(p["final_distribution"]) for p in a.info["populations"]] == [8, 12]
    d = solve(inst, "mtmgmo", seed=6, **SMALL)
    assert [p["initial_distribution"] for p in d.info["populations"]] != \
        [p["initial_distribution"] for p in a.info["populations"]]


def test_paper_settings_are_the_defaults():
    from edgesplit.solvers.split_pareto import PAPER_GENERATIONS, PAPER_POPULATIONS

    assert PAPER_POPULATIONS == (100, 200, 300, 400) and PAPER_GENERATIONS == 500


@pytest.mark.parametrize(("options", "field"), [
    ({"populations": []}, "populations"), ({"populations": [2, 10]}, "populations"),
    ({"populations": "100"}, "populations"), ({"generations": 0}, "generations"),
    ({"threads": 0}, "threads"), ({"eta": 0.0}, "eta"), ({"rule": "best"}, "rule")])
def test_bad_options_are_input_errors(options, field):
    with pytest.raises(InputError, match=f"^{field}: "):
        solve(sp.generate(1), "mtmgmo", **options)


def test_bad_option_on_the_cli_is_exit_code_2(cli, tmp_path):
    path = tmp_path / "inst.json"
    path.write_text(sp.generate(2).to_json())
    code, out, err = cli("solve", path, "-m", "mtmgmo", "-O", "generations=0")
    assert code == 2 and out == ""
    assert err.strip() == "error: generations: must be an integer >= 1 (got 0)"
    code, out, err = cli("solve", path, "-m", "mtmgmo", "-O", "populations=[8,8]",
                         "-O", "generations=5", "--json")
    assert code == 0, err
    assert json.loads(out)["status"] == "feasible"


def test_time_limit_stops_every_population():
    inst = _alexnet()
    res = solve(inst, "mtmgmo", time_limit=0.05, populations=[50, 50], generations=10**6)
    assert res.status is Status.TIME_LIMIT
    assert all(p["generations"] < 10**6 for p in res.info["populations"])
    assert res.solution is None or res.info["evaluation"].feasible


def test_no_feasible_split_is_infeasible():
    inst = sp.generate(4)
    tight = inst.model_copy(update={"M_total": inst.M_wait + 1.0})
    res = solve(tight, "mtmgmo", **SMALL)
    assert res.status is Status.INFEASIBLE and "C3" in res.message


@pytest.mark.slow
def test_paper_setting_on_vgg16_finds_the_exact_front():
    inst = sp.from_profile(load_profile("vgg16_32"), get_device("paper000-edge"),
                           get_device("paper000-cloud"), get_link("paper000-wan"), num=5000,
                           mode="training")
    heur, exact = solve(inst, "mtmgmo"), solve(inst, "enumerate")
    cmp = sp.compare(inst, exact, heur)
    assert cmp["missed"] == [] and heur.solution == exact.solution


# ----------------------------------------------------------------------------- reproduction
def test_reproduce_cecms_writes_report_claims_and_figures(tmp_path, monkeypatch):
    from edgesplit.experiments import cecms

    monkeypatch.setitem(cecms.GENERATIONS, True, 3)
    monkeypatch.setitem(cecms.REPEATS, True, 1)
    written = cecms.run(tmp_path, quick=True, seed=0)
    folder = tmp_path / "cecms"
    names = {p.name for p in written}
    assert {"report.md", "results.json", "claims.json", "fig6_alexnet.png",
            "fig6_vgg16.png", "fronts.png", "rules_vs_bandwidth.png",
            "fig11_12_15_baselines.png", "tables5_6_timing.png"} <= names
    assert all(p.exists() and p.stat().st_size > 0 for p in written)
    claims = json.loads((folder / "claims.json").read_text())
    assert len(claims) >= 10
    for c in claims:
        assert set(c) == {"claim", "paper", "ours", "holds", "note"}
        assert c["holds"] in (True, False, None)
    results = json.loads((folder / "results.json").read_text())
    alex = results["models"]["alexnet"]["calibrated"]
    assert alex["picks"]["knee"] == 6 and alex["front"] == [0, 6, 15, 21]
    assert alex["epsilon_milp_same_front"] is True
    vgg = results["models"]["vgg16"]["calibrated"]
    assert vgg["picks"]["knee"] == 10 and vgg["last_feasible"] == 15
    assert results["mtmgmo"]["timing"]["same_final_distribution"] is True
    report = (folder / "report.md").read_text()
    assert "Which selection rule gives 000's pick" in report and "| knee |" in report


@pytest.mark.slow
def test_reproduce_cecms_quick_from_the_cli(cli, tmp_path):
    code, _, err = cli("reproduce", "cecms", "--quick", "--out", tmp_path)
    assert code == 0, err
    assert (tmp_path / "cecms" / "report.md").exists()
