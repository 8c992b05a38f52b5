"""Reading instance, solution and profile files with one-line errors for every bad input."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from edgesplit.errors import InputError, from_validation_error
from edgesplit.formulations import get_problem
from edgesplit.formulations.base import InstanceBase

__all__ = ["MAX_FILE_BYTES", "load_instance", "load_json", "load_solution", "save_json"]

#: Largest JSON file edgesplit reads (instances of the papers' scale are a few MB).
MAX_FILE_BYTES = 256 * 1024 * 1024


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number JSON allows")


def load_json(source: str | os.PathLike[str], what: str = "file",
              max_bytes: int = MAX_FILE_BYTES) -> Any:
    """Read a JSON file, turning every failure into a one-line :class:`InputError`.

    ``NaN``, ``Infinity`` and ``-Infinity`` (which Python's json accepts) are rejected.
    """
    path = Path(source)
    label = str(path)
    if not path.exists():
        raise InputError(what, f"{label}: no such file")
    if path.is_dir():
        raise InputError(what, f"{label}: is a directory, not a file")
    size = path.stat().st_size
    if size == 0:
        raise InputError(what, f"{label}: file is empty")
    if size > max_bytes:
        raise InputError(what, f"{label}: file is {size / 2**20:.0f} MiB, larger than the "
                               f"{max_bytes / 2**20:.0f} MiB limit")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(what, f"{label}: not UTF-8 text ({exc.reason} at byte {exc.start})") \
            from None
    except OSError as exc:
        raise InputError(what, f"{label}: cannot read ({exc.strerror})") from None
    if not text.strip():
        raise InputError(what, f"{label}: file holds only white space")
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise InputError(what, f"{label}: not valid JSON ({exc.msg} at line {exc.lineno}, "
                               f"column {exc.colno})") from None
    except ValueError as exc:
        raise InputError(what, f"{label}: not valid JSON ({exc})") from None
    except RecursionError:
        raise InputError(what, f"{label}: JSON nested too deeply") from None


def _check_finite(data: Any, path: str = "") -> None:
    """Reject non-finite floats anywhere (also in free-form fields such as ``meta``)."""
    if isinstance(data, float) and not math.isfinite(data):
        raise InputError(path or "(root)", f"must be a finite number (got {data})")
    if isinstance(data, dict):
        for k, v in data.items():
            _check_finite(v, f"{path}.{k}" if path else str(k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            _check_finite(v, f"{path}.{i}" if path else str(i))


def load_instance(source: str | os.PathLike[str] | dict[str, Any] | InstanceBase) -> InstanceBase:
    """Load and validate an instance from a file path, a dictionary, or an instance.

    Parameters
    ----------
    source
        Path to an instance JSON file, its parsed dictionary, or an already built instance.

    Returns
    -------
    InstanceBase
        The problem's validated ``Instance``.

    Raises
    ------
    InputError
        On any bad input, naming the field and the reason.
    """
    if isinstance(source, InstanceBase):
        return source
    data = source if isinstance(source, dict) else load_json(source, what="instance")
    if not isinstance(data, dict):
        raise InputError("(root)", f"an instance must be a JSON object, got "
                                   f"{type(data).__name__}")
    if "problem" not in data:
        raise InputError("problem", "field required (the problem key, e.g. 'split_pareto')")
    version = data.get("schema_version", 1)
    if version != 1:
        raise InputError("schema_version", f"unsupported schema version {version!r}; this "
                                           "edgesplit reads version 1")
    module = get_problem(data["problem"])
    _check_finite(data)
    try:
        return module.Instance.model_validate(data)
    except ValidationError as exc:
        raise from_validation_error(exc) from None
    except ValueError as exc:  # a model validator raised a plain ValueError
        raise InputError("instance", str(exc)) from None


def load_solution(instance: InstanceBase,
                  source: str | os.PathLike[str] | dict[str, Any] | BaseModel) -> BaseModel:
    """Load a solution for ``instance``: a bare solution object or a whole result JSON.

    A result JSON (one with a ``"solution"`` key) is accepted so that the output of
    ``edgesplit solve --json`` can be fed to ``edgesplit evaluate`` as it is.
    """
    module = get_problem(instance.problem)
    if isinstance(source, module.Solution):
        return source
    if isinstance(source, BaseModel):
        source = source.model_dump()
    data = source if isinstance(source, dict) else load_json(source, what="solution")
    if not isinstance(data, dict):
        raise InputError("solution", f"must be a JSON object, got {type(data).__name__}")
    prefix = ""
    if "solution" in data and "status" in data:
        if data.get("problem") not in (None, instance.problem):
            raise InputError("problem", f"the result is for {data.get('problem')!r}, the "
                                        f"instance for {instance.problem!r}")
        data = data["solution"]
        prefix = "solution"
        if data is None:
            status = source.get("status") if isinstance(source, dict) else "?"
            raise InputError("solution", f"the result holds no solution (status {status})")
    _check_finite(data, prefix)
    try:
        return module.Solution.model_validate(data)
    except ValidationError as exc:
        raise from_validation_error(exc, prefix=prefix) from None


def save_json(data: Any, path: str | os.PathLike[str]) -> Path:
    """Write JSON (a JSON-able object or ready JSON text) atomically; return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    text = data if isinstance(data, str) else json.dumps(data, indent=1, allow_nan=False)
    tmp.write_text(text + ("\n" if not text.endswith("\n") else ""), encoding="utf-8")
    os.replace(tmp, path)
    return path
