"""Reproduce 004 (Hu et al.): conv split over edge servers with thread allocation.

``edgesplit reproduce convsplit`` builds 004's settings (Sec. 5.1.1; AlexNet of Table 2 and
VGG-16 of Table 3 from the bundled ``paper004_*`` profiles, 8 servers of 20 threads) and

1. solves the single-task problem (004 eq. 5) with every method: ``milp`` (exact, with its
   bound), ``alg1-td3`` and ``alg1-greedy`` (004's method and the cheap alternative),
   ``no-split`` and ``dads``;
2. Fig. 6: TD3's episode returns while it learns;
3. Fig. 7: single-task latency against the threads a baseline task gets;
4. Fig. 8: total latency of n tasks under the multi-task alternation (the discrete-event
   simulation of :mod:`edgesplit.solvers.conv_split.pipeline`) against the baselines, whose
   tasks run in parallel with one thread each;
5. Sec. 5.4: the height split run in torch against the unsplit models (needs torch).

It writes ``report.md``, figures, ``results.json`` and ``claims.json`` to ``out/convsplit/``.
``quick=True`` shortens the exact solves (45 s for AlexNet, enough for its proof; 20 s for
VGG-16), TD3 training (150 episodes) and the torch checks (a few inputs): about three minutes
on a 2-core machine. The full run
(300 s exact solves, 1500 TD3 episodes, more inputs) takes about 15 minutes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from edgesplit.formulations import conv_split as cs
from edgesplit.io import save_json
from edgesplit.solvers import solve
from edgesplit.solvers.conv_split.levels import use_levels

__all__ = ["PAPER", "run"]

#: 004's numbers as its text states them (figures are read only where the text gives values).
PAPER: dict[str, Any] = {
    "alexnet": {"dads_1thread_ms": 17.0, "nosplit_1thread_ms": 38.0,
                "ratio_dads": 2.0, "ratio_nosplit": 4.0, "cross_threads": 5,
                "first_task_gap_dads_ms": 12.0, "first_task_gap_nosplit_ms": 33.0,
                "cross_task": 6},
    "vgg16": {"ratio_dads": 2.0, "ratio_nosplit": 5.0, "cross_threads": 5, "cross_task": 6},
    "accuracy_loss_pct": {"CIFAR-100": 30, "CIFAR-10": 26, "MNIST": 4, "FashionMNIST": 14},
}

METHODS = ("milp", "alg1-td3", "alg1-greedy", "no-split", "dads")


def _ms(x: float | None) -> float | None:
    return None if x is None else 1e3 * float(x)


def _solve_all(inst: cs.Instance, quick: bool, seed: int) -> dict[str, Any]:
    # quick: the level model proves AlexNet in 25-45 s; the compact model (VGG-16) is not
    # proven in minutes either way
    limit = (45.0 if use_levels(inst) else 20.0) if quick else 300.0
    episodes = 150 if quick else 1500
    out: dict[str, Any] = {}
    for method in METHODS:
        opts: dict[str, Any] = {}
        if method == "alg1-td3":
            opts["episodes"] = episodes
        res = solve(inst, method, time_limit=limit if method == "milp" else None, seed=seed,
                    **opts)
        out[method] = {"status": str(res.status), "latency_ms": _ms(res.objective),
                       "edge_ms": _ms((res.objectives or {}).get("edge")),
                       "bound_ms": _ms(res.bound), "gap": res.gap,
                       "runtime_s": res.runtime_s, "solution": res.solution,
                       "message": res.message}
        if method == "alg1-td3":
            out[method]["episode_returns"] = res.info.get("episode_returns")
            out[method]["reward_scale"] = res.info.get("reward_scale")
        if method == "milp":
            out[method]["aggregated_bound_ms"] = _ms(res.info.get("aggregated_bound"))
            out[method]["solver_bound_ms"] = _ms(res.info.get("solver_bound"))
            out[method]["model_size"] = {k: res.info.get(k) for k in
                                         ("model_vars", "model_constraints", "binaries",
                                          "master_columns")}
            out[method]["form"] = res.info.get("form")
    bound = out["milp"]["bound_ms"]
    for method in METHODS:
        lat = out[method]["latency_ms"]
        out[method]["gap_to_bound"] = None if bound is None or lat is None else \
            (lat - bound) / bound
    return out


def _threads_sweep(inst: cs.Instance, ours_ms: dict[str, float]) -> dict[str, Any]:
    from edgesplit.solvers.conv_split.baselines import best_partition

    threads = list(range(1, min(inst.K) + 1))
    rows: dict[str, list[float]] = {"no-split": [], "dads": []}
    for t in threads:
        ns = best_partition(inst, t, range(inst.N + 1, inst.N + 2))
        dd = best_partition(inst, t)
        rows["no-split"].append(1e3 * cs.partition_latency(inst, ns.edge_layers, ns.server,
                                                           t)["latency"])
        rows["dads"].append(1e3 * cs.partition_latency(inst, dd.edge_layers, dd.server,
                                                       t)["latency"])
    cross = {}
    for name, series in rows.items():
        for key, ours in ours_ms.items():
            below = [t for t, v in zip(threads, series, strict=True) if v < ours]
            cross[f"{name}_vs_{key}"] = below[0] if below else None
    return {"threads": threads, **rows, "ours": ours_ms, "baseline_faster_from": cross}


def _tasks_sweep(inst: cs.Instance, sol: cs.Solution, tasks: int) -> dict[str, Any]:
    from edgesplit.solvers.conv_split.baselines import best_partition
    from edgesplit.solvers.conv_split.pipeline import simulate

    counts = list(range(1, tasks + 1))
    series: dict[str, list[float]] = {}
    for label, kw in (("async", {}), ("async, shared cloud link", {"cloud": "shared"}),
                      ("rounds (Fig. 2)", {"mode": "rounds"})):
        series[label] = [1e3 * simulate(inst, sol, n, **kw).makespan for n in counts]
    flat = {}
    for name, cuts in (("no-split", range(inst.N + 1, inst.N + 2)), ("dads", None)):
        part = best_partition(inst, 1, cuts)
        flat[name] = 1e3 * cs.partition_latency(inst, part.edge_layers, part.server,
                                                1)["latency"]
    cross = {}
    for label, values in series.items():
        over = [n for n, v in zip(counts, values, strict=True) if v > flat["dads"]]
        cross[label] = over[0] if over else None
    return {"tasks": counts, "ours": series, "baselines_1thread": flat,
            "dads_faster_from_task": cross}


def _accuracy(solutions: dict[str, cs.Solution], quick: bool, seed: int) -> dict[str, Any]:
    try:
        import torch
    except ImportError:
        return {"skipped": "torch is not installed"}
    from edgesplit.profiles.zoo import paper004_alexnet, paper004_vgg16
    from edgesplit.solvers.conv_split.torch_split import compare

    old = torch.get_num_threads()
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    out: dict[str, Any] = {}
    try:
        cases: list[tuple[str, Any, tuple[int, ...], Any, int]] = [
            ("paper004_alexnet (Table 2)", paper004_alexnet(), (3, 32, 32),
             solutions["alexnet"].d, 16 if quick else 128),
            ("paper004_vgg16 (Table 3)", paper004_vgg16(), (3, 40, 40),
             solutions["vgg16"].d, 2 if quick else 16),
        ]
        try:
            import torchvision

            cases.append(("torchvision alexnet 224 (stride 4, padding)",
                          torchvision.models.alexnet(weights=None), (3, 224, 224), 8,
                          2 if quick else 16))
        except ImportError:
            pass
        for name, model, shape, rows, count in cases:
            x = torch.randn(count, *shape)
            entry = {"halo (004 Sec. 3.3)": compare(model, x, rows),
                     "no halo (ablation)": compare(model, x, rows, halo=False)}
            if name.startswith("paper004_alexnet"):
                entry["halo, float64"] = compare(model.double(), x.double(), rows)
            out[name] = entry
    finally:
        torch.set_num_threads(old)
    return out


def _axes(height: float = 4.0) -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(6.4, height))


def _finish(fig: Any, ax: Any, xlabel: str, ylabel: str, title: str, path: Path,
            legend_size: int = 8) -> Path:
    import matplotlib.pyplot as plt

    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=legend_size)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _plot_threads(data: dict[str, Any], model: str, path: Path) -> Path:
    fig, ax = _axes()
    t = data["threads"]
    ax.plot(t, data["no-split"], "s-", label="No Split")
    ax.plot(t, data["dads"], "o-", label="DADS")
    for key, value in data["ours"].items():
        ax.axhline(value, ls="--", color="tab:green" if "td3" in key else "tab:red",
                   label=f"ours ({key})")
    ax.set_yscale("log")
    return _finish(fig, ax, "threads per task in the baselines", "single-task latency (ms)",
                   f"004 Fig. 7 analogue: {model}", path)


def _plot_tasks(data: dict[str, Any], model: str, path: Path) -> Path:
    fig, ax = _axes()
    n = data["tasks"]
    for label, values in data["ours"].items():
        ax.plot(n, values, "o-", label=f"ours: {label}")
    for name, value in data["baselines_1thread"].items():
        ax.axhline(value, ls="--", color="black" if name == "dads" else "gray",
                   label=f"{name} (1 thread per task, tasks in parallel)")
    return _finish(fig, ax, "number of tasks in the queue", "total latency (ms)",
                   f"004 Fig. 8 analogue: {model}", path, legend_size=7)


def _plot_td3(returns: dict[str, list[float]], path: Path) -> Path:
    fig, ax = _axes(3.6)
    for model, values in returns.items():
        v = np.asarray(values)
        win = max(1, len(v) // 20)
        smooth = np.convolve(v, np.ones(win) / win, mode="valid")
        ax.plot(np.arange(len(smooth)) + win, smooth, label=model)
    return _finish(fig, ax, "episode", "episode return (scaled eq. 10)",
                   "004 Fig. 6 analogue: TD3 returns (moving mean)", path)


def _fmt(x: Any, digits: int = 3) -> str:
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:.{digits}g}"
    return str(x)


def _claims(res: dict[str, Any]) -> list[dict[str, Any]]:
    a, v = res["alexnet"], res["vgg16"]
    a_base = a["tasks"]["baselines_1thread"]
    ours_a = a["threads"]["ours"]
    claims = []
    best_a = ours_a["best solution"]
    claims.append({
        "claim": "AlexNet, one thread per baseline task: DADS about 17 ms, No Split about 38 ms "
                 "(Fig. 7)",
        "paper": "DADS 17 ms, No Split 38 ms",
        "ours": f"DADS {a_base['dads']:.1f} ms, No Split {a_base['no-split']:.1f} ms",
        "holds": bool(abs(a_base["no-split"] - 38) / 38 < 0.1
                      and abs(a_base["dads"] - 17) / 17 < 0.1),
        "note": "No Split follows from Table 2 and 80 GFLOP/s per thread alone; DADS depends "
                "on the cloud speed, which 004 does not give: ours (200 GFLOP/s) is "
                "calibrated to this very number, so it is not an independent check."})
    inst_a = cs.Instance.model_validate(a["instance"])
    edge_a = a["solve"]["milp"]["edge_ms"]
    claims.append({
        "claim": "AlexNet: with one thread per baseline task, DADS and No Split are about 2x "
                 "and 4x our approach's latency (Fig. 7)",
        "paper": "about 2x and 4x (ours about 8.5-9.5 ms)",
        "ours": f"{a_base['dads'] / best_a:.1f}x and {a_base['no-split'] / best_a:.1f}x "
                f"(ours {best_a:.2f} ms)",
        "holds": bool(abs(a_base["dads"] / best_a - 2) <= 0.5
                      and abs(a_base["no-split"] / best_a - 4) <= 1),
        "note": f"eq. 5 with 004's settings gives {8e3 * inst_a.o_c_out / inst_a.ra_c:.2f} ms "
                f"for the edge-cloud transfer, {1e3 * inst_a.size_full / inst_a.k_c:.2f} ms in "
                f"the cloud and {edge_a:.2f} ms at the edge; 004's single-task figures are "
                "several times larger, presumably overheads of its Python multiprocessing "
                "simulation that eq. 1-5 do not model"})
    for model, r in (("AlexNet", a), ("VGG-16", v)):
        cross = r["threads"]["baseline_faster_from"]
        claims.append({
            "claim": f"{model}: the baselines become faster than our approach when a baseline "
                     "task gets five threads (Fig. 7)",
            "paper": "5 threads",
            "ours": f"No Split from {cross['no-split_vs_best solution']}, DADS from "
                    f"{cross['dads_vs_best solution']} threads (best solution); with TD3's "
                    f"allocation {cross['no-split_vs_alg1-td3']} and "
                    f"{cross['dads_vs_alg1-td3']}",
            "holds": cross["no-split_vs_best solution"] in (4, 5, 6),
            "note": "the crossing point moves with our single-task latency (the table above)"})
        tcross = r["tasks"]["dads_faster_from_task"]
        claims.append({
            "claim": f"{model}: the total latency of our approach exceeds DADS's from the 6th "
                     "task (Fig. 8)",
            "paper": "6th task",
            "ours": "; ".join(f"{k}: {_fmt(val)}" for k, val in tcross.items()),
            "holds": tcross.get("async") in (5, 6, 7),
            "note": "depends on what the tasks share: with a dedicated edge-cloud link per "
                    "task (how 004 treats its baselines) each extra task adds only the "
                    "slowest conv stage; sharing the link makes the link the bottleneck"})
    best_v = v["threads"]["ours"]["best solution"]
    v_base = v["tasks"]["baselines_1thread"]
    claims.append({
        "claim": "VGG-16: with one thread per baseline task DADS and No Split are about 2x and "
                 "5x our latency (Fig. 7)",
        "paper": "about 2x and 5x",
        "ours": f"{v_base['dads'] / best_v:.1f}x and {v_base['no-split'] / best_v:.1f}x "
                f"(ours {best_v:.1f} ms)",
        "holds": bool(1.5 <= v_base["dads"] / best_v <= 2.5
                      and 4 <= v_base["no-split"] / best_v <= 6),
        "note": "VGG-16 of Table 3 read as 13 unpadded convs on 40x40 inputs"})
    for model, r in (("AlexNet", a), ("VGG-16", v)):
        s = r["solve"]
        td3, greedy = s["alg1-td3"], s["alg1-greedy"]
        claims.append({
            "claim": f"{model}: TD3 finds a good thread allocation (Sec. 5.2, Fig. 6)",
            "paper": "TD3 converges; its returns are about 0.5 times larger than DDPG's (no "
                     "optimum given)",
            "ours": f"alg1-td3 {td3['latency_ms']:.3f} ms, alg1-greedy "
                    f"{greedy['latency_ms']:.3f} ms, best {s['milp']['latency_ms']:.3f} ms, "
                    f"lower bound {s['milp']['bound_ms']:.3f} ms",
            "holds": None,
            "note": f"TD3 is {100 * td3['gap_to_bound']:.1f} % above the proven "
                    f"{'optimum' if s['milp']['status'] == 'optimal' else 'lower bound'} "
                    f"after {len(td3['episode_returns'] or [])} episodes; 004 gives no "
                    "optimum to compare with"})
    acc = res.get("accuracy", {})
    if "skipped" not in acc and acc:
        worst = max(e["halo (004 Sec. 3.3)"]["max_rel_diff"] for e in acc.values())
        agree = min(e["halo (004 Sec. 3.3)"]["top1_agreement"] for e in acc.values())
        ablate = min(e["no halo (ablation)"]["top1_agreement"] for e in acc.values())
        claims.append({
            "claim": "The height split loses no accuracy in theory (Sec. 3.3, Fig. 4)",
            "paper": "no loss in theory",
            "ours": f"largest relative output difference {worst:.2g}, top-1 agreement "
                    f"{100 * agree:.0f} %",
            "holds": bool(worst < 1e-4 and agree == 1.0),
            "note": "split with the input halo, on random inputs and weights"})
        claims.append({
            "claim": "In practice the split loses 4-30 % accuracy (Sec. 5.4, Fig. 9), because "
                     "of 'infinite decimals' amplified layer by layer",
            "paper": "4 % (MNIST) to 30 % (CIFAR-100)",
            "ours": f"no loss with the halo; without it top-1 agreement drops to "
                    f"{100 * ablate:.0f} %",
            "holds": False,
            "note": "the loss is not inherent to the method: with the right input rows every "
                    "output row is computed from exactly the same numbers (float32 parts even "
                    "come out bit-identical here); a loss of that size points to missing halo "
                    "rows or similar in 004's implementation"})
    return claims


def run(out: Path, quick: bool = False, seed: int = 0) -> list[Path]:
    """Run the 004 reproduction; returns the files written under ``out/convsplit``."""
    folder = Path(out) / "convsplit"
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    results: dict[str, Any] = {"quick": quick, "seed": seed, "paper": PAPER}
    solutions: dict[str, cs.Solution] = {}
    returns: dict[str, list[float]] = {}
    for model in ("alexnet", "vgg16"):
        inst = cs.paper_instance(model, seed=seed)
        solved = _solve_all(inst, quick, seed)
        best = cs.Solution.model_validate(solved["milp"]["solution"])
        td3 = cs.Solution.model_validate(solved["alg1-td3"]["solution"])
        solutions[model] = best
        returns[model] = solved["alg1-td3"]["episode_returns"] or []
        ours = {"best solution": solved["milp"]["latency_ms"],
                "alg1-td3": solved["alg1-td3"]["latency_ms"]}
        threads = _threads_sweep(inst, ours)
        tasks = _tasks_sweep(inst, best, 10)
        tasks_td3 = _tasks_sweep(inst, td3, 10)
        results[model] = {"instance": inst.model_dump(), "solve": solved, "threads": threads,
                          "tasks": tasks, "tasks_alg1_td3": tasks_td3}
        written.append(_plot_threads(threads, model, folder / f"fig7_{model}.png"))
        written.append(_plot_tasks(tasks, model, folder / f"fig8_{model}.png"))
    written.append(_plot_td3(returns, folder / "fig6_td3.png"))
    results["accuracy"] = _accuracy(solutions, quick, seed)
    claims = _claims(results)
    path = folder / "results.json"
    save_json(json.dumps(_jsonable(results), indent=1), path)
    written.append(path)
    path = folder / "claims.json"
    save_json(json.dumps(claims, indent=1), path)
    written.append(path)
    path = folder / "report.md"
    path.write_text(_report(results, claims))
    written.append(path)
    return written


def _jsonable(x: Any) -> Any:
    from edgesplit.results import _clean

    return _clean(x)


def _report(res: dict[str, Any], claims: list[dict[str, Any]]) -> str:
    lines = ["# 004 (Hu et al.): conv split over edge servers with thread allocation", "",
             f"Run: {'quick' if res['quick'] else 'full'}, seed {res['seed']}. Times are "
             "model times from 004 eq. 1-5 (not measured); run times were measured on a "
             "shared machine.", "",
             "## Single task (004 eq. 5), 8 servers x 20 threads", ""]
    for model in ("alexnet", "vgg16"):
        s = res[model]["solve"]
        lines += [f"### {model}", "",
                  "| method | status | latency (ms) | edge part (ms) | gap to bound | "
                  "run time (s) |", "|---|---|---|---|---|---|"]
        for method in METHODS:
            r = s[method]
            gap = r["gap_to_bound"]
            lines.append(f"| {method} | {r['status']} | {_fmt(r['latency_ms'], 5)} | "
                         f"{_fmt(r['edge_ms'], 4)} | "
                         f"{'-' if gap is None else f'{100 * gap:.2f} %'} | "
                         f"{r['runtime_s']:.1f} |")
        m = s["milp"]
        lines += ["", f"Lower bound {_fmt(m['bound_ms'], 5)} ms (solver "
                      f"{_fmt(m['solver_bound_ms'], 5)} ms, pooled-budget bound "
                      f"{_fmt(m['aggregated_bound_ms'], 5)} ms). Exact model "
                      f"{m.get('form')!r}: {m['model_size']}. Baselines are layer-wise "
                      "partitions with the server's whole zone (20 threads), so they may "
                      "beat eq. 5's optimum, which must send the features to the cloud.", ""]
    lines += ["## Fig. 7: single-task latency against threads per baseline task", ""]
    for model in ("alexnet", "vgg16"):
        t = res[model]["threads"]
        lines += [f"![fig7 {model}](fig7_{model}.png)", "",
                  "| threads | " + " | ".join(str(x) for x in t["threads"][:10]) + " |",
                  "|---" * (min(10, len(t["threads"])) + 1) + "|",
                  "| No Split (ms) | " + " | ".join(f"{x:.2f}" for x in t["no-split"][:10])
                  + " |",
                  "| DADS (ms) | " + " | ".join(f"{x:.2f}" for x in t["dads"][:10]) + " |",
                  "", f"Ours: {', '.join(f'{k} {v:.3f} ms' for k, v in t['ours'].items())}. "
                  f"Baselines faster from (threads): {t['baseline_faster_from']}.", ""]
    lines += ["## Fig. 8: total latency of n tasks (multi-task alternation)", ""]
    for model in ("alexnet", "vgg16"):
        t = res[model]["tasks"]
        lines += [f"![fig8 {model}](fig8_{model}.png)", "",
                  "| tasks | " + " | ".join(str(n) for n in t["tasks"]) + " |",
                  "|---" * (len(t["tasks"]) + 1) + "|"]
        for label, values in t["ours"].items():
            lines.append(f"| ours, {label} (ms) | " + " | ".join(f"{x:.2f}" for x in values)
                         + " |")
        lines += ["", f"Baselines (1 thread per task, in parallel): "
                      f"{', '.join(f'{k} {v:.2f} ms' for k, v in t['baselines_1thread'].items())}"
                      f". DADS faster from task: {t['dads_faster_from_task']}; with TD3's "
                      f"allocation: {res[model]['tasks_alg1_td3']['dads_faster_from_task']}.",
                  ""]
    lines += ["## Fig. 6: TD3 training", "", "![fig6](fig6_td3.png)", "",
              "## Sec. 5.4: is the split lossless? (torch, random weights and inputs)", ""]
    acc = res["accuracy"]
    if "skipped" in acc:
        lines.append(f"Skipped: {acc['skipped']}.")
    else:
        lines += ["| model | variant | inputs | max abs diff | max rel diff | top-1 agreement |",
                  "|---|---|---|---|---|---|"]
        for name, entry in acc.items():
            for variant, r in entry.items():
                lines.append(f"| {name} | {variant} | {r['inputs']} | "
                             f"{r['max_abs_diff']:.3g} | {r['max_rel_diff']:.3g} | "
                             f"{100 * r['top1_agreement']:.1f} % |")
    lines += ["", "## Claims", "", "| claim | paper | ours | holds | note |",
              "|---|---|---|---|---|"]
    for c in claims:
        lines.append(f"| {c['claim']} | {c['paper']} | {c['ours']} | {c['holds']} | "
                     f"{c['note']} |")
    return "\n".join(lines) + "\n"
