"""split_pareto (000, CECMS): the model, selection rules, exact methods, baselines, compare."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import edgesplit
from edgesplit.errors import InputError
from edgesplit.formulations import split_pareto as sp
from edgesplit.profiles import get_device, get_link, load_profile
from edgesplit.results import Result, Status
from edgesplit.solvers import solve

GIB = 2.0**30
GOLDEN = Path(__file__).parent / "golden"
SEEDS = st.integers(min_value=0, max_value=10**6)


@pytest.fixture
def toy() -> sp.Instance:
    """Three layers, worked by hand: T = [0.30, 0.27, 0.378, 0.6], r = [1, 2, 3, 4] / 5.5,
    split 3 violates C3 (6 GiB > 5.5 GiB)."""
    return sp.Instance.model_validate_json((GOLDEN / "split_pareto_toy.json").read_text())


def _paper_instance(model: str, mode: str = "training", edge: str = "paper000-edge",
                    **kw) -> sp.Instance:
    return sp.from_profile(load_profile(f"{model}_32"), get_device(edge),
                           get_device("paper000-cloud"), get_link("paper000-wan"),
                           num=5000, mode=mode, **kw)


BUNDLED = [("alexnet", "training", "paper000-edge"), ("alexnet", "inference", "paper000-edge"),
           ("vgg16", "training", "paper000-edge"), ("vgg16", "inference", "paper000-edge"),
           ("vgg16", "training", "paper000-edge-calibrated")]


# ----------------------------------------------------------------------------- the model
@given(seed=SEEDS)
@settings(max_examples=30, deadline=None)
def test_completion_times_follow_eq_8_to_10_term_by_term(seed):
    inst = sp.generate(seed, "paper" if seed % 3 == 0 else "small")
    n, num = inst.N, inst.num
    t_e = [num * f / inst.F_e for f in inst.f]  # eq. 4
    t_c = [num * f / inst.F_c for f in inst.f]
    t_total = [8 * num * o / inst.V_up + 8 * num * o / inst.V_trans + 8 * num * o / inst.V_down
               for o in inst.o]  # eq. 5-7
    expected = [t_total[0] + sum(t_c)]  # eq. 9
    expected += [t_total[k] + sum(t_e[:k]) + sum(t_c[k:]) for k in range(1, n)]  # eq. 8
    expected += [sum(t_e)]  # eq. 10
    np.testing.assert_allclose(sp.completion_times(inst), expected, rtol=1e-12)
    np.testing.assert_allclose(sp.transfer_times(inst), [*t_total, 0.0], rtol=1e-12)


def test_each_of_the_three_rates_of_eq_6_counts(toy):
    slow_up = toy.model_copy(update={"V_up": 1e7})
    # t_up,i = 8 o_i / V_up grows from 0.08 s to 0.8 s for o_0 = 1 MB
    assert sp.completion_times(slow_up)[0] == pytest.approx(0.30 + 0.72)
    assert sp.completion_times(slow_up)[3] == pytest.approx(0.6)  # nothing sent at k = N


def test_c4_is_checked_and_named():
    inst = sp.Instance(f=[1.0, 1.0], o=[1.0, 1.0], F_e=1, F_c=10, V_trans=1e12, V_up=1e12,
                       V_down=1e12, m=[1.0, 3.0, 4.0], M_wait=2.0, M_total=5.0)
    # m_0 < M_wait: R_memory = -0.2 < 0 violates C4 (000 eq. 13)
    assert sp.feasible_splits(inst).tolist() == [False, True, True]
    ev = sp.evaluate(inst, sp.Solution(split=0))
    assert not ev.feasible
    assert ev.violations == ["C4 0 <= R_memory <= 1 (000 eq. 13): split 0: R_memory = -0.2"]
    # T = [0.2, 1.1, 2] s, unused = [1.2, 0.8, 0.6]: split 0 would be on the front without C4
    assert solve(inst, "enumerate").solution["front"] == [1, 2]
    assert solve(inst, "epsilon-milp").solution["front"] == [1, 2]


def test_evaluate_checks_every_split_of_the_front(toy):
    ev = edgesplit.evaluate(toy, {"split": 1, "front": [1, 3]})
    assert not ev.feasible and "split 3" in ev.violations[0]
    with pytest.raises(InputError, match=r"solution.front.1: split index 9 out of range 0..3"):
        edgesplit.evaluate(toy, {"split": 1, "front": [1, 9]})


@given(pts=st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4)), min_size=1, max_size=12),
       data=st.data())
@settings(max_examples=80, deadline=None)
def test_pareto_front_equals_the_definition(pts, data):
    points = np.array(pts, dtype=float)
    mask = np.array(data.draw(st.lists(st.booleans(), min_size=len(pts), max_size=len(pts))))
    brute = [i for i in range(len(pts)) if mask[i] and not any(
        mask[j] and all(points[j] <= points[i]) and any(points[j] < points[i])
        for j in range(len(pts)))]
    assert sp.pareto_front(points, mask) == brute


def test_from_profile_memory_model_by_hand():
    prof = load_profile("alexnet_32")
    edge = get_device("paper000-edge")
    chain = prof.chain()
    conv1 = prof.node(chain.segment_nodes[0][0])
    x = prof.nodes[0]
    train = _paper_instance("alexnet")
    # training, split 1: weights and gradients of conv1, plus input and conv1 output for 5,000
    assert train.m[1] == pytest.approx(edge.idle_memory_bytes + 2 * conv1.param_bytes
                                       + 5000 * (x.output_bytes + conv1.output_bytes))
    assert train.m[0] == pytest.approx(edge.idle_memory_bytes + 5000 * x.output_bytes)
    infer = _paper_instance("alexnet", "inference")
    # inference, split 1: conv1's weights plus the live input and output while conv1 runs
    assert infer.m[1] == pytest.approx(edge.idle_memory_bytes + conv1.param_bytes
                                       + 5000 * (x.output_bytes + conv1.output_bytes))
    assert infer.memory_source == train.memory_source == "model"
    assert train.meta["mode"] == "training" and train.num == 5000


def test_from_profile_uses_measured_memory_when_the_profile_has_it():
    prof = load_profile("alexnet_32")
    nodes = [n.model_copy(update={"memory_bytes": 1000 * (i + 1)})
             for i, n in enumerate(prof.nodes)]
    measured = prof.model_copy(update={"nodes": nodes})
    edge, cloud, link = (get_device("paper000-edge"), get_device("paper000-cloud"),
                         get_link("paper000-wan"))
    inst = sp.from_profile(measured, edge, cloud, link, num=10)
    assert inst.memory_source == "measured"
    pos = [c.position for c in measured.chain().cuts]
    assert inst.m == pytest.approx([edge.idle_memory_bytes + 10 * 1000 * (p + 1) for p in pos])
    forced = sp.from_profile(measured, edge, cloud, link, num=10, memory="model")
    assert forced.memory_source == "model"
    with pytest.raises(InputError, match="memory: the profile has no measured memory"):
        sp.from_profile(prof, edge, cloud, link, memory="measured")


def test_generate_makes_ties_like_real_reshape_layers():
    tied = 0
    for seed in range(60):
        table = sp.objective_table(sp.generate(seed))
        tied += len(np.unique(table, axis=0)) < len(table)
    assert tied >= 10


# ----------------------------------------------------------------------------- selection
def test_select_rules_by_hand():
    # F_e = 1 and f = [1, 2, 7]: edge time [0, 1, 3, 10]; the three rates of 24 bit/s make
    # t_total,k = o_k = 1 s for k < N; a cloud 1e30 FLOP/s adds nothing: T = [1, 2, 4, 10]
    inst = sp.Instance(f=[1.0, 2.0, 7.0], o=[1.0, 1.0, 1.0], F_e=1.0, F_c=1e30, V_trans=24.0,
                       V_up=24.0, V_down=24.0, m=[0.0, 70.0, 80.0, 100.0], M_wait=0.0,
                       M_total=100.0)
    table = sp.objective_table(inst)
    np.testing.assert_allclose(table[:, 0], [1, 2, 4, 10], rtol=1e-12)
    np.testing.assert_allclose(table[:, 1], [1, 0.3, 0.2, 0], atol=1e-12)
    front = [0, 1, 2, 3]
    # normalised: T = [0, 1/9, 3/9, 1], unused = [1, .3, .2, 0]; the chord from (0, 1) to
    # (1, 0) is x + y = 1; distance below it (1 - x - y) / sqrt 2: [0, .589, .467, 0] / sqrt 2
    assert sp.select(inst, front, "knee") == 1
    assert sp.select(inst, front, "min_time") == 0
    assert sp.select(inst, front, "max_memory") == 3
    assert sp.select(inst, front, "weighted", weight=1.0) == 0
    assert sp.select(inst, front, "weighted", weight=0.0) == 3
    assert sp.select(inst, front, "weighted", weight=0.5) == 1  # [.5, .206, .267, .5]
    assert sp.select(inst, front, "weighted", weight=0.3) == 2  # [.7, .243, .240, .3]
    assert sp.select(inst, front, "lexicographic", tol=0.0) == 0
    assert sp.select(inst, front, "lexicographic", tol=1.0) == 1  # T <= 2: splits 0, 1
    assert sp.select(inst, front, "lexicographic", tol=9.0) == 3
    assert sp.select(inst, [3, 1], "knee") == 1  # two points: the faster
    assert sp.select(inst, [3, 2, 1, 0], "knee") == 1  # the order of the front is irrelevant


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"rule": "nope"}, "rule"), ({"rule": "weighted", "weight": 1.5}, "weight"),
    ({"rule": "lexicographic", "tol": -1.0}, "tol")])
def test_bad_selection_options_are_input_errors(toy, kwargs, field):
    with pytest.raises(InputError, match=f"^{field}: "):
        solve(toy, "enumerate", **kwargs)


def test_bad_rule_on_the_cli_is_exit_code_2(cli, tmp_path):
    path = tmp_path / "toy.json"
    path.write_text((GOLDEN / "split_pareto_toy.json").read_text())
    code, out, err = cli("solve", path, "-m", "epsilon-milp", "-O", 'rule="nope"')
    assert code == 2 and out == ""
    assert err.strip().startswith("error: rule: unknown selection rule 'nope'")


def test_selection_rules_give_000s_picks_on_the_bundled_profiles():
    """000 picks AlexNet 6 and VGG 10 (or 14); the knee and weighted rules give them."""
    alex = _paper_instance("alexnet")
    front = solve(alex, "enumerate").solution["front"]
    assert sp.select(alex, front, "knee") == sp.select(alex, front, "weighted") == 6
    vgg = _paper_instance("vgg16", edge="paper000-edge-calibrated")
    front = solve(vgg, "enumerate").solution["front"]
    assert max(np.flatnonzero(sp.feasible_splits(vgg))) == 15  # 000: no split after 15
    assert sp.select(vgg, front, "knee") == sp.select(vgg, front, "weighted") == 10
    assert sp.select(vgg, front, "min_time") == 0  # cloud-only is fastest at 1 Gbit/s


# ----------------------------------------------------------------------------- exact methods
def _same_result(a: Result, b: Result) -> None:
    assert a.status == b.status
    assert a.solution == b.solution
    if a.solution is not None:
        assert a.objectives == pytest.approx(b.objectives, rel=1e-12)


@given(seed=SEEDS)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_epsilon_milp_gives_the_same_front_as_enumerate(seed):
    inst = sp.generate(seed, "small")
    exact, milp = solve(inst, "enumerate"), solve(inst, "epsilon-milp")
    _same_result(exact, milp)
    if milp.solution is not None:
        assert milp.status is Status.OPTIMAL
        assert milp.info["evaluation"].feasible
        assert "objective_mismatch" not in milp.info


def test_epsilon_milp_finds_every_split_of_a_tie():
    # seeds whose front holds several splits with one objective vector
    checked = 0
    for seed in range(200):
        inst = sp.generate(seed)
        table = sp.objective_table(inst)
        front = sp.pareto_front(table, sp.feasible_splits(inst))
        if len({tuple(table[k]) for k in front}) == len(front):
            continue
        _same_result(solve(inst, "enumerate"), solve(inst, "epsilon-milp"))
        checked += 1
        if checked == 3:
            break
    assert checked == 3


@pytest.mark.parametrize(("model", "mode", "edge"), BUNDLED)
def test_epsilon_milp_equals_enumerate_on_bundled_profiles(model, mode, edge):
    inst = _paper_instance(model, mode, edge)
    _same_result(solve(inst, "enumerate"), solve(inst, "epsilon-milp"))


def test_epsilon_milp_with_scip_too(toy):
    _same_result(solve(toy, "enumerate"), solve(toy, "epsilon-milp", backend="scip"))


def test_epsilon_milp_time_limit_is_a_status(toy):
    res = solve(toy, "epsilon-milp", time_limit=1e-9)
    assert res.status is Status.TIME_LIMIT and res.solution is None
    assert "time limit" in res.message


def test_epsilon_milp_stopped_midway_returns_proven_front_points(monkeypatch):
    from edgesplit.solvers import split_pareto as methods

    inst = _paper_instance("vgg16")  # a front of 10 points
    original, calls = methods._EpsilonRun.solve, []

    def limited(self, stage, **build):
        calls.append(stage)
        if len(calls) > 7:  # the deadline passes after seven MILP solves
            return Status.TIME_LIMIT, None, "time limit reached between MILP solves"
        return original(self, stage, **build)

    monkeypatch.setattr(methods._EpsilonRun, "solve", limited)
    res = solve(inst, "epsilon-milp")
    exact = solve(inst, "enumerate").solution["front"]
    assert res.status is Status.TIME_LIMIT and "more may be missing" in res.message
    assert 1 <= len(res.solution["front"]) < len(exact)
    assert set(res.solution["front"]) <= set(exact)
    assert res.solution["front"] == exact[:len(res.solution["front"])]  # fastest first


def test_no_feasible_split_is_infeasible_for_both_exact_methods(toy):
    tight = toy.model_copy(update={"M_total": 2.5 * GIB})
    for method in ("enumerate", "epsilon-milp"):
        res = solve(tight, method)
        assert res.status is Status.INFEASIBLE and res.solution is None


def test_golden_lp_and_mps(toy, tmp_path):
    for suffix in (".lp", ".mps"):
        path = tmp_path / f"model{suffix}"
        edgesplit.export_model(toy, path, epsilon=0.5)
        assert path.read_text() == (GOLDEN / f"split_pareto_toy_eps0.5{suffix}").read_text()
    text = (GOLDEN / "split_pareto_toy_eps0.5.lp").read_text()
    for name in ("eq13_min_T", "eq13_C1_C2_one_split", "eq13_C3_edge_memory",
                 "eq13_C4_utilisation", "epsilon_memory_unused"):
        assert name in text


def test_exported_model_solved_elsewhere_gives_our_optimum(toy, tmp_path):
    highspy = pytest.importorskip("highspy")
    path = tmp_path / "m.mps"
    edgesplit.export_model(toy, path, epsilon=0.5)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.readModel(str(path))
    h.run()
    # 1 - r <= 0.5 leaves splits 2 and 3; C3 removes 3: T_2 = 0.378
    assert h.getInfo().objective_function_value == pytest.approx(0.378)
    assert np.argmax(h.getSolution().col_value) == 2


def test_export_cli_takes_epsilon(cli, tmp_path):
    inst = tmp_path / "toy.json"
    inst.write_text((GOLDEN / "split_pareto_toy.json").read_text())
    code, _, err = cli("export", inst, "-o", tmp_path / "m.lp", "-O", "epsilon=0.5")
    assert code == 0, err
    assert (tmp_path / "m.lp").read_text() == (GOLDEN / "split_pareto_toy_eps0.5.lp").read_text()


def test_build_pyomo_lexicographic_and_exclude_options(toy):
    from edgesplit.solvers._pyomo import solve_pyomo

    model = sp.build_pyomo(toy, objective="memory_unused", time_bound=0.38, exclude=[2])
    out = solve_pyomo(model, "highs")
    # T <= 0.38 leaves 0, 1, 2; 2 excluded; least unused memory: split 1
    assert out.status is Status.OPTIMAL and sp.solution_from_pyomo(model) == 1
    assert out.objective == pytest.approx(1 - 2 / 5.5)
    with pytest.raises(InputError, match="exclude"):
        sp.build_pyomo(toy, exclude=[7])


# ----------------------------------------------------------------------------- baselines
@given(seed=SEEDS)
@settings(max_examples=40, deadline=None)
def test_dads_min_cut_equals_adc_least_time_on_a_chain(seed):
    inst = sp.generate(seed, "paper" if seed % 2 else "small")
    times = sp.completion_times(inst)
    adc, dads = solve(inst, "adc"), solve(inst, "dads")
    assert adc.solution["split"] == int(np.argmin(times))
    assert dads.objectives["T"] == pytest.approx(times.min(), rel=1e-9)
    assert dads.info["cut_value"] == pytest.approx(times.min(), rel=1e-9)
    for res in (adc, dads):
        assert res.solution.get("front") is None
        assert "objective_mismatch" not in res.info


def test_baselines_report_c3_violations(toy):
    # toy: T = [0.30, 0.27, 0.378, 0.6]; split 3 (edge-only) violates C3
    assert solve(toy, "cloud-only").solution == {"split": 0}
    adc = solve(toy, "adc")
    assert adc.status is Status.FEASIBLE and adc.solution == {"split": 1}
    assert adc.objectives == pytest.approx({"T": 0.27, "memory_unused": 1 - 2 / 5.5})
    edge = solve(toy, "edge-only")
    assert edge.status is Status.INFEASIBLE and edge.solution == {"split": 3}
    assert "violates C3" in edge.message
    assert edge.objectives["T"] == pytest.approx(0.6)
    fast_edge = toy.model_copy(update={"F_e": 1e13})  # edge-only now fastest, still too big
    dads = solve(fast_edge, "dads")
    assert dads.solution == {"split": 3} and dads.status is Status.INFEASIBLE


def test_every_method_is_listed(cli):
    code, out, _ = cli("methods", "split_pareto")
    assert code == 0
    for name in ("enumerate", "epsilon-milp", "mtmgmo", "adc", "dads", "cloud-only",
                 "edge-only"):
        assert name in out


# ----------------------------------------------------------------------------- compare
def test_compare_fronts_by_hand(toy):
    exact = solve(toy, "enumerate")  # front [1, 2]
    one = Result("split_pareto", "h", Status.FEASIBLE, solution={"split": 1, "front": [1]})
    cmp = sp.compare(toy, exact, one)
    assert cmp["front_exact"] == [1, 2] and cmp["missed"] == [2]
    assert cmp["not_on_exact_front"] == []
    # normalised over the feasible splits 0, 1, 2: T in [0.27, 0.378], unused in
    # [1 - 3/5.5, 1 - 1/5.5]; split 1 -> (0, 0.5), split 2 -> (1, 0); reference (1.1, 1.1)
    assert cmp["hv_exact"] == pytest.approx(1.1 * 0.6 + 0.1 * 0.5)
    assert cmp["hv_heuristic"] == pytest.approx(1.1 * 0.6)
    assert cmp["hv_ratio"] == pytest.approx(0.66 / 0.71)
    assert cmp["gap"] == pytest.approx(1 - 0.66 / 0.71)
    extra = Result("split_pareto", "h", Status.FEASIBLE, solution={"split": 1,
                                                                   "front": [0, 1, 2]})
    cmp = sp.compare(toy, exact, extra)
    assert cmp["missed"] == [] and cmp["not_on_exact_front"] == [0]
    assert cmp["hv_ratio"] == pytest.approx(1.0)


def test_gap_cli_compares_fronts(cli, tmp_path):
    inst = tmp_path / "toy.json"
    inst.write_text((GOLDEN / "split_pareto_toy.json").read_text())
    code, out, err = cli("gap", inst, "--heuristic", "cloud-only")
    assert code == 0, err
    data = json.loads(out)
    assert data["exact"] == "enumerate" and data["front_exact"] == [1, 2]
    assert data["front_heuristic"] == [0] and data["missed"] == [1, 2]
    assert data["not_on_exact_front"] == [0]
    assert 0 < data["hv_ratio"] < 1 and data["gap"] == pytest.approx(1 - data["hv_ratio"])
    code, out, _ = cli("gap", inst, "--heuristic", "epsilon-milp")
    assert code == 0 and json.loads(out)["hv_ratio"] == pytest.approx(1.0)
