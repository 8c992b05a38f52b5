"""Errors that reach users as one line.

Bad input (an unreadable or invalid instance, an unknown problem or method, an out-of-range
option) is raised as :class:`InputError`, which names the offending field and the reason. The
CLI prints ``error: <field>: <reason>`` and exits with code 2; the Python API lets it propagate.
"""

from __future__ import annotations

from typing import Any

__all__ = ["InputError", "from_validation_error"]


class InputError(ValueError):
    """Invalid user input, naming the field and the reason.

    Parameters
    ----------
    field
        Dotted path of the offending field (``"nodes.3.flops"``), or a name such as
        ``"instance"``, ``"method"`` or ``"problem"`` when the input as a whole is wrong.
    reason
        Why the value is rejected, in one line.
    """

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = " ".join(str(reason).split())
        super().__init__(f"{field}: {self.reason}")


def _loc_to_path(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc) if loc else "(root)"


def from_validation_error(exc: Any, prefix: str = "") -> InputError:
    """Turn a pydantic ``ValidationError`` into a one-line :class:`InputError`.

    The first error is reported in full; the count of further errors is appended.

    Parameters
    ----------
    exc
        The ``pydantic.ValidationError``.
    prefix
        Dotted prefix for the field path (used when validating a nested document).
    """
    errors = exc.errors(include_url=False)
    if not errors:  # pragma: no cover - pydantic always lists at least one error
        return InputError(prefix or "(root)", str(exc))
    first = errors[0]
    path = _loc_to_path(tuple(first.get("loc", ())))
    if prefix:
        path = prefix if path == "(root)" else f"{prefix}.{path}"
    reason = str(first.get("msg", "invalid value"))
    if first.get("type") == "value_error":
        # a validator's ValueError("<field>: <reason>") names its own field
        reason = reason.removeprefix("Value error, ")
        head, sep, rest = reason.partition(": ")
        if sep and head and " " not in head:
            path = head if path == "(root)" else f"{path}.{head}"
            reason = rest
    if first.get("type") not in ("missing", "extra_forbidden") and "input" in first:
        shown = repr(first["input"])
        if len(shown) <= 60:
            reason = f"{reason} (got {shown})"
    if len(errors) > 1:
        reason += f" (and {len(errors) - 1} more error{'s' if len(errors) > 2 else ''})"
    return InputError(path, reason)
