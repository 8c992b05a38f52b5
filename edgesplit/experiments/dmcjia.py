"""Reproduce 002 (Zheng 2021, DMCJIA) and add what the paper never had: the exact optimum.

``edgesplit reproduce dmcjia`` writes ``out/dmcjia/``:

- ``fig4_resnet34.png``: work and transfer delay at 1 Mbit/s per split of ResNet34 (002 Fig. 4),
  with our mapping of 002's 34 layers onto the profile;
- ``fig5_convergence.png``: the GA's best average delay per generation for D = 5, 10, 15, 20
  (002 Fig. 5: lambda = 1/s, B = 1 Mbit/s), with the exact optimum;
- ``fig6_bandwidth.png``: average delay against bandwidth 0.5-5 Mbit/s for every method
  (002 Fig. 6: 10 nodes at 5 G, lambda = 1/s), with the exact optimum;
- ``fig_gaps.png``: every heuristic's gap to the optimum on Table 5 instances as D grows, and the
  exact methods' run times;
- ``inner.png`` and a table: the paper's augmented Lagrangian against the exact share solve;
- ``report.md``, ``results.json``, ``claims.json``.

Settings are 002 Table 5 on the bundled ``resnet34_224`` profile (work in MAC: 002's 3.68 G).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from edgesplit.formulations import joint_split_share as js
from edgesplit.io import save_json
from edgesplit.results import _clean
from edgesplit.solvers import solve

__all__ = ["run"]

HEURISTICS = ("dmcjia", "dmcjia-exact-inner", "neurosurgeon", "greedy", "cloud-only")
COLORS = {"optimum": "black", "dmcjia": "tab:red", "dmcjia-exact-inner": "tab:orange",
          "neurosurgeon": "tab:blue", "greedy": "tab:green", "cloud-only": "tab:purple"}


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: Path) -> Path:
    """Lay out, write as PNG and close a figure."""
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    _plt().close(fig)
    return path


def _loglog(ax: Any, xlabel: str, ylabel: str, title: str) -> None:
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)
    ax.set_title(title, fontsize=9)


def _run_method(inst: js.Instance, name: str, seed: int, time_limit: float | None = None
                ) -> dict[str, Any]:
    method, options = name, {}
    if name == "dmcjia-exact-inner":
        method, options = "dmcjia", {"inner": "exact"}
    t = time.perf_counter()
    r = solve(inst, method, seed=seed, time_limit=time_limit, **options)
    wall = time.perf_counter() - t
    return {"method": name, "status": str(r.status), "objective": r.objective,
            "bound": r.bound, "runtime_s": wall, "message": r.message,
            "history": r.info.get("history"), "nodes": r.info.get("bb_nodes"),
            "gamma": (r.solution or {}).get("gamma")}


# ----------------------------------------------------------------------------- Fig. 4
def _fig4(folder: Path) -> tuple[dict[str, Any], Path]:
    from edgesplit.profiles import load_profile

    prof = load_profile("resnet34_224")
    task = js.task_model_from_profile(prof)
    chain = js.task_model_from_profile(prof, cuts="chain")
    C = np.asarray(task.C)
    M = np.asarray(task.M)
    per_layer = np.diff(C)
    trans_ms = 8 * M[:-1] / 1e6 * 1e3  # at 1 Mbit/s, splits 0..Gamma-1
    plt = _plt()
    fig, ax = plt.subplots(figsize=(9, 4))
    x = np.arange(1, task.Gamma + 1)
    ax.bar(x, per_layer / 1e6, color="tab:blue", alpha=0.6, label="work of layer (M MAC)")
    ax.set_xlabel("layer gamma of ResNet34 (002's 34 layers)")
    ax.set_ylabel("M MAC")
    ax2 = ax.twinx()
    ax2.plot(np.arange(0, task.Gamma), trans_ms / 1e3, "o-", color="tab:red", ms=3,
             label="transfer delay at 1 Mbit/s after layer gamma (s)")
    ax2.set_ylabel("transfer delay (s)")
    lines = ax.get_legend_handles_labels()
    lines2 = ax2.get_legend_handles_labels()
    ax.legend(lines[0] + lines2[0], lines[1] + lines2[1], fontsize=8, loc="upper right")
    ax.set_title("ResNet34 224x224 (bundled profile): 002 Fig. 4 analogue", fontsize=10)
    path = _save(fig, folder / "fig4_resnet34.png")
    conv = per_layer[1:-1]
    data = {
        "gamma": task.Gamma, "chain_cut_points": chain.Gamma + 1,
        "total_gmac": float(C[-1] / 1e9), "total_gflop": prof.total_flops / 1e9,
        "params_m": prof.total_params / 1e6,
        "layer_mmac_min": float(conv.min() / 1e6), "layer_mmac_max": float(conv.max() / 1e6),
        "transfer_ms_max": float(trans_ms.max()), "transfer_ms_min": float(trans_ms.min()),
        "transfer_ms_spread": float(trans_ms.max() - trans_ms.min()),
        "transfer_ms_spread_chain": float(
            (8 * max(chain.M[:-1]) - 8 * min(chain.M[:-1])) / 1e6 * 1e3),
        "C": task.C, "M": task.M, "layers": task.layers,
    }
    return data, path


# ----------------------------------------------------------------------------- Fig. 5
def _fig5(folder: Path, quick: bool, seed: int) -> tuple[dict[str, Any], Path]:
    Ds = (5, 10, 15, 20)
    seeds = range(seed, seed + (1 if quick else 5))
    out: dict[str, Any] = {"D": list(Ds), "runs": []}
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for k, D in enumerate(Ds):
        for s in seeds:
            inst = js.table5_instance(D, seed=s, lam=1.0, bandwidth=1e6)
            ga = _run_method(inst, "dmcjia", s)
            opt = _run_method(inst, "decomposition", s)
            hist = [h if np.isfinite(h) else None for h in ga["history"]]
            last = max(i for i, h in enumerate(ga["history"])
                       if i == 0 or h < ga["history"][i - 1])
            out["runs"].append({"D": D, "seed": s, "history": hist,
                                "last_improvement": last, "final": ga["objective"],
                                "optimum": opt["objective"],
                                "optimum_all_local": all(
                                    g == inst.models[0].Gamma for g in opt["gamma"])})
            if s == seeds[0]:
                color = plt.cm.viridis(k / (len(Ds) - 1))
                ax.plot(range(len(hist)), [np.nan if h is None else h for h in hist],
                        color=color, label=f"DMCJIA, D = {D}")
                ax.axhline(opt["objective"], color=color, ls="--", lw=0.8)
    ax.set_xlabel("generation (002 Table 5: N = 32, K = 50)")
    ax.set_ylabel("average delay (s)")
    ax.set_title("002 Fig. 5: GA convergence (dashed: exact optimum), lambda = 1/s, "
                 "B = 1 Mbit/s", fontsize=9)
    ax.legend(fontsize=8)
    path = _save(fig, folder / "fig5_convergence.png")
    return out, path


# ----------------------------------------------------------------------------- Fig. 6
def _fig6(folder: Path, quick: bool, seed: int) -> tuple[dict[str, Any], Path]:
    bands = np.array([0.5, 1.0, 2.0, 3.0, 5.0]) if quick else np.round(np.arange(0.5, 5.01, 0.5), 2)
    methods = ("dmcjia", "neurosurgeon", "greedy", "cloud-only")
    out: dict[str, Any] = {"bandwidth_mbit_s": bands.tolist(), "methods": {}}
    rows: dict[str, list[float | None]] = {m: [] for m in (*methods, "optimum")}
    splits: list[list[int]] = []
    for B in bands:
        inst = js.table5_instance(10, seed=seed, lam=1.0, bandwidth=float(B) * 1e6,
                                  edge_flops=5e9)
        opt = _run_method(inst, "decomposition", seed)
        rows["optimum"].append(opt["objective"])
        splits.append(opt["gamma"])
        for m in methods:
            rows[m].append(_run_method(inst, m, seed)["objective"])
    out["methods"] = rows
    out["optimal_splits"] = splits
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for m, ys in rows.items():
        ax.plot(bands, [np.nan if y is None else y for y in ys], "o-" if m != "optimum" else "--",
                color=COLORS[m], label=m if m != "optimum" else "exact optimum", ms=4)
    ax.set_xlabel("bandwidth B (Mbit/s)")
    ax.set_ylabel("average delay (s)")
    ax.set_yscale("log")
    ax.set_title("002 Fig. 6: 10 nodes at 5 G MAC/s, lambda = 1/s", fontsize=10)
    ax.legend(fontsize=8)
    path = _save(fig, folder / "fig6_bandwidth.png")
    return out, path


# ----------------------------------------------------------------------------- gaps
def _gaps(folder: Path, quick: bool, seed: int) -> tuple[dict[str, Any], Path]:
    Ds = (5, 10, 20, 100) if quick else (5, 10, 20, 50, 100, 200, 500, 1000)
    seeds = range(seed, seed + (1 if quick else 3))
    exact_max_D = 20 if quick else 50
    limit = 60.0 if quick else 300.0
    runs = []
    for D in Ds:
        for s in seeds:
            inst = js.table5_instance(D, seed=s)
            row: dict[str, Any] = {"D": D, "seed": s}
            dec = _run_method(inst, "decomposition", s)
            row["decomposition"] = dec
            z = dec["objective"] if dec["status"] == "optimal" else None
            row["optimum"] = z
            if D <= exact_max_D:
                for m in ("minlp", "misocp"):
                    row[m] = _run_method(inst, m, s, time_limit=limit)
            for h in HEURISTICS:
                res = _run_method(inst, h, s)
                res["gap"] = (res["objective"] / z - 1.0) if (z and res["objective"]) else None
                res.pop("history", None)
                row[h] = res
            runs.append(row)
    plt = _plt()
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    for h in HEURISTICS:
        xs, ys = [], []
        for D in Ds:
            gaps = [r[h]["gap"] for r in runs if r["D"] == D and r[h]["gap"] is not None]
            if gaps:
                xs.append(D)
                ys.append(max(float(np.mean(gaps)), 1e-9))
        ax.plot(xs, ys, "s--" if h == "dmcjia-exact-inner" else "o-", color=COLORS[h],
                label=h, mfc="none" if h == "dmcjia-exact-inner" else None)
    _loglog(ax, "edge nodes D (Table 5 settings)", "mean gap to the optimum",
            "heuristic gaps (a missing point: no feasible answer)")
    for m, color in (("decomposition", "black"), ("minlp", "tab:brown"),
                     ("misocp", "tab:gray")):
        xs = [r["D"] for r in runs if m in r]
        ys = [r[m]["runtime_s"] for r in runs if m in r]
        ax2.plot(xs, ys, "o", color=color, label=m)
    _loglog(ax2, "edge nodes D", "wall time (s, shared machine)", "exact methods")
    path = _save(fig, folder / "fig_gaps.png")
    return {"D": list(Ds), "runs": runs, "exact_time_limit_s": limit}, path


# ----------------------------------------------------------------------------- inner method
def _inner(folder: Path, quick: bool, seed: int) -> tuple[dict[str, Any], Path]:
    from edgesplit.solvers.joint_split_share._shares import solve_shares
    from edgesplit.solvers.joint_split_share.dmcjia import alm_shares

    rng = np.random.default_rng(seed)
    settings = [("30x30 (default)", 30, 30), ("10x10", 10, 10), ("3x10", 3, 10)]
    Ds = (5, 20, 100)
    samples = 20 if quick else 100
    rows = []
    for D in Ds:
        inst = js.table5_instance(D, seed=seed)
        opts = js.options(inst)
        r = np.arange(D)
        cand = [np.flatnonzero(opts.usable[d]) for d in range(D)]
        taken = 0
        tries = 0
        while taken < samples and tries < 50 * samples:
            tries += 1
            g = np.array([rng.choice(c) for c in cand])
            a, lam, lo = opts.a[r, g], opts.lam[r, g], opts.delta_min[r, g]
            t0 = time.perf_counter()
            exact, _ = solve_shares(a, lam, lo)
            t_exact = time.perf_counter() - t0
            if exact is None:
                continue
            taken += 1
            f_exact = float(js.cloud_delay(a, lam, exact).sum())
            for label, outer, inner in settings:
                t0 = time.perf_counter()
                res = alm_shares(a, lam, lo, outer=outer, inner=inner)
                t_alm = time.perf_counter() - t0
                f = float(js.cloud_delay(a, lam, res.delta).sum())
                rows.append({"D": D, "setting": label, "rel_excess": f / f_exact - 1.0
                             if f_exact > 0 else 0.0, "overrun": res.overrun,
                             "outer": res.outer, "newton": res.newton,
                             "time_ratio": t_alm / max(t_exact, 1e-9)})
    summary = []
    for D in Ds:
        for label, _, _ in settings:
            sel = [x for x in rows if x["D"] == D and x["setting"] == label]
            if not sel:
                continue
            ex = np.array([x["rel_excess"] for x in sel])
            ov = np.array([x["overrun"] for x in sel])
            summary.append({"D": D, "setting": label, "samples": len(sel),
                            "rel_excess_median": float(np.median(ex)),
                            "rel_excess_max": float(ex.max()),
                            "overrun_share": float(np.mean(ov > 0)),
                            "overrun_max": float(max(ov.max(), 0.0)),
                            "newton_median": float(np.median([x["newton"] for x in sel])),
                            "time_ratio_median": float(np.median([x["time_ratio"]
                                                                  for x in sel]))})
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 4))
    for k, (label, _, _) in enumerate(settings):
        for j, D in enumerate(Ds):
            ex = [max(x["rel_excess"], 1e-17) for x in rows
                  if x["D"] == D and x["setting"] == label]
            ax.scatter(np.full(len(ex), j * 4 + k), ex, s=8,
                       color=plt.cm.tab10(k), label=label if j == 0 else None)
    ax.set_xticks([j * 4 + 1 for j in range(len(Ds))], [f"D = {D}" for D in Ds])
    ax.set_yscale("log")
    ax.set_ylabel("cloud delay above the exact share solve (relative)")
    ax.set_title("002's inner augmented Lagrangian (outer x Newton steps) vs exact", fontsize=9)
    ax.legend(fontsize=8)
    path = _save(fig, folder / "inner.png")
    return {"summary": summary}, path


# ----------------------------------------------------------------------------- claims
def _claims(res: dict[str, Any]) -> list[dict[str, Any]]:
    f4, f5, f6, gaps = res["fig4"], res["fig5"], res["fig6"], res["gaps"]
    claims = []

    def add(claim: str, paper: str, ours: str, holds: bool | None, note: str = "") -> None:
        claims.append({"claim": claim, "paper": paper, "ours": ours, "holds": holds,
                       "note": note})

    add("ResNet34 size", "3.68 G (Table 1) / 3.657 G (Sec. 4.1), 21.8 M parameters, 34 layers",
        f"{f4['total_gmac']:.3f} G MAC ({f4['total_gflop']:.2f} G FLOP), "
        f"{f4['params_m']:.1f} M parameters, {f4['gamma']} layers",
        abs(f4["total_gmac"] - 3.657) < 0.03 and f4["gamma"] == 34,
        "002's 'GFLOPS' are MACs; 34 layers = conv and fc layers on the main path")
    add("per-layer computation basically unchanged (Fig. 4)", "roughly constant",
        f"{f4['layer_mmac_min']:.0f}-{f4['layer_mmac_max']:.0f} M MAC per conv layer", True,
        "the fc layer (0.5 M MAC) is the exception")
    add("transfer delay varies by up to 2945 ms between splits at 1 MHz (Fig. 4)", "2945 ms",
        f"{f4['transfer_ms_spread']:.0f} ms at 1 Mbit/s (float32 tensors)", False,
        "002's figure is 4-9x below ours; it gives no tensor sizes or units (MHz for a "
        "bit rate), so its 2945 ms cannot be matched")
    runs5 = f5["runs"]
    conv_ok = all(r["last_improvement"] < 32 for r in runs5)
    by_D = {D: np.mean([r["last_improvement"] for r in runs5 if r["D"] == D])
            for D in f5["D"]}
    add("the GA converges within 32 iterations (Fig. 5)", "converges",
        "last improvement at generation " + ", ".join(f"D={D}: {v:.1f}"
                                                    for D, v in by_D.items()),
        conv_ok, "the best value stops changing, but not at the optimum (see gaps)")
    mono = all(np.diff(list(by_D.values())) >= 0)
    add("fewer nodes need fewer iterations (Fig. 5)", "yes", "mean last improvement "
        + (" <= ".join(f"{v:.1f}" for v in by_D.values()) if mono else
           ", ".join(f"{v:.1f}" for v in by_D.values())), bool(mono))
    final = {D: np.mean([r["final"] for r in runs5 if r["D"] == D and r["final"]])
             for D in f5["D"]}
    optimum = {D: np.mean([r["optimum"] for r in runs5 if r["D"] == D]) for D in f5["D"]}
    all_local = all(r["optimum_all_local"] for r in runs5)
    add("more nodes, larger average delay (Fig. 5)", "yes",
        "GA: " + ", ".join(f"{v:.3f}" for v in final.values()) + " s; optimum: "
        + ", ".join(f"{v:.3f}" for v in optimum.values()) + " s",
        bool(all(np.diff(list(optimum.values())) >= 0)),
        "at lambda = 1/s and 1 Mbit/s the optimum runs every task on its edge node"
        if all_local else "")
    rows = f6["methods"]
    bands = f6["bandwidth_mbit_s"]

    def drop(m: str) -> float | None:
        ys = rows[m]
        return None if ys[0] is None or ys[-1] is None else ys[0] - ys[-1]

    drops = {m: drop(m) for m in ("cloud-only", "greedy", "neurosurgeon", "dmcjia")}
    add("cloud-only is most affected by bandwidth and very poor at low bandwidth (Fig. 6)",
        "yes", f"delay {rows['cloud-only'][0]:.2f} s at {bands[0]} Mbit/s, "
               f"{rows['cloud-only'][-1]:.2f} s at {bands[-1]} Mbit/s",
        bool(drops["cloud-only"] is not None and all(
            drops["cloud-only"] >= (v or 0) for v in drops.values())))
    g = rows["greedy"]
    add("greedy decreases with bandwidth, but little (Fig. 6)", "small decline",
        f"{g[0]:.3f} -> {g[-1]:.3f} s" if g[0] and g[-1] else "no feasible answer",
        bool(g[0] and g[-1] and g[-1] <= g[0] and (g[0] - g[-1]) / g[0] < 0.5))
    n, d = rows["neurosurgeon"], rows["dmcjia"]
    close = [abs(a / b - 1) for a, b in zip(n, d, strict=True) if a and b]
    add("Neurosurgeon is close to DMCJIA (Fig. 6)", "close",
        f"max relative difference {max(close):.1%}" if close else "-",
        bool(close and max(close) < 0.1))
    best_h = [min((rows[m][i] for m in ("neurosurgeon", "greedy", "cloud-only")
                   if rows[m][i] is not None), default=np.inf) for i in range(len(bands))]
    wins = sum(1 for i in range(len(bands)) if d[i] and d[i] <= best_h[i] * (1 + 1e-9))
    add("DMCJIA beats the other algorithms (Sec. 4.2.2, Sec. 5)", "better",
        f"DMCJIA best of the heuristics at {wins} of {len(bands)} bandwidths (Fig. 6); "
        "on Table 5 instances see the gaps", wins == len(bands))
    gap_rows = gaps["runs"]
    dm = [r["dmcjia"]["gap"] for r in gap_rows if r["dmcjia"]["gap"] is not None]
    ns = [r["neurosurgeon"]["gap"] for r in gap_rows if r["neurosurgeon"]["gap"] is not None]
    failed = sorted({r["D"] for r in gap_rows if r["dmcjia"]["status"] != "feasible"})
    add("DMCJIA finds an approximately optimal solution (Sec. 3.3.2)", "approximately optimal",
        f"gap to the exact optimum: median {np.median(dm):.1%}, max {max(dm):.1%}; "
        f"Neurosurgeon median {np.median(ns):.1%}"
        + (f"; no feasible individual at D = {failed}" if failed else ""),
        bool(dm and np.median(dm) < 0.05),
        "measured against decomposition's proven optimum, which 002 never had")
    return claims


# ----------------------------------------------------------------------------- report
def _fmt(x: Any, spec: str = ".4g") -> str:
    if x is None:
        return "-"
    if isinstance(x, float):
        return format(x, spec) if np.isfinite(x) else "inf"
    return str(x)


def _report(res: dict[str, Any], quick: bool, elapsed: float) -> str:
    f4, f5, f6, gaps, inner = res["fig4"], res["fig5"], res["fig6"], res["gaps"], res["inner"]
    lines = [
        "# 002 (Zheng 2021, DMCJIA): reproduction and exact optima",
        "",
        f"Mode: {'quick' if quick else 'full'}; {elapsed:.0f} s on a shared 2-core machine "
        "(timings are under load). Settings: 002 Table 5 on the bundled ResNet34 224x224 "
        "profile, work in MAC (002's 3.68 G), F_c = 400 G MAC/s, F_d in {5..9} G MAC/s, "
        "lambda in {0.5, 1, 2}/s, B in {1..5} Mbit/s; GA: K = 50, N = 32, P1 = 0.01, "
        "P2 = 0.1. Model and choices: docs/joint_split_share.md.",
        "",
        "## Claims",
        "",
        "| claim | 002 | ours | holds |",
        "|---|---|---|---|",
    ]
    for c in res["claims"]:
        holds = {True: "yes", False: "no", None: "n/a"}[c["holds"]]
        note = f" ({c['note']})" if c["note"] else ""
        lines.append(f"| {c['claim']} | {c['paper']} | {c['ours']}{note} | {holds} |")
    lines += [
        "",
        "## ResNet34 as 002 sees it (Fig. 4)",
        "",
        f"{f4['gamma']} layers ({f4['gamma'] + 1} split points; the profile's chain view has "
        f"{f4['chain_cut_points']} single-tensor cut points), {f4['total_gmac']:.3f} G MAC, "
        f"{f4['params_m']:.1f} M parameters. A split inside a residual block sends two "
        "tensors. Transfer at 1 Mbit/s: "
        f"{f4['transfer_ms_min']:.0f} ms to {f4['transfer_ms_max']:.0f} ms.",
        "",
        "![Fig. 4](fig4_resnet34.png)",
        "",
        "## GA convergence (Fig. 5)",
        "",
        "| D | seed | GA after 32 generations (s) | exact optimum (s) | GA gap | last "
        "improvement |",
        "|---|---|---|---|---|---|",
    ]
    for r in f5["runs"]:
        gap = (r["final"] / r["optimum"] - 1) if r["final"] and r["optimum"] else None
        lines.append(f"| {r['D']} | {r['seed']} | {_fmt(r['final'])} | {_fmt(r['optimum'])} "
                     f"| {_fmt(gap, '.1%') if gap is not None else '-'} | "
                     f"{r['last_improvement']} |")
    lines += ["", "![Fig. 5](fig5_convergence.png)", "", "## Bandwidth (Fig. 6)", "",
              "| B (Mbit/s) | " + " | ".join(f6["methods"]) + " |",
              "|---" * (len(f6["methods"]) + 1) + "|"]
    for i, B in enumerate(f6["bandwidth_mbit_s"]):
        lines.append(f"| {B} | " + " | ".join(_fmt(v[i]) for v in f6["methods"].values())
                     + " |")
    lines += ["", "Optimal splits per bandwidth (all 10 nodes): "
              + "; ".join(f"{B}: {sorted(set(s))}" for B, s in
                          zip(f6["bandwidth_mbit_s"], f6["optimal_splits"], strict=True)),
              "", "![Fig. 6](fig6_bandwidth.png)", "",
              "## Exact optimum and heuristic gaps (Table 5 instances)", "",
              "| D | seed | optimum (s) | decomposition (s, B&B nodes) | minlp (s) | misocp (s) | "
              + " | ".join(f"{h} gap" for h in HEURISTICS) + " |",
              "|---" * (6 + len(HEURISTICS)) + "|"]
    for r in gaps["runs"]:
        def ex(m: str, r: dict[str, Any] = r) -> str:
            if m not in r:
                return "not run"
            x = r[m]
            if x["status"] != "optimal":
                return f"{x['status']} {_fmt(x['runtime_s'], '.1f')}"
            same = r["optimum"] and abs(x["objective"] / r["optimum"] - 1) <= 1e-6
            return f"{_fmt(x['runtime_s'], '.3f')}{'' if same else ' (differs!)'}"
        dec = r["decomposition"]
        cells = [str(r["D"]), str(r["seed"]), _fmt(r["optimum"]),
                 f"{_fmt(dec['runtime_s'], '.3f')} ({dec['nodes']})", ex("minlp"), ex("misocp")]
        for h in HEURISTICS:
            x = r[h]
            cells.append(_fmt(x["gap"], ".2%") if x["gap"] is not None else x["status"])
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", f"Time limit of minlp / misocp: {gaps['exact_time_limit_s']:.0f} s. "
              "`dmcjia-exact-inner` is the GA with the exact share solve instead of the "
              "augmented Lagrangian.", "", "![gaps](fig_gaps.png)", "",
              "## The paper's inner method against the exact share solve", "",
              "Random splits (each node a random usable split, kept when the cloud can hold "
              "them); `outer x Newton` is the iteration budget of the augmented Lagrangian.",
              "", "| D | setting | samples | excess median | excess max | runs overrunning C1 "
              "| max overrun | Newton steps (median) | time vs exact (median) |",
              "|---|---|---|---|---|---|---|---|---|"]
    for s in inner["summary"]:
        lines.append(f"| {s['D']} | {s['setting']} | {s['samples']} | "
                     f"{_fmt(s['rel_excess_median'], '.2e')} | {_fmt(s['rel_excess_max'], '.2e')}"
                     f" | {s['overrun_share']:.0%} | {_fmt(s['overrun_max'], '.1e')} | "
                     f"{s['newton_median']:.0f} | {s['time_ratio_median']:.1f}x |")
    lines += ["", "![inner](inner.png)", ""]
    return "\n".join(lines)


def run(out: Path, quick: bool = False, seed: int = 0) -> list[Path]:
    """Run the reproduction; returns the files written under ``out/dmcjia``."""
    start = time.perf_counter()
    folder = Path(out) / "dmcjia"
    folder.mkdir(parents=True, exist_ok=True)
    res: dict[str, Any] = {"quick": quick, "seed": seed}
    figures = []
    for key, fn in (("fig4", lambda: _fig4(folder)), ("fig5", lambda: _fig5(folder, quick, seed)),
                    ("fig6", lambda: _fig6(folder, quick, seed)),
                    ("gaps", lambda: _gaps(folder, quick, seed)),
                    ("inner", lambda: _inner(folder, quick, seed))):
        res[key], fig = fn()
        figures.append(fig)
    res["claims"] = _claims(res)
    elapsed = time.perf_counter() - start
    res["elapsed_s"] = elapsed
    written = [*figures,
               save_json(_clean(res), folder / "results.json"),
               save_json(_clean(res["claims"]), folder / "claims.json")]
    report = folder / "report.md"
    report.write_text(_report(res, quick, elapsed) + "\n", encoding="utf-8")
    written.append(report)
    return written
