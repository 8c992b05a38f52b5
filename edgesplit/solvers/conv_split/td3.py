"""``alg1-td3``: 004's TD3 thread allocation (eq. 8-10, Alg. 2) with Alg. 1 splits.

The environment allocates one sub-zone (one conv's threads on every server) per step, as 004
Sec. 4.2 describes:

- state ``sta_i = (c_1^i, ..., c_M^i, Z_i)`` (eq. 9): the threads still free in each server's
  zone, as a fraction of ``K_m``, and the fraction of sub-zones still to allocate;
- action ``act_i = (r_1^i, ..., r_M^i)`` in ``[0, 1]^M`` (eq. 8): conv i gets ``k_m^i =
  floor(r_m^i K_m)`` threads on server m, clipped to ``[1, c_m - (Z_i - 1)]`` so that every later
  conv keeps at least one thread (004 Alg. 2 lines 11-17 cap it at ``R - N + 1``, which keeps
  eq. 5d but not always eq. 5f; the clip keeps both); the last conv gets all that is left
  (eq. 5f);
- reward ``re_i = -max_m (t^c_{i,m} + t^t_{i,m})`` (eq. 10) with conv i split by Alg. 1 given
  its threads, divided by a fixed positive scale (the mean conv time under threads in
  proportion to ``sqrt(size_i)``) so that rewards are of order one; scaling does not change
  which allocation is best.

TD3 itself is stable-baselines3's (Fujimoto et al. 2018, 004 ref. [33]): twin critics, delayed
policy updates and target policy smoothing are Alg. 2 lines 19-28.
"""

from __future__ import annotations

from typing import Any, ClassVar

import gymnasium as gym
import numpy as np

from edgesplit.formulations import conv_split as cs
from edgesplit.results import Result
from edgesplit.solvers import register
from edgesplit.solvers.conv_split.alg1 import _conv_time, split_result

__all__ = ["ThreadAllocationEnv", "solve_alg1_td3", "train_td3"]


class ThreadAllocationEnv(gym.Env):
    """Gymnasium environment of 004 eq. 8-10: one step per conv (sub-zone).

    Parameters
    ----------
    inst
        The conv_split instance.
    reward_scale
        Seconds per unit of reward (default: the mean conv time with threads in proportion
        to ``sqrt(size_i)``).
    """

    metadata: ClassVar[dict[str, Any]] = {"render_modes": []}

    def __init__(self, inst: cs.Instance, reward_scale: float | None = None) -> None:
        super().__init__()
        spaces = gym.spaces
        self.inst = inst
        self.K = np.asarray(inst.K, dtype=np.int64)
        self.observation_space = spaces.Box(0.0, 1.0, shape=(inst.M + 1,), dtype=np.float32)
        self.action_space = spaces.Box(0.0, 1.0, shape=(inst.M,), dtype=np.float32)
        self.reward_scale = reward_scale or self._default_scale()
        self.best_total = np.inf
        self.best_threads: np.ndarray | None = None
        self.episode_returns: list[float] = []
        self._reset_state()

    def _default_scale(self) -> float:
        w = np.sqrt(np.asarray(self.inst.size, dtype=float))
        share = w / w.sum()
        times = []
        for i in range(self.inst.N):
            k = np.maximum(1, np.floor(share[i] * self.K)).astype(np.int64)
            times.append(_conv_time(self.inst, i, k))
        return float(np.mean(times))

    def _reset_state(self) -> None:
        self.i = 0
        self.free = self.K.copy()
        self.threads = np.zeros((self.inst.N, self.inst.M), dtype=np.int64)
        self.total = 0.0

    def _obs(self) -> np.ndarray:
        z = (self.inst.N - self.i) / self.inst.N
        return np.append(self.free / self.K, z).astype(np.float32)

    def reset(self, *, seed: int | None = None,
              options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict[str, Any]]:
        """Start a new allocation: every zone free, all N sub-zones to go (eq. 9)."""
        super().reset(seed=seed)
        self._reset_state()
        return self._obs(), {}

    def threads_for(self, action: np.ndarray) -> np.ndarray:
        """``k_m^i`` for the current conv from an action (eq. 8 and the clip above)."""
        left = self.inst.N - self.i  # Z_i, this conv included
        if left == 1:
            return self.free.copy()
        r = np.clip(np.asarray(action, dtype=float), 0.0, 1.0)
        raw = np.floor(r * self.K).astype(np.int64)
        return np.clip(raw, 1, self.free - (left - 1))

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """Allocate conv i's threads; the reward is minus its time (eq. 10), scaled."""
        k = self.threads_for(action)
        t = _conv_time(self.inst, self.i, k)
        self.threads[self.i] = k
        self.free = self.free - k
        self.i += 1
        self.total += t
        done = self.i == self.inst.N
        if done:
            self.episode_returns.append(-self.total / self.reward_scale)
            if self.total < self.best_total:
                self.best_total = self.total
                self.best_threads = self.threads.copy()
        return self._obs(), -t / self.reward_scale, done, False, {"conv_time": t}


def train_td3(inst: cs.Instance, *, episodes: int = 300, seed: int = 0,
              learning_starts: int | None = None, net_arch: tuple[int, ...] = (64, 64),
              noise: float = 0.2,
              time_limit: float | None = None) -> tuple[Any, ThreadAllocationEnv]:
    """Train TD3 on :class:`ThreadAllocationEnv` for ``episodes`` episodes (N steps each).

    ``learning_starts`` (default: 20 episodes) steps of uniform random actions come first
    (Alg. 2 line 7, ``act_i = epsilon``), then Gaussian exploration noise of std ``noise``.
    Torch runs on one thread, restored afterwards; the result is deterministic for ``seed``
    unless ``time_limit`` (seconds) stops the training early.
    """
    import time

    import torch
    from stable_baselines3 import TD3
    from stable_baselines3.common.callbacks import BaseCallback
    from stable_baselines3.common.noise import NormalActionNoise

    class _Deadline(BaseCallback):
        def __init__(self, seconds: float | None) -> None:
            super().__init__()
            self.end = None if seconds is None else time.perf_counter() + seconds

        def _on_step(self) -> bool:
            return self.end is None or time.perf_counter() < self.end

    env = ThreadAllocationEnv(inst)
    start = learning_starts if learning_starts is not None else 20 * inst.N
    old_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        model = TD3(
            "MlpPolicy", env, seed=seed, learning_starts=start, batch_size=64,
            buffer_size=max(10_000, episodes * inst.N), gamma=0.99,
            policy_kwargs={"net_arch": list(net_arch)}, device="cpu", verbose=0,
            action_noise=NormalActionNoise(np.zeros(inst.M), noise * np.ones(inst.M)))
        model.learn(total_timesteps=episodes * inst.N, callback=_Deadline(time_limit))
    finally:
        torch.set_num_threads(old_threads)
    return model, env


def _rollout(model: Any, inst: cs.Instance) -> np.ndarray:
    env = ThreadAllocationEnv(inst, reward_scale=1.0)
    obs, _ = env.reset()
    done = False
    while not done:
        action, _ = model.predict(obs, deterministic=True)
        obs, _, done, _, _ = env.step(action)
    return env.threads


@register(cs.PROBLEM, "alg1-td3", kind="heuristic", randomized=True)
def solve_alg1_td3(inst: cs.Instance, *, time_limit: float | None = None, seed: int = 0,
                   episodes: int = 300, keep_best: bool = True,
                   net_arch: list[int] | None = None) -> Result:
    """004 Alg. 2: TD3 (stable-baselines3) allocates threads per sub-zone, Alg. 1 splits.

    ``time_limit`` stops the training early (the answer then depends on the machine's speed).
    """
    import torch

    model, env = train_td3(inst, episodes=episodes, seed=seed,
                           net_arch=tuple(net_arch or (64, 64)), time_limit=time_limit)
    old_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        k = _rollout(model, inst)
    finally:
        torch.set_num_threads(old_threads)
    policy_total = float(sum(_conv_time(inst, i, k[i]) for i in range(inst.N)))
    source = "the trained policy"
    if keep_best and env.best_threads is not None and env.best_total < policy_total:
        k, source = env.best_threads, "the best episode seen in training"
    return split_result(
        inst, "alg1-td3", k,
        message=f"threads from {source} after {len(env.episode_returns)} episodes",
        info={"episode_returns": env.episode_returns, "policy_edge_time": policy_total,
              "best_training_edge_time": env.best_total, "reward_scale": env.reward_scale})
