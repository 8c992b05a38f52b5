"""Unit helpers. Everything inside edgesplit is SI: seconds, bytes, FLOP, FLOP/s, bit/s.

The papers mix units (000 eq. 5 divides bits by 8 to get bytes and then divides by a rate in
bit/s; 002 quotes ResNet34's "3.68 GFLOPS", which is a MAC count). These helpers make every
conversion explicit and named.
"""

from __future__ import annotations

import re

__all__ = [
    "BITS_PER_BYTE",
    "GIB",
    "KIB",
    "MIB",
    "parse_quantity",
    "slots",
    "transfer_time",
]

BITS_PER_BYTE = 8
KIB = 1024
MIB = 1024**2
GIB = 1024**3

_PREFIX = {"": 1.0, "k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15,
           "Ki": 2.0**10, "Mi": 2.0**20, "Gi": 2.0**30, "Ti": 2.0**40, "m": 1e-3, "u": 1e-6,
           "µ": 1e-6, "n": 1e-9}

# unit -> (SI quantity name, factor to the SI unit edgesplit uses)
_UNITS = {
    "bit/s": ("bit/s", 1.0), "bps": ("bit/s", 1.0), "b/s": ("bit/s", 1.0),
    "B/s": ("bit/s", 8.0), "Bps": ("bit/s", 8.0),
    "B": ("bytes", 1.0), "byte": ("bytes", 1.0), "bytes": ("bytes", 1.0),
    "bit": ("bytes", 1.0 / 8.0), "b": ("bytes", 1.0 / 8.0),
    "FLOP/s": ("FLOP/s", 1.0), "FLOPS": ("FLOP/s", 1.0), "flop/s": ("FLOP/s", 1.0),
    "FLOP": ("FLOP", 1.0), "flop": ("FLOP", 1.0),
    "s": ("s", 1.0), "Hz": ("Hz", 1.0),
}
_QUANTITY = re.compile(r"^\s*([-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([A-Za-zµ/]*)\s*$")


def parse_quantity(text: str | float | int, expect: str | None = None) -> float:
    """Parse ``"4 Mbit/s"``, ``"16 GiB"``, ``"640 GFLOP/s"``, ``"1 ms"`` into SI units.

    Parameters
    ----------
    text
        A number (returned as is) or a number followed by a unit with an optional SI or
        binary prefix.
    expect
        If given, the SI quantity the unit must denote (``"bit/s"``, ``"bytes"``,
        ``"FLOP/s"``, ``"FLOP"``, ``"s"``).

    Returns
    -------
    float
        The value in edgesplit's SI unit for that quantity.

    Raises
    ------
    ValueError
        If the text is not a number with a known unit, or the unit is not ``expect``.
    """
    if isinstance(text, (int, float)):
        return float(text)
    match = _QUANTITY.match(text)
    if not match:
        raise ValueError(f"cannot read {text!r} as a quantity")
    number, unit = float(match.group(1)), match.group(2)
    if unit == "":
        return number
    for prefix in sorted(_PREFIX, key=len, reverse=True):
        if unit.startswith(prefix) and unit[len(prefix):] in _UNITS:
            quantity, factor = _UNITS[unit[len(prefix):]]
            if expect is not None and quantity != expect:
                raise ValueError(f"{text!r} is in {quantity}, expected {expect}")
            return number * _PREFIX[prefix] * factor
    raise ValueError(f"unknown unit {unit!r} in {text!r}")


def transfer_time(nbytes: float, rate_bit_s: float, latency_s: float = 0.0) -> float:
    """Seconds to send ``nbytes`` over a link of ``rate_bit_s`` with a fixed latency.

    This is 000 eq. 6 (``t = o_i / V``) with the byte/bit conversion made explicit.
    """
    return latency_s + BITS_PER_BYTE * nbytes / rate_bit_s


def slots(seconds: float, slot_s: float) -> int:
    """Number of whole slots of length ``slot_s`` needed to cover ``seconds`` (003's slots)."""
    if seconds <= 0:
        return 0
    import math

    return math.ceil(seconds / slot_s - 1e-9)
