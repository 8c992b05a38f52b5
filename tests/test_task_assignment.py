"""task_assignment (001, ATSA): brute force against the MILP, heuristics never better than the
optimum, determinism, FCFS by hand, the memory rule of eq. 4, golden LP, CLI."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edgesplit.errors import InputError
from edgesplit.formulations import task_assignment as ta
from edgesplit.io import load_instance
from edgesplit.solvers import solve
from edgesplit.solvers.task_assignment import ant_colony, lpt_local_search

GOLDEN = Path(__file__).parent / "golden"
HEURISTICS = ("atsa", "aco", "pso", "fcfs")
FAST = {"atsa": {"iterations": 15}, "aco": {"iterations": 15}, "pso": {"iterations": 15},
        "fcfs": {}}


def brute_force(inst: ta.Instance) -> dict[str, float]:
    """Both objectives' optima over all x^K assignments that respect eq. 4, in loops."""
    best = {"makespan": np.inf, "total": np.inf}
    for assign in itertools.product(range(inst.x), repeat=inst.K):
        if any(inst.P_cur[i] > inst.P[j] for i, j in enumerate(assign)):
            continue
        loads = [0.0] * inst.x
        for i, j in enumerate(assign):
            loads[j] += inst.Zt[i] / inst.F[j]  # eq. 1
        best["makespan"] = min(best["makespan"], max(loads))
        best["total"] = min(best["total"], sum(loads))
    return best


def hand_instance(objective: str = "makespan") -> ta.Instance:
    """Four tasks, two nodes: node 1 twice as fast, node 0 too small for task 3."""
    return ta.Instance(Zt=[4e9, 2e9, 2e9, 6e9], F=[1e9, 2e9], P_cur=[1e8, 1e8, 1e8, 3e9],
                       P=[2e9, 4e9], objective=objective)


def test_eq1_execution_times_and_hand_optimum():
    inst = hand_instance()
    np.testing.assert_allclose(ta.execution_times(inst), [[4, 2], [2, 1], [2, 1], [6, 3]])
    assert ta.allowed_nodes(inst)[3].tolist() == [False, True]
    # makespan: task 3 must run on node 1 (3 s); the best split is node 0 {0} = 4 s and
    # node 1 {1, 2, 3} = 5 s (or {1, 2} = 4 s and {0, 3} = 5 s). Total: all on node 1, 7 s
    assert brute_force(inst) == {"makespan": 5.0, "total": 7.0}
    ev = ta.evaluate(inst, ta.Solution(assign=[0, 1, 1, 1]))
    assert ev.feasible and ev.objective == 5.0 and ev.objectives == {"makespan": 5.0,
                                                                     "total": 9.0}
    assert ev.details["td"] == [4.0, 5.0]


def test_memory_violation_is_named_and_bad_solutions_are_input_errors():
    inst = hand_instance()
    ev = ta.evaluate(inst, ta.Solution(assign=[1, 1, 1, 0]))
    assert not ev.feasible
    assert ev.violations == ["memory P_cur <= Pv (001 eq. 4): task 3 needs 3e+09 B > node 0's "
                             "2e+09 B"]
    with pytest.raises(InputError, match=r"solution\.assign\.2"):
        ta.evaluate(inst, ta.Solution(assign=[0, 1, 2, 1]))
    with pytest.raises(InputError, match="one node per task"):
        ta.evaluate(inst, ta.Solution(assign=[0, 1]))


def test_fcfs_by_hand():
    # arrival order: task 0 -> node 0 (both free, lowest index); task 1 -> node 1 (free at 0);
    # task 2 -> node 1 (free at 1 < 4); task 3 fits node 1 only -> node 1
    r = solve(hand_instance(), "fcfs")
    assert r.solution == {"assign": [0, 1, 1, 1]} and r.objective == 5.0


def test_node_loads_vectorised_equals_loop():
    inst = ta.generate(3, "paper")
    rng = np.random.default_rng(0)
    many = rng.integers(0, inst.x, size=(5, inst.K))
    loads = ta.node_loads(inst, many)
    et = ta.execution_times(inst)
    for row, assign in zip(loads, many, strict=True):
        ref = np.zeros(inst.x)
        for i, j in enumerate(assign):
            ref[j] += et[i, j]
        np.testing.assert_allclose(row, ref, rtol=1e-12)
    np.testing.assert_allclose(ta.objective_values(inst, many, "makespan"), loads.max(axis=1))
    np.testing.assert_allclose(ta.objective_values(inst, many, "total"), loads.sum(axis=1))


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 100_000))
def test_milp_equals_brute_force_and_heuristics_never_beat_it(seed):
    inst = ta.generate(seed, "small")
    best = brute_force(inst)[inst.objective]
    exact = solve(inst, "milp", start=seed % 3 != 0)  # with and without the LPT start
    assert exact.status == "optimal"
    assert exact.objective == pytest.approx(best, rel=1e-6)
    assert exact.info["evaluation"].feasible
    assert exact.objective == pytest.approx(exact.info["evaluation"].objective, rel=1e-9)
    assert exact.bound <= exact.objective * (1 + 1e-9)
    for method in HEURISTICS:
        r = solve(inst, method, seed=seed, **FAST[method])
        assert r.status == "feasible", (method, r.message)
        assert r.info["evaluation"].feasible
        assert r.objective >= best * (1 - 1e-9), method
        assert r.objective == pytest.approx(r.info["evaluation"].objective, rel=1e-12)


@pytest.mark.parametrize("objective", ["makespan", "total"])
def test_milp_on_the_hand_instance(objective):
    r = solve(hand_instance(objective), "milp", start=False)
    assert r.status == "optimal" and r.info["incumbent_from"] == "highs"
    assert r.objective == brute_force(hand_instance())[objective]


def test_lpt_local_search_is_optimal_for_total_and_good_for_makespan():
    inst = ta.generate(4, "paper").model_copy(update={"objective": "total"})
    et = np.where(ta.allowed_nodes(inst), ta.execution_times(inst), np.inf)
    assert ta.objective_values(inst, lpt_local_search(inst)) == pytest.approx(
        et.min(axis=1).sum())
    mk = inst.model_copy(update={"objective": "makespan"})
    value = ta.objective_values(mk, lpt_local_search(mk))
    fluid = sum(inst.Zt) / sum(inst.F)  # no schedule beats all nodes busy to the end
    assert fluid <= value <= 1.05 * fluid


@pytest.mark.parametrize("method", ["atsa", "aco", "pso"])
def test_same_seed_same_answer(method):
    inst = ta.generate(11, "paper")
    a = solve(inst, method, seed=5, iterations=5)
    b = solve(inst, method, seed=5, iterations=5)
    assert a.solution == b.solution and a.info["history"] == b.info["history"]
    assert len(a.info["history"]) == 5
    assert all(x >= y for x, y in zip(a.info["history"], a.info["history"][1:], strict=False))


def test_atsa_choice_probability_follows_eq2_and_eq4():
    # one task, two equal-speed nodes (equal pheromone): eq. 2 with ATSA's eta_ij =
    # delta (1 - P_cur / Pv_j) (eq. 4) and beta = 5 picks the node with 4x the memory with
    # probability 0.9^5 / (0.9^5 + 0.6^5) = 0.884; basic ACO (eta = 1 / et) picks either
    inst = ta.Instance(Zt=[1e9], F=[1e9, 1e9], P_cur=[4e8], P=[1e9, 4e9], objective="total")

    def share(heuristic: str) -> float:
        picks = [ant_colony(inst, seed=s, ants=1, iterations=1, alpha=1, beta=5, rho=0.5, Q=5,
                            heuristic=heuristic, local_update=False, random_start=False
                            ).assign[0] for s in range(400)]
        return float(np.mean(picks))

    assert share("memory") == pytest.approx(0.9**5 / (0.9**5 + 0.6**5), abs=0.05)
    assert share("time") == pytest.approx(0.5, abs=0.08)


def test_colony_options_are_checked():
    inst = hand_instance()
    with pytest.raises(InputError, match="rho"):
        solve(inst, "atsa", rho=1.5)
    with pytest.raises(InputError, match="ants"):
        solve(inst, "aco", ants=0)
    with pytest.raises(InputError, match="takes no option"):
        solve(inst, "fcfs", iterations=3)


def test_unplaceable_task_makes_every_method_infeasible():
    inst = ta.Instance(Zt=[1e9, 1e9], F=[1e9], P_cur=[1e8, 5e9], P=[1e9])
    assert ta.unplaceable_tasks(inst) == [1]
    for method in ("milp", *HEURISTICS):
        r = solve(inst, method)
        assert r.status == "infeasible" and r.solution is None
        assert "task 1" in r.message


def test_instance_validation():
    with pytest.raises(InputError, match="P_cur: needs one entry per task"):
        load_instance({"problem": "task_assignment", "Zt": [1.0, 2.0], "F": [1.0],
                       "P_cur": [1.0], "P": [1.0]})
    with pytest.raises(InputError, match="objective"):
        load_instance({"problem": "task_assignment", "Zt": [1.0], "F": [1.0], "P_cur": [1.0],
                       "P": [1.0], "objective": "mean"})


def test_tasks_from_offloading():
    inst = ta.tasks_from_offloading(2e9, 1e6, 5e5, [1, 4], [1e9], [1e9])
    assert inst.Zt == [2e9, 8e9] and inst.P_cur == [1.5e6, 3e6]
    with pytest.raises(InputError, match="samples"):
        ta.tasks_from_offloading(2e9, 1e6, 5e5, [0], [1e9], [1e9])


def test_generate_is_deterministic():
    a, b = ta.generate(9, "paper"), ta.generate(9, "paper")
    assert a == b and a.K == 200 and a.x == 30 and not ta.unplaceable_tasks(a)


def test_golden_lp(tmp_path):
    from edgesplit.export import export_model

    path = export_model(hand_instance(), tmp_path / "task_assignment_small.lp")
    assert path.read_text() == (GOLDEN / "task_assignment_small.lp").read_text()


def test_cli_solve_with_options(cli, tmp_path):
    path = tmp_path / "inst.json"
    path.write_text(hand_instance().to_json())
    code, out, _ = cli("solve", path, "-m", "atsa", "--seed", "3", "-O", "iterations=5",
                       "--json")
    assert code == 0
    res = json.loads(out)
    assert res["status"] == "feasible" and len(res["solution"]["assign"]) == 4
    code, out, _ = cli("gap", path, "--heuristic", "fcfs")
    assert code == 0
    code, _, err = cli("solve", path, "-m", "atsa", "-O", "colony=3")
    assert code == 2 and "colony" in err


@pytest.mark.slow
def test_makespan_milp_at_paper_scale_honours_time_limit():
    inst = ta.generate(0, "paper")
    inst = inst.model_copy(update={"objective": "makespan"})
    r = solve(inst, "milp", time_limit=20, start=False)
    assert r.status in ("time_limit", "optimal") and r.runtime_s < 60
    assert r.bound is not None and r.bound <= r.objective
    fast = solve(inst, "milp", time_limit=60, rel_gap=0.01)
    assert fast.status == "optimal" and fast.gap <= 0.01


def test_heuristics_stop_at_their_time_limit_and_score_option():
    inst = ta.generate(2, "paper")
    r = solve(inst, "atsa", time_limit=0.01, iterations=10_000)
    assert r.status == "feasible" and 1 <= r.info["iterations"] < 10_000
    assert len(r.info["history"]) == r.info["iterations"]
    p = solve(inst, "pso", time_limit=0.01, iterations=100_000)
    assert p.info["iterations"] < 100_000
    # 001's literal deposit (Z_y = total time) on a makespan instance: still scored by makespan
    mk = inst.model_copy(update={"objective": "makespan"})
    lit = solve(mk, "atsa", seed=1, iterations=5, score="total")
    assert lit.objective == pytest.approx(ta.objective_values(
        mk, np.asarray(lit.solution["assign"]), "makespan"))
