"""Model definitions the bundled profiles need beyond torchvision's (needs torch).

- :func:`alexnet_cifar`: AlexNet for 32x32 inputs. torchvision's AlexNet cannot run at 32x32
  (its third max-pool sees a 1x1 map), yet 000 runs "AlexNet" on CIFAR-10 and reports 13
  hidden layers in its feature part. This is the usual CIFAR adaptation with the same layer
  sequence as torchvision's ``features`` (5 convs, 3 max-pools, 13 modules) and classifier.
- :func:`paper004_alexnet`, :func:`paper004_vgg16`: the conv stacks of 004 Tables 2 and 3,
  convolutions and fully connected layers only, stride 1, no padding, no pooling (the tables
  list none). Table 2's first FC input 6400 = 256 x 5 x 5 is exactly what five unpadded convs
  (8, 8, 7, 6, 3) leave of a 32x32 CIFAR image. Table 3's 100352 = 512 x 14 x 14 is what
  thirteen unpadded 3x3 convs leave of a 40x40 input (a 32x32 input would leave 6 x 6), so
  the VGG-16 stack is built for 40x40: the only input size for which Table 3 is consistent
  under its own reading. ReLUs follow every layer but the last.
"""

from __future__ import annotations

from typing import Any

__all__ = ["alexnet_cifar", "paper004_alexnet", "paper004_vgg16", "resolve_model"]


def alexnet_cifar(num_classes: int = 10) -> Any:
    """AlexNet adapted to 32x32 inputs (13 feature modules, as 000 counts them)."""
    from torch import nn

    features = nn.Sequential(
        nn.Conv2d(3, 64, kernel_size=3, stride=2, padding=1), nn.ReLU(inplace=True),
        nn.MaxPool2d(kernel_size=2),
        nn.Conv2d(64, 192, kernel_size=3, padding=1), nn.ReLU(inplace=True),
        nn.MaxPool2d(kernel_size=2),
        nn.Conv2d(192, 384, kernel_size=3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(384, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(256, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
        nn.MaxPool2d(kernel_size=2),
    )
    classifier = nn.Sequential(
        nn.Flatten(),
        nn.Dropout(), nn.Linear(256 * 2 * 2, 4096), nn.ReLU(inplace=True),
        nn.Dropout(), nn.Linear(4096, 4096), nn.ReLU(inplace=True),
        nn.Linear(4096, num_classes),
    )
    return nn.Sequential(features, classifier)


def _stack(convs: list[tuple[int, int, int]], fcs: list[tuple[int, int]]) -> Any:
    from torch import nn

    layers: list[Any] = []
    for c_in, c_out, k in convs:
        layers += [nn.Conv2d(c_in, c_out, kernel_size=k, stride=1, padding=0), nn.ReLU()]
    layers.append(nn.Flatten())
    for i, (n_in, n_out) in enumerate(fcs):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(fcs) - 1:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def paper004_alexnet(in_channels: int = 3, num_classes: int = 100) -> Any:
    """004 Table 2: five unpadded stride-1 convs and three FCs, for 32x32 inputs."""
    return _stack([(in_channels, 96, 8), (96, 256, 8), (256, 384, 7), (384, 384, 6),
                   (384, 256, 3)],
                  [(6400, 4096), (4096, 4096), (4096, num_classes)])


def paper004_vgg16(in_channels: int = 3, num_classes: int = 100) -> Any:
    """004 Table 3: thirteen unpadded 3x3 stride-1 convs and three FCs, for 40x40 inputs."""
    chans = [in_channels, 64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512, 512]
    return _stack([(chans[i], chans[i + 1], 3) for i in range(13)],
                  [(100352, 4096), (4096, 4096), (4096, num_classes)])


def resolve_model(spec: str, num_classes: int | None = None) -> Any:
    """Build a model from a torchvision model name or ``package.module:factory``.

    Parameters
    ----------
    spec
        ``"resnet34"`` (any torchvision classification model, built without weights) or
        ``"package.module:factory"`` (a callable returning an ``nn.Module``).
    num_classes
        Passed to the factory when given.

    Raises
    ------
    ValueError
        If the name is not a torchvision classification model or the factory cannot be
        imported.
    """
    import importlib

    kwargs = {} if num_classes is None else {"num_classes": num_classes}
    if ":" in spec:
        module_name, _, attr = spec.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise ValueError(f"cannot import {module_name!r} ({exc})") from None
        factory = getattr(module, attr, None)
        if factory is None or not callable(factory):
            raise ValueError(f"{module_name!r} has no callable {attr!r}")
        return factory(**kwargs)
    import torchvision

    names = torchvision.models.list_models(module=torchvision.models)
    if spec not in names:
        raise ValueError(f"{spec!r} is not a torchvision classification model "
                         f"(e.g. {', '.join(sorted(names)[:6])}, ...) nor package.module:factory")
    return torchvision.models.get_model(spec, weights=None, **kwargs)
