"""The time-level model of ``conv_split`` (``milp`` with ``form="levels"``)."""

from __future__ import annotations

import numpy as np
import pytest
from test_conv_split import brute_force

from edgesplit.errors import InputError
from edgesplit.formulations import conv_split as cs
from edgesplit.results import Status
from edgesplit.solvers import solve
from edgesplit.solvers.conv_split import levels


def shared_speed(seed: int, spread: float) -> cs.Instance:
    """``generate(seed, 'small')`` with one per-thread speed and thread count for all servers
    and links that differ by up to ``spread`` (relative): 0 makes the servers identical."""
    inst = cs.generate(seed, "small")
    rng = np.random.default_rng(100 + seed)
    data = inst.model_dump()
    data["eta"] = [inst.eta[0]] * inst.M
    data["K"] = [max(inst.K)] * inst.M
    data["ra"] = [float(inst.ra[0] * (1 + spread * x)) for x in rng.uniform(0, 1, inst.M)]
    return cs.Instance(**data)


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("spread", [0.0, 0.004])
def test_levels_equal_the_compact_optimum(seed, spread):
    inst = shared_speed(seed, spread)
    assert levels.use_levels(inst)
    groups, exact, _ = levels.master_groups(inst)
    assert len(groups) == 1 and len(exact) == (1 if spread == 0 else inst.M)
    lv = solve(inst, "milp", form="levels")
    compact = solve(inst, "milp", form="compact")
    assert lv.status is Status.OPTIMAL and compact.status is Status.OPTIMAL
    assert lv.objective == pytest.approx(compact.objective, rel=1e-7)
    assert lv.bound == pytest.approx(lv.objective, rel=1e-9)
    ev = lv.info["evaluation"]
    assert ev.feasible and ev.objective == pytest.approx(lv.objective, rel=1e-12)


@pytest.mark.parametrize("seed", [0, 3])
def test_levels_equal_brute_force(seed):
    inst = shared_speed(seed, 0.004)
    opt, _, _ = brute_force(inst)
    res = solve(inst, "milp")  # auto picks the level model here
    assert res.info["form"] == "levels"
    assert res.objective == pytest.approx(opt, rel=1e-9)


def test_exact_groups_without_merging_give_the_same_optimum():
    inst = shared_speed(5, 0.004)
    merged = levels.solve_levels(inst)
    separate = levels.solve_levels(inst, merge_tol=0.0)
    assert merged.info["slices"] >= 1 and separate.info["slices"] == 0
    assert len(separate.info["groups"]) == inst.M
    assert merged.proven and separate.proven
    assert merged.objective == pytest.approx(separate.objective, rel=1e-9)


def test_same_seed_same_answer():
    inst = shared_speed(2, 0.004)
    a, b = solve(inst, "milp", seed=3), solve(inst, "milp", seed=3)
    assert a.solution == b.solution and a.objective == b.objective


def test_auto_picks_the_model():
    assert not levels.use_levels(cs.generate(0, "small"))  # every server its own speed
    assert levels.use_levels(cs.paper_instance("alexnet"))
    # VGG-16's transfers make its links differ by more than 1 %: no merging, compact model
    assert not levels.use_levels(cs.paper_instance("vgg16"))
    assert solve(cs.generate(0, "small"), "milp").info["form"] == "compact"


def test_levels_with_scip_is_refused():
    with pytest.raises(InputError, match="form"):
        solve(shared_speed(0, 0.0), "milp", form="levels", backend="scip")
    with pytest.raises(InputError, match="form"):
        solve(shared_speed(0, 0.0), "milp", form="nope")


def test_time_limit_returns_the_incumbent_and_a_bound():
    inst = cs.paper_instance("alexnet", seed=0)
    res = solve(inst, "milp", time_limit=3)
    assert res.status in (Status.TIME_LIMIT, Status.OPTIMAL)
    assert res.info["evaluation"].feasible
    assert res.info["aggregated_bound"] <= res.bound <= res.objective


@pytest.mark.slow
def test_paper_alexnet_proven_optimal():
    # 004's AlexNet (Table 2) on 8 servers x 20 threads, links 605-635 Gb/s: the level model
    # proves an optimum 1.6 % below the best that the local search and the compact MILP found
    inst = cs.paper_instance("alexnet", seed=0)
    res = solve(inst, "milp", time_limit=300)
    assert res.status is Status.OPTIMAL
    assert res.objective == pytest.approx(3.0990420e-3, rel=1e-7)
    assert res.bound == pytest.approx(res.objective, rel=1e-9)
    compact = solve(inst, "milp", form="compact", time_limit=20)
    assert compact.objective >= res.objective * (1 - 1e-9)
    assert compact.bound <= res.objective * (1 + 1e-9)
    nominal = solve(cs.paper_instance("alexnet", rates="nominal"), "milp", time_limit=300)
    assert nominal.status is Status.OPTIMAL
    assert nominal.objective == pytest.approx(3.1123711e-3, rel=1e-7)
