"""Per-layer profiles of DNNs and a hardware catalogue.

Nothing here imports torch unless :func:`profile_model` is called, so that solving from the
bundled profiles needs no torch.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from edgesplit.errors import InputError, from_validation_error
from edgesplit.profiles.hardware import Device, Link, get_device, get_link, hardware_catalogue
from edgesplit.profiles.profile import ChainView, CutPoint, LayerNode, Profile

__all__ = [
    "ChainView",
    "CutPoint",
    "Device",
    "LayerNode",
    "Link",
    "Profile",
    "bundled_profiles",
    "get_device",
    "get_link",
    "hardware_catalogue",
    "load_profile",
    "profile_model",
]


def profile_model(module: Any, input_shape: tuple[int, ...] | list[int] = (1, 3, 224, 224),
                  device: str = "cpu", repeats: int = 20, **kwargs: Any) -> Profile:
    """Profile a torch model per node with torch.fx (needs the ``torch`` extra).

    See :func:`edgesplit.profiles.torch_profiler.profile_model` for all parameters.
    """
    try:
        from edgesplit.profiles.torch_profiler import profile_model as _profile
    except ImportError as exc:  # pragma: no cover - torch is installed in dev setups
        raise ImportError("profiling needs torch: pip install 'edgesplit[torch]'") from exc
    return _profile(module, input_shape, device=device, repeats=repeats, **kwargs)


def _data_dir() -> Path:
    return Path(str(resources.files("edgesplit.profiles") / "data"))


def bundled_profiles() -> list[str]:
    """Names of the bundled profiles (``resnet34_224``, ``vgg16_32``, ...)."""
    return sorted(p.stem for p in _data_dir().glob("*.json") if not p.stem.startswith("hardware"))


@lru_cache(maxsize=32)
def _load_bundled(name: str) -> Profile:
    return Profile.model_validate_json((_data_dir() / f"{name}.json").read_text())


def load_profile(source: str | os.PathLike[str] | dict[str, Any]) -> Profile:
    """Load a profile: a bundled name (``"resnet34_224"``), a JSON file, or a dictionary.

    Raises
    ------
    InputError
        Naming the field and the reason if the profile is invalid.
    """
    if isinstance(source, dict):
        data = source
    elif isinstance(source, str) and source in bundled_profiles():
        return _load_bundled(source)
    else:
        path = Path(source)
        if not path.exists() and isinstance(source, str) and os.sep not in source \
                and not source.endswith(".json"):
            raise InputError("profile", f"{source!r} is neither a bundled profile "
                                        f"({', '.join(bundled_profiles())}) nor a file")
        from edgesplit.io import load_json

        data = load_json(path, what="profile")
    if not isinstance(data, dict):
        raise InputError("profile", f"must be a JSON object, got {type(data).__name__}")
    try:
        return Profile.model_validate(data)
    except ValidationError as exc:
        raise from_validation_error(exc, prefix="profile") from None


def dumps(profile: Profile) -> str:
    """The profile as indented JSON text."""
    return json.dumps(json.loads(profile.to_json(indent=None)), indent=1)
