"""004's multi-task alternation (Sec. 3.2, Fig. 2) as a discrete-event simulation.

Tasks of one CNN kind queue at controller ``co_1``, each with a priority (1 = most
latency-sensitive). Every server's resource zone is split into N sub-zones, one per conv, with
``k_m^i`` threads (a :class:`~edgesplit.formulations.conv_split.Solution`). Conv i of a task
runs on sub-zone i of every server that has rows of it (``d_m^i > 0``), taking that server's
``t^c_{i,m} + t^t_{i,m}`` (004 eq. 1 and 3, from
:func:`~edgesplit.formulations.conv_split.server_times`); the parts are merged at ``co_1`` (004
neglects the merge) and conv i + 1 of the task becomes ready. A sub-zone serves one task at a
time, the most urgent ready one first ("one Conv of a task cannot begin to be inferred until the
inference of this Conv of the previous task is finished"), so different convs of different
tasks run at the same time. After its last conv a task's features cross the edge-cloud link
(``t_t^c``, eq. 4) and its FC layers run in the cloud (``t_c``, eq. 2).

Two readings of what 004 leaves open are options:

- ``mode="async"`` (default): every sub-zone starts as soon as it is free and its input is
  merged; ``mode="rounds"``: the lock-step rounds of 004's Fig. 2 narrative, where round r runs
  conv i of task ``r - i`` for all i at once and ends with the slowest of them (all tasks
  present at time 0, in priority order).
- ``cloud="parallel"`` (default): every task has the link and the cloud to itself, as 004
  treats its baselines' tasks; ``cloud="shared"``: one transfer at a time on the link and one
  FC pass at a time in the cloud, most urgent first.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import Literal

import numpy as np

from edgesplit.errors import InputError
from edgesplit.formulations import conv_split as cs

__all__ = ["PipelineResult", "simulate"]


@dataclass
class PipelineResult:
    """Outcome of :func:`simulate`, times in seconds from time 0, tasks in input order.

    Attributes
    ----------
    conv_start, conv_end
        ``(tasks, N)``: when conv i of task j started on its first server and was merged.
    edge_done
        When each task's last conv was merged (features ready for the cloud).
    completion
        When each task's FC layers finished in the cloud.
    arrivals
        Arrival times used.
    """

    conv_start: np.ndarray
    conv_end: np.ndarray
    edge_done: np.ndarray
    completion: np.ndarray
    arrivals: np.ndarray

    @property
    def latency(self) -> np.ndarray:
        """Response time of each task: completion minus arrival."""
        return self.completion - self.arrivals

    @property
    def makespan(self) -> float:
        """Time from the first arrival to the last completion (004 Fig. 8's total latency)."""
        return float(self.completion.max() - self.arrivals.min())


def simulate(inst: cs.Instance, solution: cs.Solution, tasks: int, *,
             arrivals: list[float] | np.ndarray | None = None,
             priorities: list[int] | np.ndarray | None = None,
             mode: Literal["async", "rounds"] = "async",
             cloud: Literal["parallel", "shared"] = "parallel") -> PipelineResult:
    """Run ``tasks`` inference tasks through the sub-zone pipeline of 004 Sec. 3.2.

    Parameters
    ----------
    inst
        The instance.
    solution
        A split solution (rows ``d`` and threads ``k``); every task uses it.
    tasks
        Number of tasks in the queue.
    arrivals
        Arrival time of each task (default: all at 0).
    priorities
        Priority of each task, smaller is more urgent (default: 1, 2, ... in input order).
        Ties are served in arrival order, then input order.
    mode, cloud
        Readings of 004 Sec. 3.2; see the module docstring.
    """
    if solution.partition is not None or solution.d is None or solution.k is None:
        raise InputError("solution", "the pipeline needs a split (rows d and threads k)")
    if tasks < 1:
        raise InputError("tasks", f"must be at least 1 (got {tasks})")
    arr = np.zeros(tasks) if arrivals is None else np.asarray(arrivals, dtype=float)
    prio = np.arange(1, tasks + 1) if priorities is None else np.asarray(priorities)
    if len(arr) != tasks or len(prio) != tasks:
        raise InputError("arrivals", f"arrivals and priorities need {tasks} entries")
    ev = cs.evaluate(inst, solution)
    if not ev.feasible:
        raise InputError("solution", "; ".join(ev.violations))
    times = ev.details["server_times"]
    d = np.asarray(solution.d)
    t_link = 8.0 * inst.o_c_out / inst.ra_c
    t_fc = inst.size_full / inst.k_c
    if mode == "rounds":
        if arrivals is not None and np.any(arr != arr.min()):
            raise InputError("mode", "'rounds' needs every task present at the start")
        return _rounds(ev.details["conv_times"], arr, prio, t_link, t_fc, cloud)
    if mode != "async":
        raise InputError("mode", f"must be 'async' or 'rounds' (got {mode!r})")
    return _async(inst, times, d, arr, prio, t_link, t_fc, cloud)


def _order_key(prio: np.ndarray, arr: np.ndarray, j: int) -> tuple[float, float, int]:
    return (float(prio[j]), float(arr[j]), j)


def _async(inst: cs.Instance, times: np.ndarray, d: np.ndarray, arr: np.ndarray,
           prio: np.ndarray, t_link: float, t_fc: float, cloud: str) -> PipelineResult:
    n_tasks, n = len(arr), inst.N
    start = np.full((n_tasks, n), np.nan)
    end = np.full((n_tasks, n), np.nan)
    edge_done = np.full(n_tasks, np.nan)
    completion = np.full(n_tasks, np.nan)
    parts_left = np.zeros((n_tasks, n), dtype=np.int64)
    # resources: sub-zone (i, m), and for a shared cloud the link and the cloud processor
    queues: dict[tuple, list] = {}
    busy: dict[tuple, bool] = {}
    # (time, phase, seq, kind, data): phase 1 ("serve") runs after every phase-0 event of the
    # same instant, so that all tasks ready at once compete by priority
    events: list[tuple[float, int, int, str, tuple]] = []
    seq = 0

    def push(t: float, kind: str, data: tuple, phase: int = 0) -> None:
        nonlocal seq
        heapq.heappush(events, (t, phase, seq, kind, data))
        seq += 1

    def request(res: tuple, j: int, duration: float, now: float, done_kind: str,
                data: tuple) -> None:
        if cloud == "parallel" and res[0] in ("link", "cloud"):
            push(now + duration, done_kind, data)
            return
        heapq.heappush(queues.setdefault(res, []), (*_order_key(prio, arr, j), duration,
                                                     done_kind, data))
        push(now, "serve", (res,), phase=1)

    def serve(res: tuple, now: float) -> None:
        if busy.get(res) or not queues.get(res):
            return
        *_, duration, done_kind, data = heapq.heappop(queues[res])
        busy[res] = True
        if res[0] == "zone":
            j, i = data[0], data[1]
            if np.isnan(start[j, i]):
                start[j, i] = now
        push(now + duration, done_kind, (*data, res))

    for j in range(n_tasks):
        push(float(arr[j]), "ready", (j, 0))
    while events:
        now, _, _, kind, data = heapq.heappop(events)
        if kind == "serve":
            serve(data[0], now)
        elif kind == "ready":
            j, i = data
            if i == n:
                edge_done[j] = now
                request(("link",), j, t_link, now, "sent", (j,))
                continue
            used = np.flatnonzero(d[i] > 0)
            parts_left[j, i] = len(used)
            for m in used:
                request(("zone", i, int(m)), j, float(times[i, m]), now, "part", (j, i))
        elif kind == "part":
            j, i, res = data
            busy[res] = False
            push(now, "serve", (res,), phase=1)
            parts_left[j, i] -= 1
            if parts_left[j, i] == 0:
                end[j, i] = now
                push(now, "ready", (j, i + 1))
        elif kind == "sent":
            j = data[0]
            if cloud == "shared":
                busy[data[-1]] = False
                push(now, "serve", (data[-1],), phase=1)
            request(("cloud",), j, t_fc, now, "fc", (j,))
        elif kind == "fc":
            j = data[0]
            if cloud == "shared":
                busy[data[-1]] = False
                push(now, "serve", (data[-1],), phase=1)
            completion[j] = now
    return PipelineResult(start, end, edge_done, completion, arr)


def _rounds(conv_times: np.ndarray, arr: np.ndarray, prio: np.ndarray, t_link: float,
            t_fc: float, cloud: str) -> PipelineResult:
    n_tasks, n = len(arr), len(conv_times)
    order = sorted(range(n_tasks), key=lambda j: _order_key(prio, arr, j))
    rank = {j: r for r, j in enumerate(order)}
    start = np.zeros((n_tasks, n))
    end = np.zeros((n_tasks, n))
    round_end = []
    clock = float(arr.min())
    for r in range(n_tasks + n - 1):
        active = [(order[r - i], i) for i in range(n) if 0 <= r - i < n_tasks]
        for j, i in active:
            start[j, i], end[j, i] = clock, clock + conv_times[i]
        clock += max(conv_times[i] for _, i in active)  # the round ends with its slowest conv
        round_end.append(clock)
    edge_done = np.array([round_end[rank[j] + n - 1] for j in range(n_tasks)])
    completion = np.zeros(n_tasks)
    link_free = cloud_free = -np.inf
    for j in order:
        if cloud == "shared":
            sent = max(edge_done[j], link_free) + t_link
            link_free = sent
            done = max(sent, cloud_free) + t_fc
            cloud_free = done
        else:
            done = edge_done[j] + t_link + t_fc
        completion[j] = done
    return PipelineResult(start, end, edge_done, completion, arr)
