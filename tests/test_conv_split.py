"""conv_split (004): model by hand, exact methods against brute force, heuristics, baselines,
the multi-task pipeline, CLI and golden model."""

from __future__ import annotations

import itertools
import json
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import edgesplit
from edgesplit.errors import InputError
from edgesplit.formulations import conv_split as cs
from edgesplit.io import load_instance
from edgesplit.results import Status
from edgesplit.solvers import solve
from edgesplit.solvers.conv_split import alg1, baselines, pipeline, search

GOLDEN = Path(__file__).parent / "golden"
SMALL_SEEDS = st.integers(min_value=0, max_value=10**6)


@pytest.fixture
def tiny() -> cs.Instance:
    """Two convs on two servers of three threads; numbers worked by hand below."""
    return cs.Instance.model_validate_json((GOLDEN / "conv_split_tiny.json").read_text())


# ----------------------------------------------------------------------------- brute force
def _compositions(total: int, parts: int, least: int) -> list[tuple[int, ...]]:
    """All tuples of ``parts`` integers >= ``least`` summing to ``total``."""
    return [c for c in itertools.product(range(least, total + 1), repeat=parts)
            if sum(c) == total]


def brute_force(inst: cs.Instance) -> tuple[float, np.ndarray, np.ndarray]:
    """Optimum of 004 eq. 5 by trying every thread allocation and every row split."""

    @cache
    def best_conv(i: int, k: tuple[int, ...]) -> tuple[float, tuple[int, ...]]:
        splits = np.array(_compositions(inst.b[i], inst.M, 0))
        times = cs.server_times(inst, splits, np.broadcast_to(k, splits.shape), conv=i)
        worst = times.max(axis=1)
        j = int(np.argmin(worst))
        return float(worst[j]), tuple(int(x) for x in splits[j])

    per_server = [_compositions(inst.K[m], inst.N, 1) for m in range(inst.M)]
    best = (np.inf, None, None)
    for cols in itertools.product(*per_server):
        k = np.array(cols).T  # N x M
        parts = [best_conv(i, tuple(int(x) for x in k[i])) for i in range(inst.N)]
        total = sum(p[0] for p in parts)
        if total < best[0]:
            best = (total, np.array([p[1] for p in parts]), k)
    return cs.cloud_constant(inst) + best[0], best[1], best[2]


# ----------------------------------------------------------------------------- by hand
def test_evaluate_by_hand(tiny):
    # conv 0, server 0: 3/4 * 8e9 / (2 * 1e9) = 3 s; halo rows (3-1)*1+3 = 5: 500 B in,
    #   600 B out -> 1100 B * 8 / 8e6 = 1.1 ms (004 eq. 1, 3)
    # conv 0, server 1: 1/4 * 8e9 / 2e9 = 1 s; (3 * 100 + 200) B * 8 / 4e6 = 1 ms
    # conv 1, server 0: no rows -> 0; server 1: 2/2 * 4e9 / 4e9 = 1 s; (4*200 + 2*50) B -> 1.8 ms
    # t_c = 1e9 / 1e10 = 0.1 s; t_t^c = 8e6 / 8e7 = 0.1 s (eq. 2, 4)
    ev = edgesplit.evaluate(tiny, {"d": [[3, 1], [0, 2]], "k": [[2, 1], [1, 2]]})
    assert ev.feasible and ev.violations == []
    assert ev.objective == pytest.approx(0.2 + 3.0011 + 1.0018, rel=1e-12)
    assert ev.objectives == pytest.approx({"edge": 4.0029, "cloud_fc": 0.1, "edge_cloud": 0.1})
    np.testing.assert_allclose(ev.details["server_times"],
                               [[3.0011, 1.001], [0.0, 1.0018]], rtol=1e-12)


def test_evaluate_names_violations(tiny):
    ev = edgesplit.evaluate(tiny, {"d": [[3, 0], [0, 2]], "k": [[2, 2], [2, 1]]})
    assert not ev.feasible
    text = " | ".join(ev.violations)
    assert "eq. 5e rows sum to the conv height (004): conv 0: sum_m d = 3 != b = 4" in text
    assert "eq. 5f threads fill the zone (004): server 0: sum_i k = 4 != K = 3" in text
    assert "eq. 5d 1 <= k <= K_m (004)" not in text
    with pytest.raises(InputError, match=r"solution\.d: needs 2 rows"):
        edgesplit.evaluate(tiny, {"d": [[4, 0]], "k": [[2, 1], [1, 2]]})
    with pytest.raises(InputError, match=r"solution.k.1: needs 2 entries"):
        edgesplit.evaluate(tiny, {"d": [[4, 0], [2, 0]], "k": [[2, 1], [1]]})


def test_partition_by_hand(tiny):
    # No Split on server 1 with 3 threads: (8 + 4 + 1) GFLOP / 6 GFLOP/s; nothing to the cloud
    ev = edgesplit.evaluate(tiny, {"partition": {"edge_layers": 3, "server": 1, "threads": 3}})
    assert ev.objective == pytest.approx(13 / 6)
    # all in the cloud: 13 GFLOP / 10 GFLOP/s + 600 B * 8 / 8e7 b/s
    ev = edgesplit.evaluate(tiny, {"partition": {"edge_layers": 0, "server": 0, "threads": 1}})
    assert ev.objective == pytest.approx(1.3 + 6e-5)
    # conv 1 on the edge (server 0, 1 thread), conv 2 and FC in the cloud, 400 B sent
    ev = edgesplit.evaluate(tiny, {"partition": {"edge_layers": 1, "server": 0, "threads": 1}})
    assert ev.objective == pytest.approx(8.0 + 0.5 + 4e-5)
    with pytest.raises(InputError, match="edge_layers"):
        edgesplit.evaluate(tiny, {"partition": {"edge_layers": 4, "server": 0, "threads": 1}})
    bad = edgesplit.evaluate(tiny, {"partition": {"edge_layers": 3, "server": 0, "threads": 4}})
    assert not bad.feasible


def test_baselines(tiny):
    dads = solve(tiny, "dads")
    assert dads.status is Status.FEASIBLE
    assert dads.objective == pytest.approx(1.3 + 6e-5)
    assert dads.solution == {"partition": {"edge_layers": 0, "server": 0, "threads": 3}}
    no_split = solve(tiny, "no-split")
    assert no_split.objective == pytest.approx(13 / 6)  # server 1 is the faster one
    assert no_split.solution["partition"]["server"] == 1
    for threads in (1, 2, 3):
        part = baselines.best_partition(tiny, threads)
        every = [cs.partition_latency(tiny, j, m, threads)["latency"]
                 for j in range(tiny.N + 2) for m in range(tiny.M)]
        assert cs.partition_latency(tiny, part.edge_layers, part.server,
                                    threads)["latency"] == min(every)


def test_instance_validation():
    base = json.loads((GOLDEN / "conv_split_tiny.json").read_text())
    with pytest.raises(InputError, match=r"b\.0: a conv with input height 6"):
        load_instance({**base, "b": [5, 2]})
    with pytest.raises(InputError, match=r"K\.1: server 1 has 1 threads"):
        load_instance({**base, "K": [3, 1]})
    with pytest.raises(InputError, match="ra: needs one entry per server"):
        load_instance({**base, "ra": [1e9]})
    with pytest.raises(InputError, match="eta"):
        load_instance({**base, "eta": [1e9, -1.0]})
    with pytest.raises(InputError, match=r"kernel\.0: kernel height 9 exceeds"):
        load_instance({**base, "kernel": [9, 3]})


def test_paper_instance_reads_the_bundled_tables():
    inst = cs.paper_instance("alexnet", rates="nominal")
    assert inst.b == [25, 18, 12, 7, 5] and inst.kernel == [8, 8, 7, 6, 3]
    assert inst.size[1] == pytest.approx(2 * 96 * 64 * 256 * 18 * 18,  # 2 x MACs (profile)
                                         rel=1e-9)
    assert inst.o_c_out == 6400 * 4  # Table 2's FC input, float32
    assert inst.o_cut[0] == 3 * 32 * 32 * 4
    assert inst.in_row_bytes[1] == 96 * 25 * 4 and inst.out_row_bytes[1] == 256 * 18 * 4
    assert inst.K == [20] * 8 and inst.eta == [8e10] * 8
    assert inst.ra == [6.2e11] * 8 and inst.ra_c == 1.15e8 and inst.k_c == 2e11
    vgg = cs.paper_instance("vgg16", seed=3)
    assert vgg.N == 13 and vgg.o_c_out == 100352 * 4
    assert all(6.05e11 <= r <= 6.35e11 for r in vgg.ra) and 1.05e8 <= vgg.ra_c <= 1.25e8
    assert vgg.ra == cs.paper_instance("vgg16", seed=3).ra  # seeded


def test_from_profile_with_stride_padding_and_bad_profiles():
    from edgesplit.profiles import get_device, get_link, load_profile

    hw = (get_device("paper004-edge-server"), get_link("paper004-edge-wired"),
          get_device("paper004-cloud"), get_link("paper004-edge-cloud"))
    inst = cs.from_profile(load_profile("alexnet_224"), *hw, M=4, rates="nominal")
    assert inst.b[0] == 55 and inst.stride[0] == 4 and inst.padding[0] == 2  # validated
    assert inst.in_row_bytes[0] == 3 * (224 + 2 * 2) * 4  # padded width
    with pytest.raises(InputError, match="skip connections"):
        cs.from_profile(load_profile("resnet34_32"), *hw)
    with pytest.raises(InputError, match=r"K\.0: server 0 has 3 threads"):
        cs.from_profile(load_profile("alexnet_224"), *hw, K=3)


def test_input_rows_match_section_3_3(tiny):
    # stride 1, no padding: s_2 - s_1 + 1 = h - (b - l) - e + 1 = d + kh - 1 (004 Sec. 3.3)
    for d in range(1, 5):
        assert cs.input_rows(tiny, d, conv=0) == d + 3 - 1
    assert cs.input_rows(tiny, 0, conv=0) == 0


# ----------------------------------------------------------------------------- exact
@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4, 5])
def test_milp_matches_brute_force(seed):
    inst = cs.generate(seed, "small")
    opt, _, _ = brute_force(inst)
    for tighten in (True, False):
        res = solve(inst, "milp", tighten=tighten)
        assert res.status is Status.OPTIMAL, res.message
        assert res.objective == pytest.approx(opt, rel=1e-7)
        ev = res.info["evaluation"]
        assert ev.feasible and ev.objective == pytest.approx(res.objective, rel=1e-12)
        assert res.bound <= res.objective * (1 + 1e-9)
        if "model_objective" in res.info:  # the model's own value is eq. 5's
            assert res.info["model_objective"] == pytest.approx(opt, rel=1e-6)


def test_milp_on_hand_instance(tiny):
    opt, _, _ = brute_force(tiny)
    res = solve(tiny, "milp", tighten=False)
    assert res.status is Status.OPTIMAL
    assert res.objective == pytest.approx(opt, rel=1e-9)
    assert res.objective < 4.2029  # better than the hand solution above


def test_milp_time_limit_reports_bound():
    inst = cs.paper_instance("alexnet")
    res = solve(inst, "milp", time_limit=2)
    assert res.status in (Status.TIME_LIMIT, Status.OPTIMAL)
    assert res.info["evaluation"].feasible
    assert res.bound is not None and res.bound <= res.objective
    assert res.bound >= res.info["aggregated_bound"] - 1e-15
    assert res.runtime_s < 30  # the guard against a solver ignoring its limit, generous


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=SMALL_SEEDS)
def test_bound_and_heuristics_bracket_the_optimum(seed):
    inst = cs.generate(seed, "small")
    opt, _, _ = brute_force(inst)
    assert search.aggregated_bound(inst) <= opt * (1 + 1e-12)
    for method in ("alg1-greedy", "no-split", "dads"):
        res = solve(inst, method)
        assert res.info["evaluation"].feasible
        if method == "alg1-greedy":
            assert res.objective >= opt * (1 - 1e-12)
    d, k = search.thread_search(inst, starts=1, seed=seed)
    assert float(cs.split_latency(inst, d, k)) >= opt * (1 - 1e-12)


@settings(max_examples=25, deadline=None)
@given(seed=SMALL_SEEDS, data=st.data())
def test_minmax_split_is_optimal(seed, data):
    inst = cs.generate(seed, "small")
    i = data.draw(st.integers(0, inst.N - 1))
    k = np.array([data.draw(st.integers(1, cs.max_threads(inst, m))) for m in range(inst.M)])
    splits = np.array(_compositions(inst.b[i], inst.M, 0))
    best = cs.server_times(inst, splits, np.broadcast_to(k, splits.shape), conv=i).max(1).min()
    d, t = search.minmax_split(inst, i, k)
    assert d.sum() == inst.b[i]
    assert t == pytest.approx(best, rel=1e-12)
    d1 = alg1.alg1_split(inst.b[i], inst.size[i], k, np.asarray(inst.eta))
    assert d1.sum() == inst.b[i] and (d1 >= 0).all()
    assert float(cs.server_times(inst, d1, k, conv=i).max()) >= best * (1 - 1e-12)


# ----------------------------------------------------------------------------- Alg. 1
def test_closed_form_split_equalises_compute():
    k, eta = np.array([1, 2, 5]), np.array([1e9, 2e9, 1e9])
    x = alg1.closed_form_rates(3e9, k, eta)  # 004 eq. 7
    assert x.sum() == pytest.approx(1.0)
    times = x * 3e9 / (k * eta)
    np.testing.assert_allclose(times, times[0])


def test_alg1_repair_by_hand():
    # speeds 1, 1, 1 (k eta): p = [10/3] * 3 -> floors [3, 3, 3], remainder to server 1: [4, 3, 3]
    # then server 1 (time 4) gives nothing: moving a row makes another server 4 >= 4, undone
    assert alg1.alg1_split(10, 1.0, np.array([1, 1, 1]), np.ones(3)).tolist() == [4, 3, 3]
    # speeds 1, 3 and 7 rows: p = [1.75, 5.25] -> [1, 5] + 1 -> [2, 5]; times 2 and 5/3
    assert alg1.alg1_split(7, 1.0, np.array([1, 3]), np.ones(2)).tolist() == [2, 5]
    # a server far too slow for its floor share hands rows to the fastest
    d = alg1.alg1_split(6, 1.0, np.array([1, 1, 10]), np.ones(3))
    assert d.sum() == 6 and (d / np.array([1, 1, 10])).max() <= 1.0


def test_greedy_threads_fill_every_zone():
    inst = cs.paper_instance("alexnet", rates="nominal")
    k = alg1.greedy_threads(inst)
    assert (k >= 1).all() and k.sum(axis=0).tolist() == inst.K
    res = solve(inst, "alg1-greedy")
    assert res.status is Status.FEASIBLE and res.info["evaluation"].feasible
    assert res.objective <= res.info["greedy_objective"] + 1e-15


# ----------------------------------------------------------------------------- pipeline
def _solution(inst: cs.Instance) -> cs.Solution:
    res = solve(inst, "alg1-greedy")
    return cs.Solution.model_validate(res.solution)


def test_pipeline_single_task_is_eq5(tiny):
    sol = cs.Solution(d=[[3, 1], [0, 2]], k=[[2, 1], [1, 2]])
    for mode in ("async", "rounds"):
        for cloud in ("parallel", "shared"):
            out = pipeline.simulate(tiny, sol, 1, mode=mode, cloud=cloud)
            assert out.completion[0] == pytest.approx(4.2029, rel=1e-12)


def test_pipeline_by_hand(tiny):
    # stage times: conv 0 -> 3.0011 (server 0) / 1.001 (server 1); conv 1 -> 1.0018 (server 1)
    # async, 2 tasks: task 1 conv 0 [0, 3.0011], conv 1 [3.0011, 4.0029];
    # task 2 conv 0 starts at 3.0011 on server 0 (busy until then) and 1.001 on server 1
    # (free at 1.001): done 6.0022; conv 1 [6.0022, 7.004]; + 0.2 cloud
    sol = cs.Solution(d=[[3, 1], [0, 2]], k=[[2, 1], [1, 2]])
    out = pipeline.simulate(tiny, sol, 2)
    np.testing.assert_allclose(out.completion, [4.2029, 7.204], rtol=1e-12)
    np.testing.assert_allclose(out.conv_start[1], [1.001, 6.0022], rtol=1e-12)
    # rounds: [conv 0 of task 1] 3.0011, [conv 1 of 1, conv 0 of 2] 3.0011, [conv 1 of 2] 1.0018
    out = pipeline.simulate(tiny, sol, 2, mode="rounds")
    np.testing.assert_allclose(out.completion, [6.0022 + 0.2, 7.004 + 0.2], rtol=1e-12)
    # priorities: task 2 first
    out = pipeline.simulate(tiny, sol, 2, priorities=[2, 1])
    np.testing.assert_allclose(out.completion, [7.204, 4.2029], rtol=1e-12)


def test_pipeline_shared_cloud_serialises_the_link():
    inst = cs.paper_instance("alexnet", rates="nominal")
    sol = _solution(inst)
    par = pipeline.simulate(inst, sol, 6)
    shared = pipeline.simulate(inst, sol, 6, cloud="shared")
    rounds = pipeline.simulate(inst, sol, 6, mode="rounds")
    t_link = 8 * inst.o_c_out / inst.ra_c
    assert (np.diff(par.completion) > 0).all()
    assert (shared.completion >= par.completion - 1e-15).all()
    assert np.diff(shared.completion).min() >= t_link * (1 - 1e-9)
    assert rounds.makespan >= par.makespan - 1e-15
    with pytest.raises(InputError, match="needs a split"):
        pipeline.simulate(inst, cs.Solution(partition=cs.Partition(edge_layers=0, server=0,
                                                                   threads=1)), 2)


# ----------------------------------------------------------------------------- CLI, golden
def test_golden_lp(tiny, tmp_path):
    path = tmp_path / "m.lp"
    edgesplit.export_model(tiny, path)
    assert path.read_text() == (GOLDEN / "conv_split_tiny.lp").read_text()
    text = path.read_text()
    for name in ("eq5e_rows", "eq5d_one_thread_count", "eq5f_zone", "eq1_eq3_bottleneck",
                 "speed_cuts"):
        assert name in text


def test_exported_model_solved_elsewhere_gives_our_optimum(tiny, tmp_path):
    highspy = pytest.importorskip("highspy")
    path = tmp_path / "m.mps"
    edgesplit.export_model(tiny, path)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", 1e-9)
    h.readModel(str(path))
    h.run()
    opt, _, _ = brute_force(tiny)
    assert h.getInfo().objective_function_value * cs.MODEL_TIME_UNIT == pytest.approx(opt,
                                                                                      rel=1e-7)


def test_cli_solve_evaluate_export(cli, tmp_path, tiny):
    inst = tmp_path / "tiny.json"
    inst.write_text(tiny.to_json())
    code, out, err = cli("solve", inst, "-m", "milp", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["status"] == "optimal" and result["problem"] == "conv_split"
    sol = tmp_path / "r.json"
    sol.write_text(out)
    code, out, _ = cli("evaluate", inst, sol)
    assert code == 0 and json.loads(out)["objective"] == pytest.approx(result["objective"])
    code, _, err = cli("solve", inst, "-m", "alg1-greedy", "-O", "bogus=1")
    assert code == 2 and "bogus" in err
    code, _, _ = cli("export", inst, "-o", tmp_path / "m.lp")
    assert code == 0 and (tmp_path / "m.lp").exists()
    code, out, _ = cli("generate", "conv_split", "--seed", "3")
    assert code == 0 and load_instance(json.loads(out)).problem == "conv_split"


def test_generate_is_seeded_and_valid():
    for size in ("small", "paper"):
        a, b = cs.generate(7, size), cs.generate(7, size)
        assert a == b
        assert all(k >= a.N for k in a.K)
