"""offload_position (001, TMOA): the constraint table against a plain re-implementation of eq.
8-20, enumerate against brute force, Alg. 2's scan, the MILP, the KDE uplink, profiles, CLI."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edgesplit.errors import InputError
from edgesplit.formulations import offload_position as op
from edgesplit.io import load_instance
from edgesplit.profiles import load_profile
from edgesplit.solvers import solve

GOLDEN = Path(__file__).parent / "golden"


# ----------------------------------------------------------------------------- a reference
def reference(inst: op.Instance, j: int) -> dict:
    """001 eq. 8-22 at one position, in loops, written from the paper independently of
    constraint_table (M/M/1 with mu = F / Zt, per-node arrival = sum of its streams)."""
    zt = sum(inst.Z[:j])
    dt = sum(inst.Par[:j]) + sum(inst.Map[:j])
    nodes = list(inst.assign) if inst.assign is not None else [k % inst.x for k in range(inst.K)]
    lam = [sum(a for a, n in zip(inst.a, nodes, strict=True) if n == v) for v in range(inst.x)]
    inv = [op.expected_inverse_rate(r) for r in inst.Vs]
    ok = dt <= inst.lambda0 * min(inst.P) * (1 + 1e-12)
    delays = []
    for k in range(inst.K):
        v = nodes[k]
        f = inst.F[v]
        if zt == 0:
            wait = 0.0
        else:
            mu = f / zt
            if lam[v] >= mu:
                delays.append(math.inf)
                ok = False
                continue
            wait = lam[v] / (mu * (mu - lam[v])) if lam[v] > 0 else 0.0
        sent = inst.Map_in if j == 0 else (inst.Map_sent or inst.Map)[j - 1]
        t = (zt / f + wait + 8 * sent / min(inst.W_H, inst.L[v])
             + 8 * inst.De[k] * (inv[0] if len(inv) == 1 else inv[k]))
        if inst.C2_includes_T_cp:
            t += (sum(inst.Z) - zt) / inst.F_c
        delays.append(t)
        ok = ok and t <= inst.T_max * (1 + 1e-12)
    energy = []
    for v in range(inst.x):
        n = nodes.count(v)
        energy.append(n * (inst.e[v] * zt / inst.F[v] + inst.omega[v] * zt * inst.F[v]))
        ok = ok and energy[-1] <= inst.E[v] * (1 + 1e-12)
    return {"Dt": dt, "T": delays, "energy": energy, "feasible": ok}


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 100_000))
def test_constraint_table_matches_reference(seed):
    inst = op.generate(seed, "small")
    tab = op.constraint_table(inst)
    for j in range(inst.N + 1):
        ref = reference(inst, j)
        assert tab.Dt[j] == pytest.approx(ref["Dt"], rel=1e-12)
        np.testing.assert_allclose(tab.T[:, j], ref["T"], rtol=1e-9)
        np.testing.assert_allclose(tab.energy[:, j], ref["energy"], rtol=1e-9)
        assert bool(tab.feasible[j]) == ref["feasible"], j


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 100_000))
def test_enumerate_is_brute_force_and_tmoa_never_deeper(seed):
    inst = op.generate(seed, "small")
    feasible = [j for j in range(inst.N + 1) if reference(inst, j)["feasible"]]
    ex, sc = solve(inst, "enumerate"), solve(inst, "tmoa")
    if not feasible:
        assert ex.status == "infeasible" and ex.solution is None
        assert sc.solution is None
        return
    assert ex.status == "optimal" and ex.solution == {"j": max(feasible)}
    assert ex.objective == max(feasible) == ex.info["evaluation"].objective
    assert ex.message and "differs" not in ex.message
    # Alg. 2: the first violation from j = 1 on, J = j - 1 (j = 0 is never tested)
    j = 1
    while j <= inst.N and j in feasible:
        j += 1
    if (j - 1) in feasible:
        assert sc.status == "feasible" and sc.solution == {"j": j - 1}
        assert sc.objective <= ex.objective
    else:
        assert j == 1 and sc.status == "infeasible"
    # a prefix-shaped feasible set (every constraint monotone) makes the scan exact
    if feasible == list(range(len(feasible))):
        assert sc.solution == ex.solution


def small_instance(**changes) -> op.Instance:
    """Three layers, one node, one task; numbers chosen to be checked by hand."""
    data = dict(Z=[1e9, 1e9, 1e9], Par=[1e6, 1e6, 1e6], Map=[4e6, 1e5, 1e5], Map_in=5e5,
                F=[1e10], P=[1e9], E=[100.0], L=[1e9], e=[5.0], omega=[0.0], a=[1.0],
                De=[0.0], Vs=[[1e8]], F_c=1e12, W_H=1e8, T_max=0.5)
    data.update(changes)
    return op.Instance(**data)


def test_hand_computed_delays_and_non_monotone_latency():
    inst = small_instance()
    tab = op.constraint_table(inst)
    # j = 1: t_e = 0.1 s, M/M/1 with mu = 10/s, lambda = 1/s: W_q = 1 / (10 * 9) s,
    # T_ec = 8 * 4e6 / 1e8 = 0.32 s, T_cp = 2e9 / 1e12 = 0.002 s
    assert tab.T[0, 1] == pytest.approx(0.1 + 1 / 90 + 0.32 + 0.002)
    # j = 2: t_e = 0.2, mu = 5, W_q = 1 / (5 * 4), T_ec = 0.008, T_cp = 0.001
    assert tab.T[0, 2] == pytest.approx(0.2 + 1 / 20 + 0.008 + 0.001)
    assert tab.energy[0, 3] == pytest.approx(5.0 * 0.3)  # eq. 18: e * Zt / F
    # T = 0.043 (j = 0), 0.433, 0.259, 0.437 s: all within 0.5 s, only j = 0 and 2 within 0.3
    assert tab.feasible.tolist() == [True, True, True, True]
    tight = small_instance(T_max=0.3)
    tab = op.constraint_table(tight)
    assert tab.feasible.tolist() == [True, False, True, False]
    assert solve(tight, "enumerate").solution == {"j": 2}
    sc = solve(tight, "tmoa")
    assert sc.solution == {"j": 0} and sc.status == "feasible"
    assert "stopped at j = 1" in sc.message and "C2 latency" in sc.message
    assert "2 (deepest)" in sc.message


def test_unstable_queue_is_a_c2_violation_and_fixed_in_milp():
    inst = small_instance(a=[6.0], T_max=10.0)  # mu = 10 / j per s: unstable from j = 2
    tab = op.constraint_table(inst)
    assert tab.stable[0].tolist() == [True, True, False, False]
    assert np.isinf(tab.T[0, 2])
    ev = op.evaluate(inst, op.Solution(j=2))
    assert not ev.feasible
    assert any(v.startswith("C2 queue stability (001 eq. 12)") for v in ev.violations)
    assert solve(inst, "enumerate").solution == {"j": 1}
    model = op.build_pyomo(inst)
    assert model.x[2].fixed and model.x[3].fixed and not model.x[1].fixed


def test_memory_energy_violations_are_named_and_counted():
    inst = small_instance(P=[4e6], T_max=10.0, E=[0.8])
    tab = op.constraint_table(inst)
    assert tab.memory_limit == pytest.approx(0.8 * 4e6)
    ev = op.evaluate(inst, op.Solution(j=2))
    assert [v.split(":")[0] for v in ev.violations] == [
        "C1 memory Dt^j <= lambda0 P0 (001 eq. 10, 22)",
        "C3 energy E_v(j) <= E_v (001 eq. 18-20, 22)"]
    assert ev.objective == 2.0 and ev.objectives["Dt_bytes"] == pytest.approx(6.1e6)


def test_c2_without_cloud_time_reading():
    with_cp, without = small_instance(), small_instance(C2_includes_T_cp=False)
    diff = op.constraint_table(with_cp).T - op.constraint_table(without).T
    np.testing.assert_allclose(diff[0], [3e9 / 1e12, 2e9 / 1e12, 1e9 / 1e12, 0.0])


def test_assign_and_per_task_rates():
    inst = small_instance(F=[1e10, 2e10], P=[1e9, 1e9], E=[100.0, 100.0], L=[1e9, 1e9],
                          e=[5.0, 5.0], omega=[0.0, 0.0], a=[1.0, 1.0, 1.0],
                          De=[1e5, 1e5, 1e5], Vs=[[1e7], [2e7], [4e7]], assign=[1, 1, 0])
    tab = op.constraint_table(inst)
    np.testing.assert_allclose(tab.T_te, [8e5 / 1e7, 8e5 / 2e7, 8e5 / 4e7])
    # node 1 serves two streams: lambda = 2, mu = 2e10 / 1e9 = 20 at j = 1
    assert tab.T_qp[0, 1] == pytest.approx(1 / 20 + 2 / (20 * 18))
    assert tab.energy[1, 1] == pytest.approx(2 * 5.0 * 1e9 / 2e10)


def test_evaluate_rejects_out_of_range_position():
    inst = small_instance()
    with pytest.raises(InputError, match=r"solution\.j"):
        op.evaluate(inst, op.Solution(j=4))


def test_instance_validation_messages():
    data = json.loads(small_instance().to_json())
    data["Par"] = [1.0]
    with pytest.raises(InputError, match="Par: needs one entry per layer"):
        load_instance(data)
    data = json.loads(small_instance().to_json())
    data["assign"] = [3]
    with pytest.raises(InputError, match="out of range"):
        load_instance(data)
    data = json.loads(small_instance().to_json())
    data["lambda0"] = 1.5
    with pytest.raises(InputError, match="lambda0"):
        load_instance(data)


def test_compare_gap():
    inst = small_instance(T_max=0.3)
    from edgesplit.gaps import compare_results

    out = compare_results(inst, solve(inst, "enumerate"), solve(inst, "tmoa"))
    assert out["layers_short"] == 2 and out["gap"] == pytest.approx(1.0)


# ----------------------------------------------------------------------------- eq. 16-17
def test_kde_bandwidth_is_eq17_and_inverse_rate_matches_sampling():
    from scipy.stats import gaussian_kde

    rates = np.random.default_rng(3).lognormal(np.log(3e7), 0.25, size=40)
    kde = gaussian_kde(rates, bw_method="silverman")
    lam = rates.std(ddof=1) * (4 / (3 * len(rates))) ** 0.2  # 001 eq. 17's lambda_k
    assert math.sqrt(kde.covariance[0, 0]) == pytest.approx(lam, rel=1e-12)
    from scipy import integrate

    lo, hi = rates.min() / 100, rates.max() * 3  # the truncation of expected_inverse_rate
    inv = integrate.quad(lambda v: kde(v)[0] / v, lo, hi, limit=500, points=list(rates))[0]
    mass = integrate.quad(lambda v: kde(v)[0], lo, hi, limit=500, points=list(rates))[0]
    assert op.expected_inverse_rate(rates) == pytest.approx(inv / mass, rel=1e-5)
    draws = kde.resample(200_000, seed=1)[0]  # sampling: 1/V is heavy-tailed near lo
    assert op.expected_inverse_rate(rates) == pytest.approx(np.mean(1 / draws[draws > lo]),
                                                            rel=1e-2)
    assert op.expected_inverse_rate([2e7]) == pytest.approx(1 / 2e7)
    assert op.expected_inverse_rate([2e7, 2e7]) == pytest.approx(1 / 2e7)
    # Jensen: E[1/V] > 1 / E[V] for a spread-out rate
    assert op.expected_inverse_rate(rates) > 1 / rates.mean()
    with pytest.raises(InputError):
        op.expected_inverse_rate([1e7, -1.0])


# ----------------------------------------------------------------------------- profiles
def test_paper_view_of_resnet34_follows_eq8_to_10():
    prof = load_profile("resnet34_224")
    tab = op.layer_table(prof, "paper", work="macs")
    assert len(tab.Z) == 34  # 001: ResNET-34 is a 34-layer network
    convs = [n for n in prof.nodes if n.op in ("conv2d", "linear")
             and "downsample" not in n.target]
    for n, z, m in zip(convs, tab.Z, tab.Map, strict=True):
        # eq. 9's M_i from the geometry equals the traced output shape; eq. 8 is the MAC count
        assert m == 4 * math.prod(n.output_shape[1:])
        assert z == n.macs
    assert tab.labels[6] == "3x3 conv, 064" and tab.labels[12] == "3x3 conv, 128"
    assert tab.labels[19] == "3x3 conv, 256" and tab.labels[0] == "7x7 conv, 064"
    assert tab.Map_in == 3 * 224 * 224 * 4
    assert op.layer_table(prof, "paper").Z.sum() == pytest.approx(2 * tab.Z.sum())


def test_chain_view_of_resnet34_counts_every_node():
    prof = load_profile("resnet34_224")
    tab = op.layer_table(prof, "chain")
    chain = prof.chain()
    assert len(tab.Z) == chain.n_layers
    assert tab.Z.sum() == pytest.approx(prof.total_flops)
    assert tab.Par.sum() == pytest.approx(sum(n.param_bytes for n in prof.nodes))
    assert tab.paper_layer[0] == 0 and tab.paper_layer[-1] == 34
    assert list(tab.paper_layer) == sorted(tab.paper_layer)
    # a segment stores every map it computes (eq. 10) but sends only the crossing tensor
    assert np.all(tab.Map >= tab.Map_sent)
    assert tab.Map[4] > tab.Map_sent[4] == 802816  # layer1.0's block: several maps, one sent
    from edgesplit.experiments.xu import table1_instance

    inst = table1_instance(10, view="chain")
    assert inst.Map_sent == tab.Map_sent.tolist()
    ct = op.constraint_table(inst)
    for j in (0, 5, 17, 39):
        ref = reference(inst, j)
        assert ct.Dt[j] == pytest.approx(ref["Dt"])
        np.testing.assert_allclose(ct.T[:, j], ref["T"], rtol=1e-9)
    with pytest.raises(InputError, match="view"):
        op.layer_table(prof, "dag")


# ----------------------------------------------------------------------------- MILP, export
@pytest.mark.parametrize("seed", [1, 2, 5, 8])
def test_milp_equals_enumerate(seed):
    from edgesplit.solvers._pyomo import solve_pyomo

    inst = op.generate(seed, "small")
    ex = solve(inst, "enumerate")
    model = op.build_pyomo(inst)
    out = solve_pyomo(model, "highs")
    if ex.solution is None:
        assert out.status == "infeasible"
    else:
        assert out.status == "optimal"
        assert op.solution_from_pyomo(model) == ex.solution["j"]


def test_golden_lp(tmp_path):
    from edgesplit.export import export_model

    path = export_model(small_instance(T_max=0.3), tmp_path / "offload_position_small.lp")
    assert path.read_text() == (GOLDEN / "offload_position_small.lp").read_text()


def test_generate_is_deterministic_and_valid():
    a, b = op.generate(7, "paper"), op.generate(7, "paper")
    assert a == b and a.N == 34 and a.K == 200 and a.x in (10, 20, 30)
    assert load_instance(json.loads(a.to_json())) == a


# ----------------------------------------------------------------------------- CLI
def test_cli_solve_evaluate_and_bad_input(cli, tmp_path):
    path = tmp_path / "inst.json"
    path.write_text(small_instance(T_max=0.3).to_json())
    code, out, _ = cli("solve", path, "-m", "tmoa", "--json")
    assert code == 0
    res = json.loads(out)
    assert res["status"] == "feasible" and res["solution"] == {"j": 0}
    sol = tmp_path / "sol.json"
    sol.write_text(json.dumps({"j": 1}))
    code, out, _ = cli("evaluate", path, sol)
    assert code == 0 and json.loads(out)["feasible"] is False
    code, _, err = cli("solve", path, "-m", "milp")
    assert code == 2 and "unknown method" in err
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**json.loads(path.read_text()), "F": [1e10, 1e10]}))
    code, _, err = cli("solve", bad, "-m", "enumerate")
    assert code == 2 and "needs one entry per node" in err
