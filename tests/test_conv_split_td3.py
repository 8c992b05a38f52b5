"""alg1-td3 (004 eq. 8-10, Alg. 2): the environment, determinism, feasibility."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("stable_baselines3")

from edgesplit.formulations import conv_split as cs
from edgesplit.results import Status
from edgesplit.solvers import solve
from edgesplit.solvers.conv_split.alg1 import _conv_time
from edgesplit.solvers.conv_split.td3 import ThreadAllocationEnv


def test_env_follows_eq_8_to_10():
    inst = cs.paper_instance("alexnet", rates="nominal")
    env = ThreadAllocationEnv(inst, reward_scale=1.0)
    obs, _ = env.reset(seed=0)
    np.testing.assert_allclose(obs, [1.0] * inst.M + [1.0])  # eq. 9: all free, N to go
    rng = np.random.default_rng(0)
    rewards = []
    for i in range(inst.N):
        action = rng.uniform(0, 1, inst.M).astype(np.float32)
        expected = np.clip(np.floor(action * 20), 1, env.free - (inst.N - i - 1)) \
            if i < inst.N - 1 else env.free.copy()
        obs, reward, done, truncated, _ = env.step(action)
        np.testing.assert_array_equal(env.threads[i], expected)
        assert reward == pytest.approx(-_conv_time(inst, i, env.threads[i]))  # eq. 10
        assert obs[-1] == pytest.approx((inst.N - i - 1) / inst.N)
        assert done == (i == inst.N - 1) and not truncated
        rewards.append(reward)
    assert (env.threads >= 1).all() and env.threads.sum(axis=0).tolist() == inst.K  # 5d, 5f
    assert env.best_total == pytest.approx(-sum(rewards))


def test_env_extreme_actions_stay_feasible():
    inst = cs.generate(3, "small")
    env = ThreadAllocationEnv(inst)
    for value in (0.0, 1.0):
        env.reset()
        done = False
        while not done:
            _, _, done, _, _ = env.step(np.full(inst.M, value, dtype=np.float32))
        assert (env.threads >= 1).all() and env.threads.sum(axis=0).tolist() == inst.K


def test_td3_is_seeded_feasible_and_never_beats_the_optimum():
    inst = cs.generate(1, "small")
    exact = solve(inst, "milp", tighten=False)  # checked against brute force elsewhere
    assert exact.status is Status.OPTIMAL
    opt = exact.objective
    a = solve(inst, "alg1-td3", seed=5, episodes=40)
    b = solve(inst, "alg1-td3", seed=5, episodes=40)
    assert a.status is Status.FEASIBLE and a.info["evaluation"].feasible
    assert a.solution == b.solution and a.objective == b.objective
    assert a.objective >= opt * (1 - 1e-12)
    assert len(a.info["episode_returns"]) == 40


@pytest.mark.slow
def test_td3_paper_scale_beats_random_allocations():
    inst = cs.paper_instance("alexnet")
    res = solve(inst, "alg1-td3", seed=0, episodes=1500)
    random_edge = -np.mean(res.info["episode_returns"][:20]) * res.info["reward_scale"]
    assert res.objective - cs.cloud_constant(inst) < random_edge
