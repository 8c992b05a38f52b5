"""Profile a torch model node by node with torch.fx (needs torch).

The model is traced with ``torch.fx.symbolic_trace`` so that branches and skip connections
stay a DAG. Each node is run by an fx ``Interpreter`` that records its output shape and bytes,
and times it: ``warmup`` untimed passes, then ``repeats`` timed passes, keeping the median and
the interquartile range of each node's time. Work is counted analytically per node (000 eq. 1-2
for conv and linear, element counts for the rest; docs/profiles.md has the table) and checked
against ``torch.utils.flop_counter`` by the tests.
"""

from __future__ import annotations

import math
import operator
import platform
import time
from typing import Any

import numpy as np

from edgesplit.profiles.profile import LayerNode, Profile, numel

__all__ = ["count_work", "profile_model"]

_FUNCTION_NAMES = {operator.add: "add", operator.mul: "mul", operator.sub: "sub",
                   operator.truediv: "div", operator.getitem: "getitem",
                   operator.iadd: "add", operator.imul: "mul", operator.matmul: "matmul"}
_ELEMENTWISE = {"relu", "relu6", "gelu", "silu", "sigmoid", "tanh", "hardswish", "hardsigmoid",
                "leakyrelu", "elu", "add", "mul", "sub", "div", "softmax", "logsoftmax",
                "dropout", "identity"}
_FREE = {"flatten", "view", "reshape", "dropout", "identity", "getitem", "cat", "permute",
         "transpose", "contiguous", "size", "squeeze", "unsqueeze", "expand", "chunk", "split",
         "input", "constant", "getattr", "stochasticdepth"}


def _op_name(node: Any, modules: dict[str, Any]) -> str:
    if node.op == "placeholder":
        return "input"
    if node.op == "get_attr":
        return "constant"
    if node.op == "call_module":
        return type(modules[node.target]).__name__.lower()
    if node.op == "call_method":
        return str(node.target).lower()
    fn = node.target
    if fn in _FUNCTION_NAMES:
        return _FUNCTION_NAMES[fn]
    return getattr(fn, "__name__", str(fn)).lower().lstrip("_")


def _tensors(value: Any) -> list[Any]:
    import torch

    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in _tensors(v)]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _tensors(v)]
    return []


def _pair(v: Any, n: int = 2) -> tuple[int, ...]:
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * n


def count_work(op: str, module: Any, inputs: list[Any], output: Any) -> tuple[int, int, dict]:
    """MACs, FLOPs and attributes of one node from its module and its actual tensors.

    Conv (any dimension): ``MACs = numel(out) * C_in/groups * prod(kernel)``; linear:
    ``MACs = numel(out) * in_features``; ``FLOPs = 2 * MACs`` for both (000 eq. 1 and 2).
    Batch norm: 2 FLOPs per element; max/avg pooling: kernel size per output element; adaptive
    pooling: one per input element; element-wise ops and activations: one per output element;
    shape-only ops: zero.
    """
    import torch
    from torch import nn

    outs = _tensors(output)
    out_numel = sum(t.numel() for t in outs)
    ins = [t for v in inputs for t in _tensors(v)]
    in_numel = sum(t.numel() for t in ins)
    attrs: dict[str, Any] = {}
    macs = 0
    flops = 0
    if isinstance(module, nn.modules.conv._ConvNd):
        k = math.prod(module.kernel_size)
        if isinstance(module, nn.modules.conv._ConvTransposeNd):
            macs = in_numel * (module.out_channels // module.groups) * k
        else:
            macs = out_numel * (module.in_channels // module.groups) * k
        flops = 2 * macs
        attrs = {"in_channels": module.in_channels, "out_channels": module.out_channels,
                 "kernel_size": list(module.kernel_size), "stride": list(module.stride),
                 "padding": list(module.padding) if not isinstance(module.padding, str)
                 else module.padding, "dilation": list(module.dilation),
                 "groups": module.groups, "bias": module.bias is not None}
        if ins:
            attrs["input_shape"] = list(ins[0].shape)
    elif isinstance(module, nn.Linear):
        macs = out_numel * module.in_features
        flops = 2 * macs
        attrs = {"in_features": module.in_features, "out_features": module.out_features,
                 "bias": module.bias is not None}
    elif isinstance(module, (nn.modules.batchnorm._BatchNorm, nn.GroupNorm, nn.LayerNorm,
                             nn.modules.instancenorm._InstanceNorm)):
        flops = 2 * out_numel
    elif isinstance(module, (nn.MaxPool2d, nn.AvgPool2d, nn.MaxPool1d, nn.AvgPool1d)):
        flops = out_numel * math.prod(_pair(module.kernel_size, 2 if "2d" in op else 1))
        attrs = {"kernel_size": list(_pair(module.kernel_size)),
                 "stride": list(_pair(module.stride or module.kernel_size)),
                 "padding": list(_pair(module.padding))}
    elif op.startswith("adaptive") or op in ("mean", "adaptive_avg_pool2d"):
        flops = in_numel
    elif op in ("matmul", "bmm", "mm"):
        if len(ins) >= 2 and ins[0].dim() >= 1:
            macs = out_numel * ins[0].shape[-1]
            flops = 2 * macs
    elif op in _FREE:
        flops = 0
    elif op in _ELEMENTWISE or isinstance(module, nn.Module) or op:
        flops = out_numel if outs and outs[0].dtype.is_floating_point else 0
    if isinstance(output, torch.Tensor) and output.dtype == torch.bool:
        flops = 0
    return int(macs), int(flops), attrs


def profile_model(module: Any, input_shape: tuple[int, ...] | list[int] = (1, 3, 224, 224), *,
                  device: str = "cpu", repeats: int = 20, warmup: int = 3,
                  name: str | None = None, dtype: str = "float32", seed: int = 0,
                  measure: bool = True) -> Profile:
    """Trace ``module`` with torch.fx and record per-node work, bytes and latency.

    Parameters
    ----------
    module
        An ``nn.Module`` (put in eval mode here), a torchvision model name, or
        ``"package.module:factory"``.
    input_shape
        Shape of the input tensor, batch first.
    device
        Torch device to run on (``"cpu"``).
    repeats, warmup
        Timed and untimed passes; the median over ``repeats`` is each node's latency.
    name
        Model name to record (default: the spec or the class name).
    dtype
        Input dtype (``"float32"``).
    seed
        Seed of the random input (profiles need no trained weights).
    measure
        Time the nodes (False: work and bytes only, latencies left empty).

    Returns
    -------
    Profile
        Nodes in topological order, the input first.
    """
    import torch
    import torch.fx as fx

    from edgesplit.profiles.zoo import resolve_model

    if isinstance(module, str):
        name = name or module
        module = resolve_model(module)
    name = name or type(module).__name__
    if repeats < 1 or warmup < 0:
        raise ValueError("repeats must be >= 1 and warmup >= 0")
    module = module.eval().to(device)
    gm = fx.symbolic_trace(module)
    modules = dict(gm.named_modules())
    torch_dtype = getattr(torch, dtype)
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(*input_shape, generator=gen, dtype=torch_dtype).to(device)

    nodes = [n for n in gm.graph.nodes if n.op != "output"]
    times: dict[str, list[float]] = {n.name: [] for n in nodes}
    outputs: dict[str, Any] = {}
    inputs_seen: dict[str, list[Any]] = {}
    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)

    class Timed(fx.Interpreter):
        record = False

        def run_node(self, n: Any) -> Any:
            if not self.record or n.op == "output":
                return super().run_node(n)
            sync()
            t0 = time.perf_counter()
            out = super().run_node(n)
            sync()
            times[n.name].append(time.perf_counter() - t0)
            if n.name not in outputs:
                outputs[n.name] = out
                inputs_seen[n.name] = [self.env[a] for a in n.all_input_nodes]
            return out

    interp = Timed(gm)
    with torch.inference_mode():
        for _ in range(warmup if measure else 0):
            interp.run(x)
        interp.record = True
        for _ in range(repeats if measure else 1):
            interp.run(x)

    out_node = next(n for n in gm.graph.nodes if n.op == "output")
    out_names = [a.name for a in out_node.all_input_nodes]
    records: list[LayerNode] = []
    for n in nodes:
        op = _op_name(n, modules)
        mod = modules.get(n.target) if n.op == "call_module" else None
        value = outputs[n.name]
        tensors = _tensors(value)
        shape = list(tensors[0].shape) if len(tensors) == 1 else []
        nbytes = sum(t.numel() * t.element_size() for t in tensors)
        macs, flops, attrs = count_work(op, mod, inputs_seen[n.name], value)
        params = sum(p.numel() for p in mod.parameters(recurse=False)) if mod is not None else 0
        pbytes = sum(p.numel() * p.element_size() for p in mod.parameters(recurse=False)) \
            if mod is not None else 0
        if mod is not None:
            buffers = sum(b.numel() * b.element_size() for b in mod.buffers(recurse=False))
            pbytes += buffers
        if op == "constant":
            params, pbytes = numel(shape), nbytes
        t = np.array(times[n.name]) if measure else np.array([])
        records.append(LayerNode(
            name=n.name,
            op=op,
            target=str(n.target) if n.op in ("call_module", "get_attr", "call_method")
            else getattr(n.target, "__name__", str(n.target)),
            inputs=[a.name for a in n.all_input_nodes],
            output_shape=shape,
            dtype=str(tensors[0].dtype).replace("torch.", "") if tensors else "none",
            output_bytes=int(nbytes),
            params=int(params),
            param_bytes=int(pbytes),
            macs=macs,
            flops=flops,
            latency_s=float(np.median(t)) if t.size else None,
            latency_spread_s=float(np.subtract(*np.percentile(t, [75, 25]))) if t.size else None,
            attrs=attrs,
        ))
    return Profile(
        model=name,
        input_shape=list(input_shape),
        dtype=dtype,
        device=device,
        outputs=out_names,
        nodes=records,
        measurement={
            "torch": torch.__version__,
            "threads": torch.get_num_threads(),
            "warmup": warmup if measure else 0,
            "repeats": repeats if measure else 0,
            "machine": platform.machine(),
            "processor": platform.processor() or platform.machine(),
            "python": platform.python_version(),
            "timed": measure,
            "date": time.strftime("%Y-%m-%d"),
        },
    )
