"""One registry of methods, keyed by (problem key, method name), and the ``solve`` entry point.

Methods for problem ``P`` live in ``edgesplit/solvers/P.py`` (or a package of that name) and
register themselves with :func:`register` when that module is imported; the registry imports
it on first use, so ``edgesplit --help`` loads no solver.

A method is a function ``fn(instance, *, time_limit, seed, **options) -> Result``. It returns
its own objective (the model's, for a mathematical program); :func:`solve` then checks the
solution with the problem's ``evaluate`` and says so in ``message`` if the two disagree, so a
modelling bug is reported rather than hidden.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from edgesplit.errors import InputError
from edgesplit.formulations import get_problem
from edgesplit.formulations.base import Evaluation, InstanceBase
from edgesplit.results import Result, Status

__all__ = [
    "MethodInfo",
    "available_methods",
    "default_exact_method",
    "get_method",
    "register",
    "solve",
]

MethodKind = Literal["exact", "heuristic", "baseline"]
SolverFn = Callable[..., Result]

#: Relative tolerance within which a solver's objective must equal ``evaluate``'s.
OBJECTIVE_RTOL = 1e-6
#: A guarded method is killed after ``GUARD_FACTOR * time_limit + GUARD_SLACK_S`` seconds.
GUARD_FACTOR = 1.5
GUARD_SLACK_S = 20.0


@dataclass(frozen=True)
class MethodInfo:
    """A registered method.

    Attributes
    ----------
    problem, name
        Registry key.
    kind
        ``"exact"`` (returns proven optima or bounds), ``"heuristic"`` (a paper's algorithm) or
        ``"baseline"`` (a comparison method named by a paper).
    func
        The solver function.
    randomized
        Whether the result depends on ``seed``.
    guarded
        Run in a child process under a wall-clock guard (for solvers that may ignore their own
        time limit; DESIGN.md "Known pitfalls").
    description
        One line for ``edgesplit methods``.
    """

    problem: str
    name: str
    kind: MethodKind
    func: SolverFn
    randomized: bool = False
    guarded: bool = False
    description: str = ""


_REGISTRY: dict[tuple[str, str], MethodInfo] = {}


def register(problem: str, name: str, *, kind: MethodKind, randomized: bool = False,
             guarded: bool = False, description: str = "") -> Callable[[SolverFn], SolverFn]:
    """Decorator registering ``fn`` as method ``name`` of ``problem``.

    The description defaults to the first line of the function's docstring.
    """

    def decorator(fn: SolverFn) -> SolverFn:
        key = (problem, name)
        if key in _REGISTRY and _REGISTRY[key].func is not fn:
            raise RuntimeError(f"method {name!r} of {problem!r} registered twice")
        doc = description or (inspect.getdoc(fn) or "").split("\n")[0]
        _REGISTRY[key] = MethodInfo(problem, name, kind, fn, randomized, guarded, doc)
        return fn

    return decorator


def _load(problem: str) -> None:
    get_problem(problem)  # validates the key
    module = f"edgesplit.solvers.{problem}"
    if importlib.util.find_spec(module) is not None:
        importlib.import_module(module)


def available_methods(problem: str) -> dict[str, MethodInfo]:
    """All methods registered for ``problem``, by name, exact ones first."""
    _load(problem)
    order = {"exact": 0, "heuristic": 1, "baseline": 2}
    items = [m for (p, _), m in _REGISTRY.items() if p == problem]
    items.sort(key=lambda m: (order[m.kind], m.name))
    return {m.name: m for m in items}


def get_method(problem: str, name: str) -> MethodInfo:
    """The method ``name`` of ``problem``.

    Raises
    ------
    InputError
        Naming the methods available for the problem if ``name`` is not one of them.
    """
    methods = available_methods(problem)
    if name not in methods:
        listed = ", ".join(methods) or "none yet"
        raise InputError("method", f"unknown method {name!r} for {problem}; available: {listed}")
    return methods[name]


def default_exact_method(problem: str) -> str:
    """The first exact method registered for ``problem`` (the default of ``gap``)."""
    for name, info in available_methods(problem).items():
        if info.kind == "exact":
            return name
    raise InputError("exact", f"problem {problem} has no exact method")


def _objectives_agree(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=OBJECTIVE_RTOL, abs_tol=1e-9)


def verify(instance: InstanceBase, result: Result) -> Evaluation | None:
    """Check ``result.solution`` with the problem's ``evaluate``; note disagreements.

    Fills ``objective``/``objectives`` from ``evaluate`` when the solver left them empty,
    appends to ``message`` when the solver's objective differs from ``evaluate``'s or the
    solution violates a constraint, and stores the evaluation in ``result.info["evaluation"]``.
    """
    if result.solution is None:
        return None
    module = get_problem(instance.problem)
    solution = module.Solution.model_validate(result.solution)
    ev = module.evaluate(instance, solution)
    result.info["evaluation"] = ev
    notes = []
    if result.objective is None and result.objectives is None:
        result.objective, result.objectives = ev.objective, ev.objectives
    else:
        pairs = [("objective", result.objective, ev.objective)]
        pairs += [(k, v, (ev.objectives or {}).get(k)) for k, v in (result.objectives or {}).items()
                  if ev.objectives is not None and k in ev.objectives]
        for name, mine, theirs in pairs:
            if not _objectives_agree(mine, theirs):
                notes.append(f"solver {name} {mine!r} differs from evaluate's {theirs!r}")
                result.info["objective_mismatch"] = True
    if not ev.feasible:
        notes.append("solution violates: " + "; ".join(ev.violations))
        result.info["infeasible_solution"] = True
        if result.status in (Status.OPTIMAL, Status.FEASIBLE):
            result.status = Status.ERROR
    if notes:
        result.message = "; ".join([m for m in [result.message, *notes] if m])
    return ev


def _call(info: MethodInfo, instance: InstanceBase, time_limit: float | None, seed: int,
          options: dict[str, Any]) -> Result:
    try:
        return info.func(instance, time_limit=time_limit, seed=seed, **options)
    except InputError:
        raise
    except TypeError as exc:
        if "unexpected keyword argument" in str(exc):
            bad = str(exc).split("argument")[-1].strip(" '\"")
            raise InputError("option", f"method {info.name!r} takes no option {bad!r}") from None
        raise


def _guarded_child(conn: Any, module: str, problem: str, name: str, instance_json: str,
                   time_limit: float | None, seed: int, options: dict[str, Any]) -> None:
    from edgesplit.io import load_instance

    try:
        import json

        importlib.import_module(module)  # the module that registers the method
        instance = load_instance(json.loads(instance_json))
        info = get_method(problem, name)
        result = _call(info, instance, time_limit, seed, options)
        conn.send(("ok", result.to_dict(), result.info.get("picklable", {})))
    except BaseException as exc:  # report everything to the parent
        conn.send(("error", f"{type(exc).__name__}: {exc}", None))
    finally:
        conn.close()


def _run_guarded(info: MethodInfo, instance: InstanceBase, time_limit: float | None, seed: int,
                 options: dict[str, Any]) -> Result:
    """Run a method in a child process; kill it if it overruns its time limit by far."""
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_guarded_child, daemon=True,
                       args=(child, info.func.__module__, info.problem, info.name,
                             instance.model_dump_json(),
                             time_limit, seed, options))
    proc.start()
    child.close()
    wall = None if time_limit is None else GUARD_FACTOR * time_limit + GUARD_SLACK_S
    ready = parent.poll(wall)
    if not ready:
        proc.kill()
        proc.join()
        return Result(info.problem, info.name, Status.TIME_LIMIT,
                      message=f"the solver did not return within the wall-clock guard of "
                              f"{wall:.0f} s (time limit {time_limit} s) and was stopped")
    try:
        kind, payload, extra = parent.recv()
    except EOFError:
        proc.join()
        return Result(info.problem, info.name, Status.ERROR,
                      message=f"the solver process died (exit code {proc.exitcode})")
    proc.join()
    if kind == "error":
        if payload.startswith("InputError: "):
            field, _, reason = payload[len("InputError: "):].partition(": ")
            raise InputError(field, reason)
        return Result(info.problem, info.name, Status.ERROR, message=payload)
    result = Result.from_dict(payload)
    result.info.update(extra or {})
    return result


def solve(instance: InstanceBase | dict[str, Any] | str, method: str, *,
          time_limit: float | None = None, seed: int = 0, verify_solution: bool = True,
          **options: Any) -> Result:
    """Solve ``instance`` with ``method``.

    Parameters
    ----------
    instance
        An instance, its dictionary, or a path to its JSON file.
    method
        A method name registered for the instance's problem.
    time_limit
        Seconds; exact methods return their best solution with a bound when reached.
    seed
        Seed of randomised methods (same seed, same answer).
    verify_solution
        Check the solution with the problem's ``evaluate`` (default on).
    **options
        Method-specific options.

    Returns
    -------
    Result
        Never raises for a failed or infeasible solve: that is a status. Bad input raises
        :class:`~edgesplit.errors.InputError`.
    """
    from edgesplit.io import load_instance

    instance = load_instance(instance)
    if time_limit is not None and not (time_limit > 0 and math.isfinite(time_limit)):
        raise InputError("time_limit", f"must be a positive number of seconds (got {time_limit})")
    info = get_method(instance.problem, method)
    start = time.perf_counter()
    try:
        if info.guarded:
            result = _run_guarded(info, instance, time_limit, seed, options)
        else:
            result = _call(info, instance, time_limit, seed, options)
    except InputError:
        raise
    except Exception as exc:
        result = Result(instance.problem, method, Status.ERROR,
                        message=f"{type(exc).__name__}: {exc}")
    result.runtime_s = time.perf_counter() - start
    if result.gap is None and result.status in (Status.OPTIMAL, Status.TIME_LIMIT):
        from edgesplit.results import relative_gap

        result.gap = relative_gap(result.objective, result.bound)
    if verify_solution:
        verify(instance, result)
    return result
