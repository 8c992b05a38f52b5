"""joint_split_share (002, DMCJIA): the model by hand, the exact methods against enumeration and
each other, the heuristics against the optimum, the profile mapping, golden models, the CLI."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from edgesplit.errors import InputError
from edgesplit.formulations import joint_split_share as js
from edgesplit.io import load_instance
from edgesplit.results import Status
from edgesplit.solvers import get_method, solve, verify
from edgesplit.solvers.joint_split_share._shares import exact_shares_for, solve_shares
from edgesplit.solvers.joint_split_share.dmcjia import alm_shares, decode, encode

GOLDEN = Path(__file__).parent / "golden"
EXACT = ("decomposition", "minlp", "misocp")
HEURISTICS = ("dmcjia", "cloud-only", "greedy", "neurosurgeon")


def _raw(method: str):
    """The registered function itself (no guard process: fast in tests)."""
    return get_method(js.PROBLEM, method).func


def _solve_direct(inst, method, **kw):
    """Like :func:`solve` but without the guard process; verified with evaluate."""
    result = _raw(method)(inst, time_limit=kw.pop("time_limit", None), seed=kw.pop("seed", 0),
                          **kw)
    verify(inst, result)
    return result


@pytest.fixture
def tiny() -> js.Instance:
    return load_instance(str(GOLDEN / "joint_split_share_tiny.json"))


# ----------------------------------------------------------------------------- model by hand
def _md1(lam: float, mu: float) -> float:
    """002 eq. 3-2 / 3-5 written out."""
    return lam / (2 * mu * (mu - lam)) + 1 / mu


def test_evaluate_matches_the_papers_equations_by_hand(tiny):
    # node 0 splits after layer 1, node 1 runs everything in the cloud
    sol = js.Solution(gamma=[1, 0], delta=[0.3, 0.6])
    ev = js.evaluate(tiny, sol)
    mu0 = 5e9 / 1e9  # eq. 3-1
    t0 = _md1(1.0, mu0) + 8 * 2e5 / 2e6 + _md1(1.0, 0.3 * 4e11 / 1e9)  # eq. 3-2..3-6
    t1 = 0.0 + 8 * 6e5 / 4e6 + _md1(0.5, 0.6 * 4e11 / 2e9)
    assert ev.feasible and ev.violations == []
    assert ev.objective == pytest.approx((t0 + t1) / 2, rel=1e-12)
    assert ev.details["T_edge"][1] == 0.0  # gamma = 0: no edge work
    assert ev.details["T"][0] == pytest.approx(t0, rel=1e-12)


def test_gamma_equal_to_gamma_max_needs_no_share(tiny):
    ev = js.evaluate(tiny, js.Solution(gamma=[2, 2], delta=[0.0, 0.0]))
    assert ev.feasible
    assert ev.details["T_cloud"] == [0.0, 0.0] and ev.details["T_trans"] == [0.0, 0.0]
    assert ev.objective == pytest.approx((_md1(1.0, 2.5) + _md1(0.5, 4.0)) / 2)


def test_cloud_delay_is_eq_3_5_in_share_form():
    a, lam = 0.009, 2.0
    for delta in (0.02, 0.1, 0.9):
        assert js.cloud_delay(a, lam, delta) == pytest.approx(_md1(lam, delta / a), rel=1e-13)
    assert js.cloud_delay(a, lam, lam * a) == np.inf  # unstable
    assert js.cloud_delay(0.0, lam, 0.0) == 0.0  # no cloud work


@pytest.mark.parametrize(("gamma", "delta", "violated"), [
    ([1, 0], [0.6, 0.5], "C1 share budget"),
    ([1, 0], [0.5, 0.0], "C3 cloud stability"),
    ([2, 0], [0.0, 0.5], None),
])
def test_violations_are_named_after_the_equations(tiny, gamma, delta, violated):
    ev = js.evaluate(tiny, js.Solution(gamma=gamma, delta=delta))
    if violated is None:
        assert ev.feasible
    else:
        assert not ev.feasible and any(v.startswith(violated) for v in ev.violations)


def test_unstable_edge_queue_is_a_violation_and_leaves_no_objective(tiny):
    fast = tiny.model_copy(update={"lambda_d": [3.0, 0.5]})  # mu_0 = 2.5 at gamma = 2
    ev = js.evaluate(fast, js.Solution(gamma=[2, 2], delta=[0.0, 0.0]))
    assert not ev.feasible and ev.objective is None
    assert any(v.startswith("C3 edge stability") for v in ev.violations)


def test_cloud_faster_option_is_checked(tiny):
    inst = tiny.model_copy(update={"cloud_faster": True})
    # node 0 at gamma = 1: mu_d = 5 /s, mu_c = delta 4e11 / 1e9 -> needs delta >= 0.0125
    ok = js.evaluate(inst, js.Solution(gamma=[1, 2], delta=[0.02, 0.0]))
    bad = js.evaluate(inst, js.Solution(gamma=[1, 2], delta=[0.01, 0.0]))
    assert ok.feasible and not bad.feasible
    assert any(v.startswith("C3 cloud faster") for v in bad.violations)


@pytest.mark.parametrize("sol", [{"gamma": [3, 0], "delta": [0, 0]},
                                 {"gamma": [0], "delta": [0.5, 0.5]},
                                 {"gamma": [0, 0], "delta": [0.5]}])
def test_malformed_solutions_are_input_errors(tiny, sol):
    with pytest.raises(InputError):
        js.evaluate(tiny, js.Solution(**sol))


@pytest.mark.parametrize(("change", "field"), [
    ({"lambda_d": [1.0]}, "lambda_d"),
    ({"models": [{"C": [0, 2, 1], "M": [1, 1, 0]}]}, "C"),
    ({"models": [{"C": [0, 1, 2], "M": [1, 0]}]}, "M"),
    ({"K_d": [0, 1]}, "K_d"),
    ({"F_c": -1.0}, "F_c"),
    ({"work_unit": "GFLOPS"}, "work_unit"),
])
def test_bad_instances_name_the_field(change, field):
    data = json.loads((GOLDEN / "joint_split_share_tiny.json").read_text()) | change
    with pytest.raises(InputError, match=field):
        load_instance(data)


# ----------------------------------------------------------------------------- infeasible
def _crowded() -> js.Instance:
    """Every node must offload (the edge alone is unstable) and the cloud is too small."""
    model = js.TaskModel(C=[0.0, 1e9, 2e9], M=[1e5, 1e5, 0.0])
    return js.Instance(F_d=[1.5e9] * 3, lambda_d=[1.0] * 3, B_d=[1e7] * 3, F_c=2e9,
                       models=[model])


@pytest.mark.parametrize("method", EXACT)
def test_no_feasible_split_is_an_infeasible_status_with_the_reason(method):
    inst = _crowded()
    assert js.infeasibility_reason(inst) is not None
    result = _solve_direct(inst, method)
    assert result.status is Status.INFEASIBLE and result.solution is None
    assert "C1 + C3" in result.message


def test_every_node_with_a_stable_split_but_not_in_the_whole_cloud():
    model = js.TaskModel(C=[0.0, 4e9], M=[1e5, 0.0])
    inst = js.Instance(F_d=[1e9], lambda_d=[1.0], B_d=[1e7], F_c=1e9, models=[model])
    reason = js.infeasibility_reason(inst)
    assert reason is not None and reason.startswith("node 0")


# ----------------------------------------------------------------------------- shares
def _dg(a: float, lam: float, delta: float) -> float:
    """d/d delta of eq. 3-5 with mu = delta / a, written in mu (independent of the solver)."""
    mu = delta / a
    dT_dmu = -lam * (2 * mu - lam) / (2 * mu**2 * (mu - lam) ** 2) - 1 / mu**2
    return dT_dmu / a


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_exact_share_solve_satisfies_kkt(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 7))
    a = rng.uniform(1e-4, 0.02, n) * (rng.random(n) > 0.2)
    lam = rng.uniform(0.2, 3.0, n)
    lo = np.where(rng.random(n) < 0.3, rng.uniform(0, 0.1, n), 0.0)
    need = np.maximum(lam * a, lo)
    if need[a > 0].sum() >= 0.95:
        return
    delta, nu = solve_shares(a, lam, lo)
    assert delta is not None and delta.sum() <= 1.0
    c = a > 0
    assert np.all(delta[~c] == 0)
    if not c.any():
        return
    if c.sum() == 1:
        assert delta[c].sum() == pytest.approx(1.0)
        return
    assert delta.sum() == pytest.approx(1.0, abs=1e-12)
    for d in np.flatnonzero(c):
        slope = -_dg(a[d], lam[d], delta[d])
        if delta[d] > lo[d] * (1 + 1e-12):
            assert slope == pytest.approx(nu, rel=1e-7)  # equal marginal delay
        else:
            assert slope <= nu * (1 + 1e-7)  # held at its lower bound


def _enumerate(inst: js.Instance) -> float:
    """Brute force over every split vector, exact shares for each."""
    opts = js.options(inst)
    best = np.inf
    for gam in itertools.product(*[range(inst.task_of(d).Gamma + 1) for d in range(inst.D)]):
        if not all(opts.edge_stable[d, g] for d, g in enumerate(gam)):
            continue
        delta, _ = exact_shares_for(inst, gam, opts)
        if delta is not None:
            best = min(best, js.average_delay(inst, gam, delta, opts))
    return best


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 100_000))
@example(seed=50557)  # "cloud faster" once made split 0 look dominated (see below)
def test_decomposition_equals_brute_force_and_proves_it(seed):
    inst = js.generate(seed, "small")
    result = solve(inst, "decomposition")
    assert result.status is Status.OPTIMAL
    assert result.objective == pytest.approx(_enumerate(inst), rel=1e-9)
    assert result.bound <= result.objective
    assert result.gap <= 1e-9
    assert result.message is None or "differs" not in result.message


def test_sending_everything_is_not_dominated_under_cloud_faster():
    # node 1's split 0 has more cloud work and a larger e than split 1, but no "cloud faster
    # than edge" share (no edge queue), while split 1 needs 0.47 of the cloud: split 0 must stay
    inst = js.generate(50557, "small")
    opts = js.options(inst)
    assert inst.cloud_faster
    assert opts.a[1, 0] > opts.a[1, 1] and opts.e[1, 0] > opts.e[1, 1]
    assert opts.delta_min[1, 0] == 0 < opts.delta_min[1, 1]
    assert js.nondominated(opts)[1, 0]
    best = _enumerate(inst)
    assert best == pytest.approx(0.20740204306914953, rel=1e-12)
    for method in EXACT:
        r = _solve_direct(inst, method, time_limit=60)
        assert r.status is Status.OPTIMAL, (method, r.message)
        assert r.objective == pytest.approx(best, rel=1e-7), method


# ----------------------------------------------------------------------------- exact agree
@pytest.mark.parametrize("inst", [js.generate(1), js.generate(4), js.generate(13),
                                  js.table5_instance(5, seed=3, cloud_faster=True),
                                  js.table5_instance(8, seed=1)],
                         ids=["small1", "small4", "small13", "t5-D5-cf", "t5-D8"])
def test_three_exact_methods_agree(inst):
    results = {m: _solve_direct(inst, m, time_limit=120) for m in EXACT}
    objs = []
    for m, r in results.items():
        assert r.status is Status.OPTIMAL, (m, r.message)
        ev = js.evaluate(inst, js.Solution(**r.solution))
        assert ev.feasible
        assert r.objective == pytest.approx(ev.objective, rel=1e-12)  # evaluate's value
        assert r.bound <= r.objective * (1 + 1e-12)
        objs.append(r.objective)
    assert max(objs) <= min(objs) * (1 + 1e-6)


def test_minlp_runs_guarded_and_the_compact_form_agrees(tiny):
    guarded = solve(tiny, "minlp", time_limit=60)  # through the child process
    compact = _solve_direct(tiny, "minlp", form="compact", time_limit=60)
    exact = solve(tiny, "decomposition")
    assert guarded.status is Status.OPTIMAL and compact.status is Status.OPTIMAL
    assert guarded.objective == pytest.approx(exact.objective, rel=1e-6)
    assert compact.objective == pytest.approx(exact.objective, rel=1e-6)


@pytest.mark.parametrize("method", ["minlp", "misocp"])
def test_scip_time_limit_gives_a_time_limit_status_with_a_bound(method):
    inst = js.table5_instance(60, seed=1)
    r = _solve_direct(inst, method, time_limit=1.0)
    assert r.status is Status.TIME_LIMIT, r.message
    if r.objective is not None:
        assert r.bound is not None and r.bound <= r.objective
        assert js.evaluate(inst, js.Solution(**r.solution)).feasible


def test_raw_scip_shares_are_kept_without_polish(tiny):
    raw = _solve_direct(tiny, "misocp", polish=False)
    polished = _solve_direct(tiny, "misocp")
    assert raw.objective >= polished.objective * (1 - 1e-9)
    assert raw.objective == pytest.approx(polished.objective, rel=1e-5)


def test_decomposition_stops_at_its_node_limit_with_a_bound():
    inst = js.table5_instance(300, seed=0)
    full = solve(inst, "decomposition")
    cut = solve(inst, "decomposition", max_nodes=1)
    assert full.status is Status.OPTIMAL
    if full.info["bb_nodes"] > 1:
        assert cut.status is Status.TIME_LIMIT
        assert cut.bound <= full.objective <= cut.objective
    else:  # pragma: no cover - depends on the instance
        assert cut.status is Status.OPTIMAL


# ----------------------------------------------------------------------------- heuristics
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 100_000))
def test_heuristics_are_never_better_than_the_optimum(seed):
    inst = js.generate(seed, "small")
    best = solve(inst, "decomposition").objective
    for method in HEURISTICS:
        r = solve(inst, method, seed=seed, **({"generations": 10} if method == "dmcjia" else {}))
        if r.status is Status.FEASIBLE:
            assert r.objective >= best * (1 - 1e-9), method
            assert js.evaluate(inst, js.Solution(**r.solution)).feasible
        else:
            assert r.status in (Status.INFEASIBLE, Status.ERROR) and r.message


def test_dmcjia_same_seed_same_answer_and_history_never_rises():
    inst = js.table5_instance(6, seed=2)
    r1 = solve(inst, "dmcjia", seed=7, generations=8)
    r2 = solve(inst, "dmcjia", seed=7, generations=8)
    assert r1.solution == r2.solution and r1.objective == r2.objective
    h = r1.info["history"]
    assert len(h) == 9 and all(b <= a for a, b in itertools.pairwise(h))
    assert r1.objective == pytest.approx(h[-1])


def test_dmcjia_finds_the_optimum_of_a_tiny_instance(tiny):
    assert solve(tiny, "dmcjia").objective == pytest.approx(
        solve(tiny, "decomposition").objective, rel=1e-9)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_augmented_lagrangian_is_close_to_the_exact_share_solve(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 30))
    a = rng.uniform(1e-4, 0.01, n)
    lam = rng.choice([0.5, 1.0, 2.0], n)
    lo = np.zeros(n)
    if (lam * a).sum() >= 0.9:
        return
    exact, _ = solve_shares(a, lam, lo)
    alm = alm_shares(a, lam, lo)
    assert alm.delta is not None and alm.delta.sum() <= 1.0 + 1e-15
    f_exact = js.cloud_delay(a, lam, exact).sum()
    f_alm = js.cloud_delay(a, lam, alm.delta).sum()
    assert f_alm >= f_exact * (1 - 1e-12)  # never better than the optimum
    assert f_alm == pytest.approx(f_exact, rel=1e-6)


def test_gene_coding_round_trips():
    Gammas = np.array([34, 5, 1, 7, 8, 40])
    g = np.array([[i % (G + 1) for G in Gammas] for i in range(41)])
    assert (decode(encode(g, Gammas), Gammas) == g).all()


def test_baselines_follow_their_rules(tiny):
    cloud = solve(tiny, "cloud-only")
    assert cloud.solution == {"gamma": [0, 0], "delta": [0.5, 0.5]}
    greedy = solve(tiny, "greedy")
    assert greedy.solution["gamma"] == [1, 1]  # least bytes among gamma < Gamma
    opts = js.options(tiny)
    # shares in proportion to cloud work: both nodes have 1e9 left
    assert greedy.solution["delta"] == pytest.approx([0.5, 0.5])
    neuro = solve(tiny, "neurosurgeon")
    T = opts.e + js.cloud_delay(opts.a, opts.lam, 0.5)
    assert neuro.solution["gamma"] == [int(np.argmin(T[0])), int(np.argmin(T[1]))]


def test_cloud_only_reports_its_unstable_queue():
    model = js.TaskModel(C=[0.0, 1e9, 2e9], M=[1e5, 1e5, 0.0])
    inst = js.Instance(F_d=[9e9] * 4, lambda_d=[2.0] * 4, B_d=[1e7] * 4, F_c=1.5e10,
                       models=[model])
    result = solve(inst, "cloud-only")
    assert result.status is Status.INFEASIBLE and "C3 cloud stability" in result.message
    assert solve(inst, "decomposition").status is Status.OPTIMAL


# ----------------------------------------------------------------------------- profiles
def test_resnet34_maps_to_002s_34_layers():
    from edgesplit.profiles import load_profile

    prof = load_profile("resnet34_224")
    layers = js.task_model_from_profile(prof)
    assert layers.Gamma == 34 and len(layers.C) == 35
    assert layers.C[-1] == pytest.approx(3.6638e9, rel=1e-4)  # 002: 3.657-3.68 G (MACs)
    assert layers.layers[0] == "conv1" and layers.layers[-1] == "fc"
    # a cut inside a residual block sends two tensors: block input and branch
    assert layers.M[1] == 802816 and layers.M[2] == 2 * 802816
    assert layers.M[0] == 602112 and layers.M[-1] == 0.0
    chain = js.task_model_from_profile(prof, cuts="chain")
    assert chain.Gamma == 39
    flops = js.task_model_from_profile(prof, work_unit="FLOP")
    assert flops.C[-1] == pytest.approx(prof.total_flops)


def test_layer_count_of_alexnet_and_vgg16_matches_002_table_1():
    from edgesplit.profiles import load_profile

    assert js.task_model_from_profile(load_profile("alexnet_224")).Gamma == 8
    assert js.task_model_from_profile(load_profile("vgg16_224")).Gamma == 16


def test_table5_instance_uses_the_catalogue():
    inst = js.table5_instance(12, seed=4)
    assert inst.D == 12 and inst.F_c == 4e11 and inst.work_unit == "MAC"
    assert set(inst.F_d) <= {5e9, 6e9, 7e9, 8e9, 9e9}
    assert set(inst.lambda_d) <= {0.5, 1.0, 2.0}
    assert set(inst.B_d) <= {1e6, 2e6, 3e6, 4e6, 5e6}
    fixed = js.table5_instance(10, lam=1.0, bandwidth=1e6, edge_flops=5e9)
    assert set(fixed.F_d) == {5e9} and set(fixed.B_d) == {1e6}


# ----------------------------------------------------------------------------- golden, CLI
@pytest.mark.parametrize(("form", "name"), [("perspective", "joint_split_share_tiny.lp"),
                                            ("compact", "joint_split_share_tiny_compact.lp")])
def test_golden_lp(tiny, tmp_path, form, name):
    from edgesplit.export import export_model

    path = export_model(tiny, tmp_path / name, form=form)
    assert path.read_text() == (GOLDEN / name).read_text()


@pytest.mark.parametrize("suffix", [".nl", ".gms"])
def test_exports_nl_and_gms(tiny, tmp_path, suffix):
    from edgesplit.export import export_model

    path = export_model(tiny, tmp_path / f"m{suffix}")
    text = path.read_text()
    assert len(text) > 500
    if suffix == ".gms":
        assert "eq3_5_queue" in text and "C1_share_budget" in text


def test_cli_solve_json_and_bad_option(cli, tmp_path):
    path = tmp_path / "i.json"
    path.write_text(js.generate(5).to_json())
    code, out, _ = cli("solve", path, "-m", "decomposition", "--json")
    data = json.loads(out)
    assert code == 0 and data["status"] == "optimal" and data["bound"] <= data["objective"]
    code, _, err = cli("solve", path, "-m", "dmcjia", "-O", "generations=-1")
    assert code == 2 and "generations" in err
    code, _, err = cli("export", path, "-o", tmp_path / "m.mps")
    assert code == 2 and ".mps" in err


# ----------------------------------------------------------------------------- paper scale
@pytest.mark.slow
@pytest.mark.parametrize("D", [20, 1000])
def test_decomposition_proves_table5_instances(D):
    for seed in range(3):
        r = solve(js.table5_instance(D, seed=seed), "decomposition")
        assert r.status is Status.OPTIMAL and r.gap <= 1e-9


@pytest.mark.slow
def test_minlp_and_misocp_at_d20_agree_with_decomposition():
    inst = js.table5_instance(20, seed=2)
    z = solve(inst, "decomposition").objective
    for method in ("minlp", "misocp"):
        r = solve(inst, method, time_limit=300)
        assert r.status is Status.OPTIMAL
        assert r.objective == pytest.approx(z, rel=1e-6)
