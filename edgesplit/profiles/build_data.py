"""Regenerate the bundled profiles: ``python -m edgesplit.profiles.build_data [--repeats N]``.

Profiles are measured on the machine that runs this (latencies are that machine's; work and
bytes are exact). The bundled set:

===================  ==========================================  =============
name                 model                                       input
===================  ==========================================  =============
alexnet_224          torchvision alexnet (1000 classes)          1x3x224x224
vgg16_224            torchvision vgg16 (1000 classes)            1x3x224x224
resnet34_224         torchvision resnet34 (1000 classes)         1x3x224x224
alexnet_32           :func:`~edgesplit.profiles.zoo.alexnet_cifar` (10 classes)  1x3x32x32
vgg16_32             torchvision vgg16 (10 classes)              1x3x32x32
resnet34_32          torchvision resnet34 (10 classes)           1x3x32x32
paper004_alexnet     004 Table 2 conv stack (100 classes)        1x3x32x32
paper004_vgg16       004 Table 3 conv stack (100 classes)        1x3x40x40
===================  ==========================================  =============
"""

from __future__ import annotations

import argparse
from pathlib import Path

from edgesplit.profiles.profile import Profile

BUNDLED: dict[str, tuple[str, tuple[int, ...], int | None]] = {
    "alexnet_224": ("alexnet", (1, 3, 224, 224), None),
    "vgg16_224": ("vgg16", (1, 3, 224, 224), None),
    "resnet34_224": ("resnet34", (1, 3, 224, 224), None),
    "alexnet_32": ("edgesplit.profiles.zoo:alexnet_cifar", (1, 3, 32, 32), 10),
    "vgg16_32": ("vgg16", (1, 3, 32, 32), 10),
    "resnet34_32": ("resnet34", (1, 3, 32, 32), 10),
    "paper004_alexnet": ("edgesplit.profiles.zoo:paper004_alexnet", (1, 3, 32, 32), 100),
    "paper004_vgg16": ("edgesplit.profiles.zoo:paper004_vgg16", (1, 3, 40, 40), 100),
}


def build(name: str, repeats: int, warmup: int) -> Profile:
    """Profile one bundled model by its bundled name."""
    import torch

    from edgesplit.profiles.torch_profiler import profile_model
    from edgesplit.profiles.zoo import resolve_model

    spec, shape, classes = BUNDLED[name]
    torch.manual_seed(0)
    model = resolve_model(spec, num_classes=classes)
    return profile_model(model, shape, repeats=repeats, warmup=warmup, name=name)


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("names", nargs="*", default=list(BUNDLED))
    args = parser.parse_args()
    out = Path(__file__).parent / "data"
    for name in args.names:
        profile = build(name, args.repeats, args.warmup)
        (out / f"{name}.json").write_text(profile.to_json(indent=1) + "\n")
        print(name, profile.summary())


if __name__ == "__main__":
    main()
