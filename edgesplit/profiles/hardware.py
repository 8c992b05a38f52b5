"""Devices and links: a small validated catalogue with each paper's settings.

A device is described by its FLOP/s, either computed as cores x clock x FLOP per cycle
(000 eq. 3) or measured, and its memory; a link by its bandwidth and latency (000 eq. 6-7).
The bundled catalogue (``data/hardware.json``) records where every number comes from and which
numbers are our assumptions because the paper leaves them out.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from edgesplit.errors import InputError

__all__ = ["Catalogue", "Device", "Link", "get_device", "get_link", "hardware_catalogue"]

Pos = Annotated[float, Field(gt=0, allow_inf_nan=False)]
NonNeg = Annotated[float, Field(ge=0, allow_inf_nan=False)]


class Device(BaseModel):
    """A compute node (end device, edge server or cloud).

    Attributes
    ----------
    flops
        Peak FLOP/s used by the models. If ``cores``, ``clock_hz`` and ``flop_per_cycle`` are
        given and ``flops`` is not, it is their product (000 eq. 3).
    memory_bytes
        Total memory (000's M_total).
    idle_memory_bytes
        Memory in use without the task (000's M_wait).
    threads, flops_per_thread
        For 004's thread allocation: threads in the server's resource zone and FLOP/s each.
    power_w
        Power draw under load, for energy models (001 eq. 18-20).
    source
        Where the numbers come from (paper, section, datasheet) and which are assumed.
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    name: str
    flops: Pos | None = None
    cores: Annotated[int, Field(gt=0)] | None = None
    clock_hz: Pos | None = None
    flop_per_cycle: Pos | None = None
    memory_bytes: Pos | None = None
    idle_memory_bytes: NonNeg | None = None
    threads: Annotated[int, Field(gt=0)] | None = None
    flops_per_thread: Pos | None = None
    power_w: Pos | None = None
    source: str = ""

    @model_validator(mode="after")
    def _fill_flops(self) -> Device:
        if self.flops is None:
            if self.cores and self.clock_hz and self.flop_per_cycle:
                object.__setattr__(self, "flops",
                                   self.cores * self.clock_hz * self.flop_per_cycle)
            elif self.threads and self.flops_per_thread:
                object.__setattr__(self, "flops", self.threads * self.flops_per_thread)
            else:
                raise ValueError(f"device {self.name!r}: give flops, or cores, clock_hz and "
                                 "flop_per_cycle (000 eq. 3)")
        return self

    @classmethod
    def measured(cls, name: str, profile: Any, **fields: Any) -> Device:
        """A device whose FLOP/s is measured: a profile's FLOPs over its measured latency."""
        latency = profile.total_latency_s
        if not latency:
            raise ValueError("the profile has no measured latencies")
        return cls(name=name, flops=profile.total_flops / latency,
                   source=f"measured: {profile.model} {profile.input_shape} on "
                          f"{profile.measurement.get('processor', '?')}", **fields)


class Link(BaseModel):
    """A network link: bandwidth in bit/s and a fixed latency in seconds.

    ``uplink_bit_s`` and ``downlink_bit_s`` default to ``bandwidth_bit_s`` (000 eq. 6 uses
    three rates: transfer, uplink and downlink). ``bandwidth_range`` is the interval a paper
    draws the bandwidth from, if it gives one.
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    name: str
    bandwidth_bit_s: Pos
    uplink_bit_s: Pos | None = None
    downlink_bit_s: Pos | None = None
    latency_s: NonNeg = 0.0
    bandwidth_range: tuple[Pos, Pos] | None = None
    source: str = ""

    @property
    def up(self) -> float:
        """Uplink rate (bit/s)."""
        return self.uplink_bit_s or self.bandwidth_bit_s

    @property
    def down(self) -> float:
        """Downlink rate (bit/s)."""
        return self.downlink_bit_s or self.bandwidth_bit_s


class Catalogue(BaseModel):
    """The hardware catalogue: devices and links by name."""

    model_config = ConfigDict(extra="forbid")

    devices: list[Device]
    links: list[Link]

    @model_validator(mode="after")
    def _unique(self) -> Catalogue:
        for kind, items in (("device", self.devices), ("link", self.links)):
            names = [x.name for x in items]
            dupes = sorted({n for n in names if names.count(n) > 1})
            if dupes:
                raise ValueError(f"{kind} names must be unique: {', '.join(dupes)}")
        return self

    def device(self, name: str) -> Device:
        """The device called ``name``."""
        for d in self.devices:
            if d.name == name:
                return d
        raise InputError("device", f"unknown device {name!r}; known: "
                                   f"{', '.join(d.name for d in self.devices)}")

    def link(self, name: str) -> Link:
        """The link called ``name``."""
        for link in self.links:
            if link.name == name:
                return link
        raise InputError("link", f"unknown link {name!r}; known: "
                                 f"{', '.join(x.name for x in self.links)}")


@lru_cache(maxsize=1)
def hardware_catalogue() -> Catalogue:
    """The bundled catalogue: every ``edgesplit/profiles/data/hardware*.json``, merged."""
    folder = resources.files("edgesplit.profiles") / "data"
    devices: list[Any] = []
    links: list[Any] = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.startswith("hardware") and entry.name.endswith(".json"):
            data = json.loads(entry.read_text())
            devices += data.get("devices", [])
            links += data.get("links", [])
    return Catalogue.model_validate({"devices": devices, "links": links})


def get_device(name: str) -> Device:
    """A device of the bundled catalogue by name."""
    return hardware_catalogue().device(name)


def get_link(name: str) -> Link:
    """A link of the bundled catalogue by name."""
    return hardware_catalogue().link(name)
