"""dag_partition (DADS): evaluate by hand, min-cut and MILP against brute force, heuristics
never better than the optimum, the chain view, profiles, golden LP files, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edgesplit.errors import InputError
from edgesplit.export import export_model
from edgesplit.formulations import dag_partition as dp
from edgesplit.io import load_instance
from edgesplit.profiles import Link, get_device, get_link, load_profile
from edgesplit.solvers import dag_partition as sdp
from edgesplit.solvers import solve

GOLDEN = Path(__file__).parent / "golden"
REL = 1e-9


def brute_force(inst: dp.Instance) -> tuple[float, np.ndarray]:
    """Optimum over every valid partition (input on the edge, precedence), by enumeration."""
    n = inst.n
    codes = np.arange(2 ** (n - 1))
    bits = (codes[:, None] >> np.arange(n - 1)[None, :]) & 1
    masks = np.column_stack([np.zeros(len(codes), dtype=bool), bits.astype(bool)])
    masks = masks[dp.precedence_ok(inst, masks)]
    values = dp.objective_of(inst, dp.stage_times(inst, masks))
    return float(values.min()), values


def diamond(load: str = "light", **update: object) -> dp.Instance:
    """input -> a -> {b, c} -> d: a is read by two nodes (a branch and a join)."""
    data = dict(
        name="diamond", nodes=["x", "a", "b", "c", "d"], preds=[[], [0], [1], [1], [2, 3]],
        t_e=[0.0, 1.0, 4.0, 4.0, 1.0], t_c=[0.0, 0.1, 0.4, 0.4, 0.1],
        d=[8e3, 1e3, 2e3, 2e3, 10.0], B=8e3, link_latency=0.0, load=load)
    data.update(update)
    return dp.Instance(**data)


# ----------------------------------------------------------------------------- evaluate
def test_evaluate_by_hand_sends_a_shared_tensor_once():
    inst = diamond()
    ev = dp.evaluate(inst, dp.Solution(cloud=["b", "c", "d"]))
    # edge: a (1.0); transfer: tensor a once (8 * 1e3 / 8e3 = 1.0); cloud: b, c, d (0.9)
    assert ev.feasible
    assert ev.objectives["T_edge"] == pytest.approx(1.0)
    assert ev.objectives["T_transfer"] == pytest.approx(1.0)
    assert ev.objectives["T_cloud"] == pytest.approx(0.9)
    assert ev.objective == pytest.approx(2.9)
    assert ev.objectives["bottleneck"] == pytest.approx(1.0)
    assert ev.details["sent"] == ["a"]
    heavy = dp.evaluate(diamond("heavy"), dp.Solution(cloud=["b", "c", "d"]))
    assert heavy.objective == pytest.approx(1.0)


def test_evaluate_two_tensors_and_link_latency():
    inst = diamond(link_latency=0.5)
    ev = dp.evaluate(inst, dp.Solution(cloud=["c", "d"]))
    # edge a, b (5.0); sent: a (to c) 1.0 + 0.5 and b (to d) 2.0 + 0.5; cloud c, d (0.5)
    assert ev.objectives["T_transfer"] == pytest.approx(4.0)
    assert ev.objective == pytest.approx(5.0 + 4.0 + 0.5)
    assert sorted(ev.details["sent"]) == ["a", "b"]


def test_evaluate_flags_precedence_and_input():
    inst = diamond()
    ev = dp.evaluate(inst, dp.Solution(cloud=["b"]))  # d on the edge reads b from the cloud
    assert not ev.feasible
    assert any("precedence" in v and "b -> d" in v for v in ev.violations)
    ev = dp.evaluate(inst, dp.Solution(cloud=["x", "a", "b", "c", "d"]))
    assert not ev.feasible
    assert any("input on the edge" in v for v in ev.violations)


def test_evaluate_checks_the_chain_cut_index():
    inst = diamond()
    assert dp.chain_cuts(inst) == [0, 1, 4]  # after b or c, two tensors cross
    ok = dp.evaluate(inst, dp.Solution(cloud=["a", "b", "c", "d"], chain_cut=0))
    assert ok.feasible
    bad = dp.evaluate(inst, dp.Solution(cloud=["b", "c", "d"], chain_cut=0))
    assert not bad.feasible and "chain_cut" in bad.violations[0]


def test_evaluate_rejects_unknown_and_repeated_nodes():
    inst = diamond()
    with pytest.raises(InputError, match=r"solution\.cloud\.0"):
        dp.evaluate(inst, dp.Solution(cloud=["zz"]))
    with pytest.raises(InputError, match="listed twice"):
        dp.evaluate(inst, dp.Solution(cloud=["d", "d"]))


@pytest.mark.parametrize("change, field", [
    ({"preds": [[], [0], [3], [1], [2, 3]]}, "preds.2"),
    ({"preds": [[], [0], [1], [1], [2, 2]]}, "preds.4"),
    ({"t_e": [0.0, 1.0]}, "t_e"),
    ({"nodes": ["x", "a", "a", "c", "d"]}, "nodes"),
    ({"preds": [[1], [0], [1], [1], [2, 3]]}, "preds.0"),
    ({"B": 0.0}, "B"),
])
def test_bad_instances_name_the_field(change, field):
    data = json.loads(diamond().to_json())
    data.update(change)
    with pytest.raises(InputError) as err:
        load_instance(data)
    assert field in str(err.value)


# ----------------------------------------------------------------------------- exact methods
def test_mincut_on_the_diamond_by_hand():
    # all on the edge 10.0; all in the cloud 8 + 1.0; cut after a: 1 + 1 + 0.9 = 2.9 (optimal)
    res = solve(diamond(), "mincut")
    assert res.status == "optimal"
    assert res.objective == pytest.approx(2.9)
    assert sorted(res.solution["cloud"]) == ["b", "c", "d"]
    assert res.solution["chain_cut"] == 1


def test_mincut_pays_a_multi_consumer_tensor_once():
    # a star: x -> a -> {c1..c5} -> join; without DADS's auxiliary vertex the cut would count
    # tensor a five times and keep everything on the edge
    k = 5
    nodes = ["x", "a", *[f"c{i}" for i in range(k)], "join"]
    preds = [[], [0], *[[1] for _ in range(k)], list(range(2, 2 + k))]
    inst = dp.Instance(nodes=nodes, preds=preds, t_e=[0, 0.1, *[1.0] * k, 0.1],
                       t_c=[0, 0.01, *[0.1] * k, 0.01], d=[1e6, 1e3, *[1e3] * k, 4.0],
                       B=8e3)
    res = solve(inst, "mincut")
    best, _ = brute_force(inst)
    assert res.objective == pytest.approx(best, rel=REL)
    assert res.solution["cloud"] == nodes[2:]
    assert res.info["evaluation"].objectives["T_transfer"] == pytest.approx(1.0)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10**6))
def test_mincut_equals_brute_force_light(seed):
    inst = dp.generate(seed, "small").model_copy(update={"load": "light"})
    best, _ = brute_force(inst)
    res = solve(inst, "mincut")
    assert res.status == "optimal"
    assert res.info["evaluation"].feasible
    assert res.objective == pytest.approx(best, rel=REL)
    assert "differs" not in (res.message or "")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10**6), load=st.sampled_from(["light", "heavy"]))
def test_milp_equals_brute_force(seed, load):
    inst = dp.generate(seed, "small").model_copy(update={"load": load})
    best, _ = brute_force(inst)
    res = solve(inst, "milp")
    assert res.status == "optimal"
    assert res.info["evaluation"].feasible
    assert res.objective == pytest.approx(best, rel=1e-6, abs=1e-12)
    assert "differs" not in (res.message or "")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10**6))
def test_heuristics_never_beat_the_optimum(seed):
    inst = dp.generate(seed, "small")
    best, _ = brute_force(inst)
    for method in ("neurosurgeon", "dads-heavy", "mincut"):
        res = solve(inst, method)
        assert res.info["evaluation"].feasible, method
        assert res.objective >= best * (1 - REL), method
    if inst.load == "heavy":
        res = solve(inst, "dads-heavy")
        assert res.info["lower_bound"] <= best * (1 + REL)
        dsl = solve(inst, "mincut")
        assert res.objective <= dsl.objective * (1 + REL)  # DSH starts from DSL
        assert res.objective <= 3 * best * (1 + REL)  # DADS's approximation ratio


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10**6), load=st.sampled_from(["light", "heavy"]))
def test_neurosurgeon_is_the_best_chain_cut(seed, load):
    inst = dp.generate(seed, "small").model_copy(update={"load": load})
    cuts = dp.chain_cuts(inst)
    values = [float(dp.objective_of(inst, dp.stage_times(inst, dp.prefix_mask(inst, p)))[0])
              for p in cuts]
    res = solve(inst, "neurosurgeon")
    assert res.objective == pytest.approx(min(values), rel=REL)
    k = res.solution["chain_cut"]
    assert k is not None and values[k] == pytest.approx(min(values), rel=REL)


def test_the_chain_view_loses_on_an_inception_block():
    # x (1 MB) -> two 1x1 reduces (cheap, 10 kB each) -> two heavy convs -> concat -> fc.
    # Chain cuts: before the block (send x) or after it (heavy convs on the edge); the DAG
    # cut runs the reduces on the edge and sends 20 kB.
    nodes = ["x", "r1", "r2", "h1", "h2", "cat", "fc"]
    preds = [[], [0], [0], [1], [2], [3, 4], [5]]
    t_e = [0, 1e-3, 1e-3, 50e-3, 50e-3, 0, 1e-3]
    inst = dp.Instance(nodes=nodes, preds=preds, t_e=t_e, t_c=[t / 10 for t in t_e],
                       d=[1e6, 1e4, 1e4, 2e5, 2e5, 4e5, 40.0], B=1e8)
    assert dp.chain_cuts(inst) == [0, 5, 6]
    opt = solve(inst, "mincut")
    chain = solve(inst, "neurosurgeon")
    assert sorted(opt.solution["cloud"]) == ["cat", "fc", "h1", "h2"]
    # DAG: 2 ms edge + 1.6 ms transfer + 10.1 ms cloud; chain: all in the cloud, 80 ms + 10.3
    assert opt.objective == pytest.approx(2e-3 + 1.6e-3 + 10.1e-3)
    assert chain.objective == pytest.approx(80e-3 + 10.3e-3)
    assert opt.solution["chain_cut"] is None


def test_mincut_equals_milp_on_resnet34():
    prof = load_profile("resnet34_224")
    edge, cloud = get_device("paper002-edge-5g"), get_device("paper002-cloud")
    interior = 0
    for bw in (1e6, 3.2e6, 1e8, 1e9):
        inst = dp.from_profile(prof, edge, cloud, Link(name="l", bandwidth_bit_s=bw))
        cut, milp = solve(inst, "mincut"), solve(inst, "milp")
        assert milp.status == "optimal"
        assert cut.objective == pytest.approx(milp.objective, rel=1e-6)
        interior += 0 < len(cut.solution["cloud"]) < inst.n - 1
    assert interior >= 1  # the sweep is not all trivial


def test_heavy_load_on_resnet34_milp_bounds_the_heuristics():
    prof = load_profile("resnet34_32")
    inst = dp.from_profile(prof, get_device("paper000-edge"), get_device("paper000-cloud"),
                           Link(name="l", bandwidth_bit_s=1e9), load="heavy")
    milp = solve(inst, "milp")
    assert milp.status == "optimal"
    for method in ("dads-heavy", "neurosurgeon", "mincut"):
        res = solve(inst, method)
        assert res.info["evaluation"].feasible
        assert res.objective >= milp.objective * (1 - 1e-6), method
    assert solve(inst, "dads-heavy").info["lower_bound"] <= milp.objective * (1 + 1e-9)


def test_dads_heavy_on_light_load_returns_dsl():
    inst = diamond("light")
    res = solve(inst, "dads-heavy")
    assert res.solution == solve(inst, "mincut").solution
    assert "light" in res.message


def test_dads_heavy_is_deterministic_and_search_options():
    inst = dp.random_instance(7, 60, load="heavy")
    a = solve(inst, "dads-heavy")
    b = solve(inst, "dads-heavy")
    assert a.solution == b.solution and a.objective == b.objective
    bw = solve(inst, "dads-heavy", search="bandwidth")
    assert a.objective <= bw.objective * (1 + REL)  # "both" starts with the bandwidth search
    with pytest.raises(InputError):
        solve(inst, "dads-heavy", search="nope")
    rushed = solve(inst, "dads-heavy", time_limit=1e-9)  # stops after DSL
    assert len(rushed.info["trace"]) == 1
    assert rushed.objective == pytest.approx(solve(inst, "mincut").objective)


def test_generate_is_deterministic_and_valid():
    for size in ("small", "paper"):
        a, b = dp.generate(3, size), dp.generate(3, size)
        assert a == b
        assert dp.generate(4, size) != a
    assert 100 <= dp.generate(0, "paper").n <= 301
    big = dp.random_instance(1, 1000, load="light")
    assert big.n == 1000 and any(len(p) > 1 for p in big.preds)


# ----------------------------------------------------------------------------- profiles
@pytest.mark.parametrize("name", ["resnet34_224", "vgg16_32", "alexnet_32"])
def test_chain_cuts_match_the_profile_chain_view(name):
    prof = load_profile(name)
    inst = dp.from_profile(prof, get_device("paper000-edge"), get_device("paper000-cloud"),
                           get_link("paper000-wan"))
    assert dp.chain_cuts(inst) == [c.position for c in prof.chain().cuts]


def test_from_profile_times_and_bytes():
    prof = load_profile("resnet34_32")
    edge, cloud = get_device("paper002-edge-5g"), get_device("paper002-cloud")
    link = Link(name="l", bandwidth_bit_s=2e6, uplink_bit_s=1e6, latency_s=0.01)
    inst = dp.from_profile(prof, edge, cloud, link, load="heavy", name="r")
    assert inst.name == "r" and inst.load == "heavy"
    assert inst.B == 1e6 and inst.link_latency == 0.01  # uplink: edge to cloud
    assert sum(inst.t_e) == pytest.approx(prof.total_flops / edge.flops)
    assert sum(inst.t_c) == pytest.approx(prof.total_flops / cloud.flops)
    assert inst.d[5] == prof.nodes[5].output_bytes
    meas = dp.from_profile(prof, edge, cloud, link, use_measured_latency=True)
    assert sum(meas.t_e) == pytest.approx(prof.total_flops / edge.flops)
    lat = np.array([n.latency_s for n in prof.nodes[1:]])
    np.testing.assert_allclose(np.array(meas.t_e[1:]) / sum(meas.t_e), lat / lat.sum())


def test_from_profile_constants_cost_no_transfer():
    prof = load_profile("alexnet_32")
    data = json.loads(prof.to_json())
    data["nodes"][3]["op"] = "constant"
    inst = dp.from_profile(load_profile(data), get_device("paper000-edge"),
                           get_device("paper000-cloud"), get_link("paper000-wan"))
    assert inst.d[3] == 0.0
    assert dp.transfer_times(inst)[3] == 0.0


def test_measured_latency_needs_latencies():
    prof = load_profile("alexnet_32")
    data = json.loads(prof.to_json())
    data["nodes"][2]["latency_s"] = None
    with pytest.raises(InputError, match="measured latency"):
        dp.from_profile(load_profile(data), get_device("paper000-edge"),
                        get_device("paper000-cloud"), get_link("paper000-wan"),
                        use_measured_latency=True)


def test_part_a_interface():
    prof = load_profile("vgg16_32")
    edge, cloud = get_device("paper002-edge-5g"), get_device("paper002-cloud")
    inst = dp.from_profile(prof, edge, cloud, get_link("paper002-uplink"))
    res = solve(inst, "mincut")
    cut = res.solution["chain_cut"]  # a chain model: the min-cut is a chain cut
    assert cut is not None
    chain = prof.chain()
    edge_nodes = {n.name for n in prof.nodes[: chain.cuts[cut].position + 1]}
    assert edge_nodes.isdisjoint(res.solution["cloud"])
    assert len(edge_nodes) + len(res.solution["cloud"]) == len(prof.nodes)


# ----------------------------------------------------------------------------- models, CLI
def test_cut_graph_has_one_auxiliary_vertex_per_shared_tensor():
    g = sdp.cut_graph(diamond())
    assert ("aux", 1) in g  # a feeds b and c
    assert sum(isinstance(v, tuple) for v in g) == 1
    assert "capacity" not in g[sdp.SOURCE][0]  # input on the edge: infinite


@pytest.mark.parametrize("load", ["light", "heavy"])
def test_golden_lp(tmp_path, load):
    path = export_model(diamond(load), tmp_path / f"dag_partition_diamond_{load}.lp")
    golden = GOLDEN / f"dag_partition_diamond_{load}.lp"
    assert path.read_text() == golden.read_text()


def test_export_mps_and_component_names(tmp_path):
    path = export_model(diamond("heavy"), tmp_path / "m.mps")
    text = path.read_text()
    for name in ("precedence", "sent_once", "input_on_edge", "bottleneck_transfer"):
        assert name in text
    with pytest.raises(InputError):
        export_model(diamond(), tmp_path / "m.nl")


def test_milp_time_limit_returns_a_status():
    inst = dp.random_instance(5, 400, load="heavy")
    res = solve(inst, "milp", time_limit=0.5)
    assert res.status in ("optimal", "time_limit")
    if res.status == "time_limit" and res.solution is not None:
        assert res.info["evaluation"].feasible


def test_cli_solve_evaluate_export(cli, tmp_path):
    inst_path = tmp_path / "diamond.json"
    inst_path.write_text(diamond().to_json())
    code, out, _ = cli("solve", inst_path, "--method", "mincut", "--json")
    assert code == 0
    result = json.loads(out)
    assert result["status"] == "optimal" and result["objective"] == pytest.approx(2.9)
    assert result["objectives"]["T_transfer"] == pytest.approx(1.0)
    assert result["objectives"]["bottleneck"] == pytest.approx(1.0)
    res_path = tmp_path / "res.json"
    res_path.write_text(out)
    code, out, _ = cli("evaluate", inst_path, res_path)
    assert code == 0 and json.loads(out)["feasible"]
    code, _, _ = cli("export", inst_path, "-o", tmp_path / "m.lp")
    assert code == 0 and (tmp_path / "m.lp").exists()
    code, _, err = cli("solve", inst_path, "--method", "nope")
    assert code == 2 and "mincut" in err
