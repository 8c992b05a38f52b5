"""Writing a problem's exact model to a file other solvers read (LP, MPS, NL, GMS)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from edgesplit.errors import InputError
from edgesplit.formulations import get_problem
from edgesplit.formulations.base import InstanceBase

__all__ = ["PYOMO_FORMATS", "export_model"]

#: Suffixes Pyomo writes (it picks the writer by suffix).
PYOMO_FORMATS = (".lp", ".mps", ".nl", ".gms")


def export_model(instance: InstanceBase | dict[str, Any] | str, path: str | os.PathLike[str],
                 **options: Any) -> Path:
    """Write the instance's exact model in the format given by ``path``'s suffix.

    Parameters
    ----------
    instance
        An instance, its dictionary, or a path to its JSON file.
    path
        Output file; ``.lp``, ``.mps``, ``.nl`` or ``.gms``, as the problem's model allows
        (its module's ``EXPORT_FORMATS``).
    **options
        Passed to the problem's ``build_pyomo`` (e.g. ``epsilon`` for split_pareto).

    Returns
    -------
    Path
        The written file. Variable and constraint names are the model's (symbolic labels), so
        the file shows the paper's equation names.
    """
    from edgesplit.io import load_instance

    instance = load_instance(instance)
    module = get_problem(instance.problem)
    path = Path(path)
    suffix = path.suffix.lower()
    allowed = tuple(getattr(module, "EXPORT_FORMATS", ()))
    if not hasattr(module, "build_pyomo") or not allowed:
        raise InputError("output", f"problem {instance.problem} has no exportable model")
    if suffix not in allowed:
        raise InputError("output", f"cannot write {suffix or 'a file without suffix'} for "
                                   f"{instance.problem}; formats: {', '.join(allowed)}")
    if hasattr(module, "export"):
        module.export(instance, path, **options)
        return path
    model = module.build_pyomo(instance, **options)
    path.parent.mkdir(parents=True, exist_ok=True)
    model.write(str(path), io_options={"symbolic_solver_labels": True})
    return path
