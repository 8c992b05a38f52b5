"""004's height split run in torch (Sec. 3.3): is it lossless? (needs torch)

Each server computes the output rows ``[e, l)`` of a conv from the input rows it needs, the
halo included: in padded coordinates the rows ``e s .. (l - 1) s + dil (kh - 1)``. 004 writes
``s_1 = e`` and ``s_2 = h - (b - l)`` (1-based, inclusive), which is the same set for stride 1
without padding, where ``h = b + kh - 1``. Rows that fall into the conv's zero padding are
padded on the server (only the first and last parts have any), so the parts need no data they
do not get. The controller stacks the parts along the height (004's "merge"); ReLU, pooling and
the FC layers run whole, as in 004 Fig. 1.

``halo=False`` is an ablation: each part gets only the input rows that line up with its output
rows (``e s .. l s - 1``) and zeros where the kernel reaches past them, as a split that forgot
the kernel's overlap would. :func:`compare` reports how far either is from the unsplit model.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn

from edgesplit.errors import InputError
from edgesplit.formulations.conv_split import row_blocks

__all__ = ["compare", "even_rows", "split_conv2d", "split_forward"]


def even_rows(b: int, servers: int) -> list[int]:
    """``b`` rows over ``servers`` parts as evenly as possible, larger parts first."""
    base, extra = divmod(b, servers)
    return [base + (1 if m < extra else 0) for m in range(servers)]


def split_conv2d(conv: nn.Conv2d, x: torch.Tensor, rows: list[int],
                 halo: bool = True) -> torch.Tensor:
    """Run ``conv`` on ``x`` as ``len(rows)`` height parts of ``rows[m]`` output rows each and
    stack the parts (004 Sec. 3.3). Servers with 0 rows get nothing."""
    if conv.padding_mode != "zeros" or isinstance(conv.padding, str):
        raise InputError("model", "the split handles numeric zero padding only")
    kh, s = conv.kernel_size[0], conv.stride[0]
    ph, pw = conv.padding
    dil = conv.dilation[0]
    height = x.shape[2]
    b = (height + 2 * ph - dil * (kh - 1) - 1) // s + 1
    if sum(rows) != b:
        raise InputError("rows", f"the parts have {sum(rows)} rows, the conv's output {b}")
    parts = []
    for first, last in row_blocks(rows):  # output rows [first, last)
        if last == first:
            continue
        top = first * s - ph  # first input row the part reads (may be in the padding)
        bottom = (last - 1) * s - ph + dil * (kh - 1) + 1  # one past the last
        src_top = max(0, top)
        src_bottom = min(height, bottom if halo else min(bottom, last * s - ph))
        piece = x[:, :, src_top:max(src_top, src_bottom), :]
        piece = F.pad(piece, (pw, pw, src_top - top, bottom - max(src_top, src_bottom)))
        parts.append(F.conv2d(piece, conv.weight, conv.bias, stride=conv.stride, padding=0,
                              dilation=conv.dilation, groups=conv.groups))
    return torch.cat(parts, dim=2)


def _layers(model: nn.Module) -> list[Any]:
    """The model as a flat list of modules and ``"flatten"`` markers."""
    if isinstance(model, nn.Sequential):
        out: list[Any] = []
        for child in model:
            out += _layers(child)
        return out
    if all(hasattr(model, a) for a in ("features", "avgpool", "classifier")):
        return [*_layers(model.features), model.avgpool, "flatten", *_layers(model.classifier)]
    return [model]


@torch.no_grad()
def split_forward(model: nn.Module, x: torch.Tensor, rows: list[list[int]] | int,
                  halo: bool = True) -> torch.Tensor:
    """Forward ``x`` through ``model`` with every ``Conv2d`` split by height.

    Parameters
    ----------
    model
        An ``nn.Sequential`` (nested ones too), or a torchvision-style model with ``features``,
        ``avgpool`` and ``classifier`` (AlexNet, VGG).
    x
        Input batch.
    rows
        Rows per server of each conv, in the order the convs run (a conv_split solution's
        ``d``), or a number of servers to split every conv evenly over.
    halo
        Give each part its input halo (the method of 004); ``False`` is the ablation above.
    """
    model.eval()
    conv_index = 0
    for layer in _layers(model):
        if isinstance(layer, str):
            x = torch.flatten(x, 1)
        elif isinstance(layer, nn.Conv2d):
            if isinstance(rows, int):
                b = (x.shape[2] + 2 * layer.padding[0] - layer.dilation[0]
                     * (layer.kernel_size[0] - 1) - 1) // layer.stride[0] + 1
                part = even_rows(b, rows)
            else:
                if conv_index >= len(rows):
                    raise InputError("rows", f"the model has more than {len(rows)} convs")
                part = list(rows[conv_index])
            x = split_conv2d(layer, x, part, halo=halo)
            conv_index += 1
        else:
            x = layer(x)
    return x


@torch.no_grad()
def compare(model: nn.Module, inputs: torch.Tensor, rows: list[list[int]] | int,
            halo: bool = True, batch: int = 8) -> dict[str, float]:
    """Split against unsplit on ``inputs``: the largest absolute and relative output
    difference and the share of inputs whose top-1 class agrees."""
    model.eval()
    diffs, scale, agree = [], [], []
    for chunk in torch.split(inputs, batch):
        ref = model(chunk)
        out = split_forward(model, chunk, rows, halo=halo)
        diffs.append(float((out - ref).abs().max()))
        scale.append(float(ref.abs().max()))
        agree.append((out.argmax(1) == ref.argmax(1)).float().numpy())
    top1 = float(np.concatenate(agree).mean())
    return {"max_abs_diff": max(diffs), "max_abs_output": max(scale),
            "max_rel_diff": max(diffs) / max(max(scale), 1e-30), "top1_agreement": top1,
            "inputs": int(inputs.shape[0])}
