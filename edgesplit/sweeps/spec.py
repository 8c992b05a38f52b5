"""The sweep specification and its expansion into runs (one run = one instance x one method).

A spec is a YAML or JSON file (docs/sweeps.md)::

    name: split-pareto-small          # label stored in every row (default: the file's stem)
    results: results/split_pareto     # results folder, relative to the spec file
    imports: [my_methods.py]          # modules or .py files that register extra methods
    time_limit: 10                    # seconds per run; a list is a grid axis; null: none
    method_seeds: [0]                 # seeds of randomised methods (one run per seed)
    methods: all                      # default methods of every grid entry
    options: {mtmgmo: {populations: 4}}   # per-method options
    grid:
      - problem: split_pareto         # a key, a list of keys, or "all"
        size: [small, paper]
        seeds: {start: 0, stop: 100}  # or a list [0, 1, 2]
        params: {}                    # extra generate() keyword arguments, each a list (axis)
        methods: [enumerate, {method: mtmgmo, label: mtmgmo-8, options: {populations: 8}}]
      - folder: instances/            # every *.json below it, relative to the spec file

Every value a grid entry leaves out (``methods``, ``time_limit``, ``method_seeds``) is taken
from the top level; ``options`` are merged (entry over top level, method entry over both).

A run is identified by a key, a hash of what determines its result: the instance id, the
method's registry name and label, its options, time limit and seed. The same key in the
results folder means the run is finished and is skipped when the spec is run again.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from edgesplit.errors import InputError, from_validation_error

__all__ = [
    "GridEntry",
    "MethodEntry",
    "Plugin",
    "Run",
    "SeedRange",
    "Spec",
    "load_spec",
    "plan",
    "run_key",
]

TimeLimit = float | None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class SeedRange(_Strict):
    """Seeds ``start, start + 1, ..., stop - 1`` (``stop`` excluded, as Python's ``range``)."""

    start: int = Field(default=0, ge=0)
    stop: int = Field(ge=0)

    def values(self) -> list[int]:
        """The seeds as a list."""
        return list(range(self.start, self.stop))


class MethodEntry(_Strict):
    """One method of a grid entry, when it needs options or a label of its own.

    ``label`` is the name the method has in the results (default: the method's name); give
    one whenever the same method runs twice with different options.
    """

    method: str = Field(min_length=1)
    label: str | None = Field(default=None, min_length=1)
    options: dict[str, Any] = Field(default_factory=dict)
    time_limit: TimeLimit | list[TimeLimit] = Field(
        default=None, description="Overrides the entry's time limit(s) for this method.")


MethodsField = Literal["all"] | list[str | MethodEntry]


class GridEntry(_Strict):
    """Instances generated from a grid of (problem, size, seed, params), or read from a folder."""

    problem: str | list[str] | None = None
    size: str | list[str] = "small"
    seeds: list[int] | SeedRange | None = None
    params: dict[str, list[Any]] = Field(default_factory=dict)
    folder: str | None = None
    pattern: str = "*.json"
    methods: MethodsField | None = None
    time_limit: TimeLimit | list[TimeLimit] = None
    method_seeds: list[int] | None = Field(default=None, min_length=1)
    options: dict[str, dict[str, Any]] = Field(default_factory=dict)

    @field_validator("params", mode="before")
    @classmethod
    def _params_are_axes(cls, value: Any) -> Any:
        if isinstance(value, dict):
            for k, v in value.items():
                if not isinstance(v, list) or not v:
                    raise ValueError(f"params.{k}: must be a non-empty list of values (a grid "
                                     f"axis); wrap a list-valued parameter in a list")
        return value


class Spec(_Strict):
    """A whole sweep: defaults and a list of grid entries."""

    name: str | None = Field(default=None, min_length=1)
    results: str | None = None
    imports: list[str] = Field(default_factory=list)
    methods: MethodsField = "all"
    time_limit: TimeLimit | list[TimeLimit] = None
    method_seeds: list[int] = Field(default_factory=lambda: [0], min_length=1)
    options: dict[str, dict[str, Any]] = Field(default_factory=dict)
    grid: list[GridEntry] = Field(min_length=1)
    base_dir: str = Field(default=".", exclude=True,
                          description="Folder relative paths are read from (the spec's own).")


@dataclass(frozen=True)
class Plugin:
    """A module that registers extra methods: a module name, or a file's name and source.

    The source of a ``.py`` file travels with every run so that remote Dask workers, which
    may not see the file, import the same code.
    """

    name: str
    source: str | None = None


@dataclass(frozen=True)
class Run:
    """One (instance, method) pair of a sweep, everything a worker needs to run it.

    ``source`` says how to build the instance: ``{"generate": {"size", "seed", "params"}}``
    or ``{"file": its path, "text": the file's JSON}``.
    """

    key: str
    sweep: str
    instance_id: str
    problem: str
    source: dict[str, Any]
    method: str
    method_name: str
    options: dict[str, Any]
    time_limit: float | None
    seed: int
    plugins: tuple[Plugin, ...] = field(default=(), compare=False)

    def params(self) -> dict[str, Any]:
        """Generator parameters (empty for a file instance)."""
        return dict(self.source.get("generate", {}).get("params", {}))


def _canonical(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), allow_nan=False)


def run_key(instance_id: str, method_name: str, label: str, options: dict[str, Any],
            time_limit: float | None, seed: int) -> str:
    """The identity of a run: a hash of everything that determines its result."""
    ident = {"instance": instance_id, "method": method_name, "label": label,
             "options": options, "time_limit": time_limit, "seed": seed}
    return hashlib.sha256(_canonical(ident).encode()).hexdigest()[:24]


# ----------------------------------------------------------------------------- loading
def load_spec(source: str | os.PathLike[str] | dict[str, Any] | Spec) -> Spec:
    """Read and validate a spec from a YAML/JSON file, a dictionary, or a :class:`Spec`.

    Relative paths in a file's spec (``results``, ``folder``, ``imports``) are read from the
    file's folder; in a dictionary, from the current folder unless it sets ``base_dir``.

    Raises
    ------
    InputError
        Naming the field and the reason for any bad spec.
    """
    if isinstance(source, Spec):
        return source
    if isinstance(source, dict):
        data, base, stem = dict(source), Path(source.get("base_dir", ".")), None
    else:
        path = Path(source)
        data, base, stem = _read_spec_file(path), path.parent, path.stem
    if not isinstance(data, dict):
        raise InputError("spec", f"must be a mapping of settings, got {type(data).__name__}")
    data["base_dir"] = str(base)
    if stem is not None and data.get("name") is None:
        data["name"] = stem
    try:
        return Spec.model_validate(data)
    except ValidationError as exc:
        raise from_validation_error(exc) from None


def _read_spec_file(path: Path) -> Any:
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        if not path.is_file():
            raise InputError("spec", f"{path}: no such file")
        try:
            return yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            raise InputError("spec", f"{path}: not valid YAML{where}") from None
        except UnicodeDecodeError:
            raise InputError("spec", f"{path}: not UTF-8 text") from None
    if path.suffix.lower() == ".json":
        from edgesplit.io import load_json

        return load_json(path, what="spec")
    raise InputError("spec", f"{path}: expected a .yaml, .yml or .json file")


# ----------------------------------------------------------------------------- plugins
def load_plugins(spec: Spec) -> tuple[Plugin, ...]:
    """Read the spec's ``imports``: ``.py`` files (with their source) or module names."""
    plugins = []
    for i, item in enumerate(spec.imports):
        if item.endswith(".py"):
            path = Path(spec.base_dir) / item
            if not path.is_file():
                raise InputError(f"imports.{i}", f"{path}: no such file")
            text = path.read_text(encoding="utf-8")
            digest = hashlib.sha256(text.encode()).hexdigest()[:12]
            plugins.append(Plugin(f"edgesplit_plugin_{path.stem}_{digest}", text))
        else:
            plugins.append(Plugin(item))
    return tuple(plugins)


def import_plugins(plugins: tuple[Plugin, ...]) -> None:
    """Import every plugin once in this process (so that its methods are registered)."""
    import importlib
    import sys
    import types

    for plugin in plugins:
        if plugin.name in sys.modules:
            continue
        if plugin.source is None:
            try:
                importlib.import_module(plugin.name)
            except ImportError as exc:
                raise InputError("imports", f"cannot import {plugin.name!r}: {exc}") from None
            continue
        module = types.ModuleType(plugin.name)
        module.__file__ = f"<sweep plugin {plugin.name}>"
        sys.modules[plugin.name] = module
        try:
            exec(compile(plugin.source, module.__file__, "exec"), module.__dict__)
        except BaseException:
            del sys.modules[plugin.name]
            raise


# ----------------------------------------------------------------------------- expansion
def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _check_time_limits(values: list[TimeLimit], where: str) -> list[TimeLimit]:
    for t in values:
        if t is not None and not t > 0:
            raise InputError(where, f"a time limit must be a positive number of seconds or "
                                    f"null (got {t})")
    return values


def _problems(entry: GridEntry, where: str) -> list[str]:
    from edgesplit.formulations import available_problems, get_problem

    names = _as_list(entry.problem)
    if names == ["all"]:
        return available_problems()
    for name in names:
        try:
            get_problem(name)
        except InputError as exc:
            raise InputError(f"{where}.problem", exc.reason) from None
    return names


def _generator_params(problem: str, params: dict[str, list[Any]], where: str) -> None:
    """Check that the problem's ``generate`` takes every extra parameter."""
    from edgesplit.formulations import get_problem

    sig = inspect.signature(get_problem(problem).generate)
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in sig.parameters.values())
    for name in params:
        if name in ("seed", "size"):
            raise InputError(f"{where}.params.{name}", "set seeds and size with 'seeds' and "
                                                       "'size', not params")
        if name not in sig.parameters and not takes_any:
            raise InputError(f"{where}.params.{name}", f"{problem}.generate() takes no "
                                                       f"parameter {name!r}")


def _grid_points(params: dict[str, list[Any]]) -> list[dict[str, Any]]:
    import itertools

    names = sorted(params)
    return [dict(zip(names, combo, strict=True))
            for combo in itertools.product(*(params[n] for n in names))]


@dataclass
class _Method:
    name: str
    label: str
    options: dict[str, Any]
    time_limits: list[TimeLimit]
    randomized: bool


def _methods(spec: Spec, entry: GridEntry, problem: str, where: str) -> list[_Method]:
    """Resolve the entry's methods for ``problem``, checking names and option names."""
    from edgesplit.solvers import available_methods

    registry = available_methods(problem)
    chosen = entry.methods if entry.methods is not None else spec.methods
    items: list[str | MethodEntry] = list(registry) if chosen == "all" else list(chosen)
    limits = spec.time_limit if "time_limit" not in entry.model_fields_set else entry.time_limit
    out: dict[str, _Method] = {}
    for i, item in enumerate(items):
        m = MethodEntry(method=item) if isinstance(item, str) else item
        if m.method not in registry:
            if chosen == "all":
                continue
            listed = ", ".join(registry) or "none yet"
            raise InputError(f"{where}.methods.{i}", f"unknown method {m.method!r} for "
                                                      f"{problem}; available: {listed}")
        options = {**spec.options.get(m.method, {}), **entry.options.get(m.method, {}),
                   **m.options}
        _check_options(registry[m.method].func, m.method, options, f"{where}.methods.{i}")
        label = m.label or m.method
        if label in out:
            raise InputError(f"{where}.methods.{i}", f"method label {label!r} appears twice; "
                                                      "give each variant its own label")
        tl = m.time_limit if "time_limit" in m.model_fields_set else limits
        out[label] = _Method(m.method, label, options,
                             _check_time_limits(_as_list(tl), f"{where}.time_limit"),
                             registry[m.method].randomized)
    return list(out.values())


def _check_options(func: Any, method: str, options: dict[str, Any], where: str) -> None:
    params = inspect.signature(func).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return
    for name in options:
        if name in ("time_limit", "seed"):
            raise InputError(f"{where}.options.{name}", "set it with the spec's 'time_limit' "
                                                        "or 'method_seeds'")
        if name not in params:
            raise InputError(f"{where}.options.{name}", f"method {method!r} takes no option "
                                                        f"{name!r}")


def _file_instances(spec: Spec, entry: GridEntry, where: str,
                    warnings: list[str]) -> list[tuple[str, str, dict[str, Any]]]:
    """``(instance id, problem, source)`` for every instance file of a folder entry."""
    from edgesplit.io import load_instance, load_json

    folder = Path(spec.base_dir) / str(entry.folder)
    if not folder.is_dir():
        raise InputError(f"{where}.folder", f"{folder}: no such folder")
    out = []
    for path in sorted(folder.rglob(entry.pattern)):
        rel = path.relative_to(folder).as_posix()
        try:
            data = load_json(path, what="instance")
            inst = load_instance(data)
        except InputError as exc:
            warnings.append(f"skipped {path}: {exc}")
            continue
        text = path.read_text(encoding="utf-8")
        digest = hashlib.sha256(text.encode()).hexdigest()[:12]
        out.append((f"{rel}@{digest}", inst.problem,
                    {"file": os.path.normpath(path), "text": text}))
    if not out and not warnings:
        warnings.append(f"{where}.folder: no file matches {entry.pattern!r} in {folder}")
    return out


def _generated_instances(problem: str, entry: GridEntry,
                         where: str) -> list[tuple[str, str, dict[str, Any]]]:
    if entry.seeds is None:
        raise InputError(f"{where}.seeds", "required with 'problem' (a list of seeds or "
                                           "{start, stop})")
    seeds = entry.seeds.values() if isinstance(entry.seeds, SeedRange) else entry.seeds
    _generator_params(problem, entry.params, where)
    out = []
    for size in _as_list(entry.size):
        if size not in ("small", "paper"):
            raise InputError(f"{where}.size", f"must be 'small' or 'paper' (got {size!r})")
        for point in _grid_points(entry.params):
            extra = "".join(f",{k}={_canonical(v)}" for k, v in sorted(point.items()))
            for seed in seeds:
                ident = f"{problem}/{size}/seed={seed}{extra}"
                out.append((ident, problem,
                            {"generate": {"size": size, "seed": int(seed), "params": point}}))
    return out


def plan(spec: Spec, warnings: list[str] | None = None) -> list[Run]:
    """Expand a spec into its runs, each once (duplicates across entries are merged).

    Parameters
    ----------
    spec
        A validated spec (:func:`load_spec`).
    warnings
        If given, collects notes on skipped instance files.

    Raises
    ------
    InputError
        For an unknown problem or method, an option a method does not take, a generator
        parameter ``generate`` does not take, a bad time limit or a missing folder.
    """
    warnings = [] if warnings is None else warnings
    plugins = load_plugins(spec)
    import_plugins(plugins)
    name = spec.name or "sweep"
    runs: dict[str, Run] = {}
    for e, entry in enumerate(spec.grid):
        where = f"grid.{e}"
        if (entry.problem is None) == (entry.folder is None):
            raise InputError(where, "give either 'problem' (generated instances) or 'folder' "
                                    "(instance files)")
        if entry.folder is not None:
            instances = _file_instances(spec, entry, where, warnings)
        else:
            instances = [i for p in _problems(entry, where)
                         for i in _generated_instances(p, entry, where)]
        method_seeds = entry.method_seeds or spec.method_seeds
        methods_of: dict[str, list[_Method]] = {}
        for ident, problem, source in instances:
            if problem not in methods_of:
                methods_of[problem] = _methods(spec, entry, problem, where)
            for m in methods_of[problem]:
                for tl in m.time_limits:
                    for seed in (method_seeds if m.randomized else method_seeds[:1]):
                        key = run_key(ident, m.name, m.label, m.options, tl, seed)
                        runs.setdefault(key, Run(key, name, ident, problem, source, m.label,
                                                 m.name, m.options, tl, int(seed), plugins))
    return list(runs.values())
