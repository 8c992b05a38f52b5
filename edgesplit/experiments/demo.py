"""The main job of ``make demo``: the whole pipe on one real model.

Profile torchvision's ResNet-34 on this machine (torch.fx DAG, FLOPs, bytes, measured
latency), build 000's split problem with 000's hardware (8-core edge, A100 cloud; the link is
our assumption, 000 reports none), solve it exactly (the whole Pareto front), verify the result
with ``evaluate``, print the front and plot completion time and edge memory use per split (as
000 Figs. 6-8).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from edgesplit.formulations import split_pareto as sp
from edgesplit.io import save_json
from edgesplit.profiles import get_device, get_link, load_profile
from edgesplit.solvers import solve

__all__ = ["plot_split_curves", "run"]


def plot_split_curves(inst: sp.Instance, front: list[int], chosen: int, path: Path,
                      title: str) -> Path:
    """Completion time and edge memory use against split point (000 Figs. 6-8)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    k = np.arange(inst.N + 1)
    times = sp.completion_times(inst)
    used = 100 * sp.memory_utilisation(inst)
    ok = sp.feasible_splits(inst)
    fig, ax = plt.subplots(figsize=(9, 4.2))
    ax.plot(k, times, "o-", color="tab:blue", label="completion time T_k (eq. 8-10)")
    ax.plot(k[front], times[front], "s", ms=9, mfc="none", color="black", label="Pareto front")
    ax.plot([chosen], [times[chosen]], "*", ms=16, color="tab:red", label=f"chosen: {chosen}")
    if (~ok).any():
        ax.plot(k[~ok], times[~ok], "x", color="tab:gray", ms=9, label="violates C3")
    ax.set_xlabel("split point k (layers 1..k on the edge)")
    ax.set_ylabel("completion time (s)")
    ax.set_yscale("log")
    ax2 = ax.twinx()
    ax2.plot(k, used, "^--", color="tab:green", label="edge memory use r_m,k (eq. 12)")
    ax2.set_ylabel("edge memory use (%)")
    lines = ax.get_legend_handles_labels()
    lines2 = ax2.get_legend_handles_labels()
    ax.legend(lines[0] + lines2[0], lines[1] + lines2[1], fontsize=8, loc="lower right",
              framealpha=0.9)
    ax.yaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
    ax.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def run(out: Path, quick: bool = False, model: str = "resnet34", num: float = 5000.0,
        mode: str = "training") -> list[Path]:
    """Run the demo; returns the files written under ``out``."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    out = Path(out)
    try:
        from edgesplit.profiles import profile_model

        console.print(f"[bold]1. profile[/] {model} at 1x3x32x32 on this machine (torch.fx)")
        prof = profile_model(model, (1, 3, 32, 32), repeats=3 if quick else 20,
                             warmup=1 if quick else 3, name=f"{model}_32")
        source = "measured here"
    except ImportError:
        prof = load_profile(f"{model}_32")
        source = "bundled (torch not installed)"
    s = prof.summary()
    console.print(f"   {s['nodes']} nodes, {s['joins']} residual joins, {s['chain_cut_points']} "
                  f"chain cut points, {s['gmacs']:.3f} GMACs, {s['params_m']:.1f} M params, "
                  f"{s['latency_ms']:.1f} ms ({source})")
    edge, cloud, link = get_device("paper000-edge"), get_device("paper000-cloud"), \
        get_link("paper000-wan")
    inst = sp.from_profile(prof, edge, cloud, link, num=num, mode=mode)
    console.print(f"[bold]2. instance[/] split_pareto (000 eq. 13): N = {inst.N} layers, "
                  f"{mode} on batches of {num:g} CIFAR-size images, edge {edge.flops / 1e9:.0f} "
                  f"GFLOP/s and {edge.memory_bytes / 2**30:.0f} GiB, cloud A100 "
                  f"{cloud.flops / 1e12:.1f} TFLOP/s, link {link.bandwidth_bit_s / 1e6:.0f} "
                  "Mbit/s")
    result = solve(inst, "enumerate")
    console.print(f"[bold]3. solve[/] enumerate: {result.status} in {result.runtime_s * 1e3:.2f}"
                  f" ms; {result.message}")
    ev = result.info["evaluation"]
    console.print(f"[bold]4. verify[/] evaluate: feasible={ev.feasible}, objectives "
                  f"T={ev.objectives['T']:.4g} s, "
                  f"memory unused={ev.objectives['memory_unused']:.4f}")
    table = Table(title="Pareto front of 000 eq. 13 (* = chosen by the knee rule)")
    for col in ("k", "last edge layer", "T_k (s)", "r_m,k", "1 - r_m,k", ""):
        table.add_column(col, justify="right", no_wrap=True)
    times, used = sp.completion_times(inst), sp.memory_utilisation(inst)
    chosen = result.solution["split"]
    for k in result.solution["front"]:
        table.add_row(str(k), inst.layers[k - 1] if k else "(all in cloud)",
                      f"{times[k]:.4g}", f"{100 * used[k]:.2f} %", f"{1 - used[k]:.4f}",
                      "*" if k == chosen else "")
    console.print(table)
    written = [save_json(inst.to_json(), out / "demo_instance.json"),
               save_json(result.to_json(indent=1), out / "demo_result.json")]
    written.append(plot_split_curves(
        inst, result.solution["front"], chosen, out / "demo_split_pareto.png",
        f"{model} 32x32, {mode}, batch {num:g}: 000's edge/cloud/link"))
    for p in written:
        console.print(f"wrote {p}")
    return written
