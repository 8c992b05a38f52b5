"""Reports: gap and runtime statistics of a sweep, and the cross-paper reproduction report.

``edgesplit report RESULTS`` reads a sweep's results folder (:mod:`edgesplit.sweeps.store`) and
writes, per (problem, method), the mean, median, 95th percentile and maximum gap, the share of
runs solved to proven optimality and runtime statistics, as a Markdown report with PNG plots
(gap distributions, runtime against instance size) and CSV/JSON tables.

``edgesplit reproduce all`` calls :func:`write_cross_paper_report` after every experiment ran: one
Markdown file, ``out/report.md``, with every experiment's figures and a table of our numbers
beside each paper's claims, read from ``out/<name>/claims.json``.
"""

from __future__ import annotations

import json
import math
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from edgesplit.errors import InputError

__all__ = [
    "CLAIM_KEYS",
    "HIT_TOL",
    "read_claims",
    "summarise",
    "write_cross_paper_report",
    "write_report",
]

#: A run "hit" the optimum when its gap to the best proven bound is at most this.
HIT_TOL = 1e-6
#: Keys of one claim in an experiment's ``claims.json`` (docs/developing.md, Experiments).
CLAIM_KEYS = ("claim", "paper", "ours", "holds", "note")

_STATUSES = ("optimal", "feasible", "infeasible", "time_limit", "error")


# ----------------------------------------------------------------------------- statistics
def _stats(values: Any, prefix: str) -> dict[str, float | None]:
    """Mean, median, 95th percentile (linear interpolation, as numpy) and maximum."""
    import numpy as np

    v = np.asarray([x for x in values if x is not None and math.isfinite(x)], dtype=float)
    if v.size == 0:
        return {f"{prefix}_mean": None, f"{prefix}_median": None, f"{prefix}_p95": None,
                f"{prefix}_max": None}
    return {f"{prefix}_mean": float(v.mean()), f"{prefix}_median": float(np.median(v)),
            f"{prefix}_p95": float(np.percentile(v, 95)), f"{prefix}_max": float(v.max())}


def summarise(frame: Any) -> Any:
    """Statistics per (problem, method) of a results DataFrame (:func:`load_results`).

    Columns: ``problem, method, kind, runs, instances``, one count per status,
    ``optimal_share`` (runs proven optimal / runs), ``gap_n`` (runs with a gap),
    ``gap_mean, gap_median, gap_p95, gap_max`` (gap to the best proven bound of the
    instance), ``hit_share`` (runs whose gap is at most :data:`HIT_TOL`, of the runs with a
    gap), ``gap_to_best_mean, gap_to_best_max`` (to the best objective any run found), and
    ``runtime_mean, runtime_median, runtime_p95, runtime_max`` (seconds of ``solve``).
    Percentiles interpolate linearly between order statistics (numpy's default).
    """
    import pandas as pd

    out = []
    for (problem, method), g in frame.groupby(["problem", "method"], sort=True):
        kinds = [k for k in g["kind"].dropna().unique()]
        counts = g["status"].value_counts()
        gaps = [float(x) for x in g["gap"].dropna()]
        row: dict[str, Any] = {
            "problem": problem, "method": method, "kind": kinds[0] if kinds else None,
            "runs": len(g), "instances": int(g["instance_id"].nunique()),
            **{s: int(counts.get(s, 0)) for s in _STATUSES},
            "optimal_share": float(counts.get("optimal", 0)) / len(g),
            "gap_n": len(gaps),
            **_stats(gaps, "gap"),
            "hit_share": (sum(x <= HIT_TOL for x in gaps) / len(gaps)) if gaps else None,
        }
        gtb = _stats([float(x) for x in g["gap_to_best"].dropna()], "gap_to_best")
        row["gap_to_best_mean"], row["gap_to_best_max"] = gtb["gap_to_best_mean"], \
            gtb["gap_to_best_max"]
        row.update(_stats([float(x) for x in g["runtime_s"].dropna()], "runtime"))
        out.append(row)
    columns = ["problem", "method", "kind", "runs", "instances", *_STATUSES, "optimal_share",
               "gap_n", "gap_mean", "gap_median", "gap_p95", "gap_max", "hit_share",
               "gap_to_best_mean", "gap_to_best_max", "runtime_mean", "runtime_median",
               "runtime_p95", "runtime_max"]
    return pd.DataFrame(out, columns=columns)


# ----------------------------------------------------------------------------- formatting
def _num(x: Any, digits: int = 4) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    if isinstance(x, float):
        return f"{x:.{digits}g}"
    return str(x)


def _pct(x: Any) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    text = f"{100 * x:.1f} %"
    return "0.0 %" if text == "-0.0 %" else text  # a gap of -1e-17 is a gap of 0


def _cell(text: Any) -> str:
    """Text safe inside a Markdown table cell."""
    s = "" if text is None else str(text)
    return " ".join(s.replace("|", "\\|").split())


def _md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_cell(c) for c in r) + " |" for r in rows]
    return lines


def _summary_rows(summary: Any) -> list[list[str]]:
    rows = []
    for r in summary.to_dict("records"):
        statuses = ", ".join(f"{r[st]} {st}" for st in _STATUSES if r[st])
        rows.append([r["method"], r["kind"] or "–", str(r["runs"]), statuses,
                     _pct(r["optimal_share"]), str(r["gap_n"]), _pct(r["gap_mean"]),
                     _pct(r["gap_median"]), _pct(r["gap_p95"]), _pct(r["gap_max"]),
                     _pct(r["hit_share"]), _num(r["runtime_mean"]), _num(r["runtime_median"]),
                     _num(r["runtime_p95"]), _num(r["runtime_max"])])
    return rows


SUMMARY_HEADER = ["method", "kind", "runs", "statuses", "proven optimal", "runs with gap",
                  "gap mean", "gap median", "gap p95", "gap max", "at optimum",
                  "runtime mean (s)", "median", "p95", "max"]


# ----------------------------------------------------------------------------- plots
def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _panels(n: int, columns: int = 3) -> tuple[Any, Any, list[Any]]:
    """A figure with one panel per problem, at most ``columns`` per row; spare ones hidden."""
    plt = _plt()
    cols = min(n, columns)
    rows = -(-n // cols)
    fig, grid = plt.subplots(rows, cols, figsize=(5.5 * cols, 4 * rows), squeeze=False)
    axes = list(grid.ravel())
    for ax in axes[n:]:
        ax.set_visible(False)
    return plt, fig, axes[:n]


def _save(plt: Any, fig: Any, path: Path) -> Path:
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_gap_distributions(frame: Any, path: Path) -> Path:
    """Empirical distribution (ECDF) of the gap per method, one panel per problem.

    The x axis is symmetric-log so that gaps of exactly zero (the optimum) show.
    """
    import numpy as np

    problems = sorted(frame["problem"].dropna().unique()) or ["(none)"]
    plt, fig, axes = _panels(len(problems))
    for ax, problem in zip(axes, problems, strict=False):
        sub = frame[frame["problem"] == problem]
        drawn = False
        for method, g in sub.groupby("method", sort=True):
            gaps = np.sort(g["gap"].dropna().to_numpy(dtype=float))
            if gaps.size == 0:
                continue
            y = np.arange(1, gaps.size + 1) / gaps.size
            ax.step(np.concatenate([[gaps[0]], gaps]), np.concatenate([[0.0], y]),
                    where="post", label=f"{method} (n={gaps.size})")
            drawn = True
        ax.set_xscale("symlog", linthresh=1e-4)
        low = sub["gap"].min()
        # a little left of the smallest gap, so that a line at gap 0 is not hidden by the axis
        ax.set_xlim(left=(min(0.0, float(low)) if low == low else 0.0) - 2e-5)  # NaN: no gaps
        ax.set_xlabel("gap to the best proven bound")
        ax.set_ylabel("share of runs with gap <= x")
        ax.set_ylim(0, 1.02)
        ax.set_title(problem, fontsize=10)
        if drawn:
            ax.legend(fontsize=8, loc="lower right")
        else:
            ax.text(0.5, 0.5, "no gaps\n(no proven bound)", ha="center", va="center",
                    transform=ax.transAxes, color="gray")
        ax.grid(alpha=0.3)
    return _save(plt, fig, path)


def plot_runtime_vs_size(frame: Any, path: Path) -> Path:
    """Runtime of every run against instance size (count of numbers), one panel per problem."""
    problems = sorted(frame["problem"].dropna().unique()) or ["(none)"]
    plt, fig, axes = _panels(len(problems))
    for ax, problem in zip(axes, problems, strict=False):
        sub = frame[(frame["problem"] == problem) & frame["runtime_s"].notna()
                    & frame["instance_size"].notna()]
        for method, g in sub.groupby("method", sort=True):
            ax.scatter(g["instance_size"].astype(float), g["runtime_s"].clip(lower=1e-6),
                       s=10, alpha=0.6, label=method)
        sizes = sub["instance_size"].astype(float)
        if len(sizes) and sizes.min() > 0 and sizes.max() > 10 * sizes.min():
            ax.set_xscale("log")  # linear when the sizes span less than a decade
        ax.set_yscale("log")
        ax.set_xlabel("instance size (numbers in the instance)")
        ax.set_ylabel("runtime (s)")
        ax.set_title(problem, fontsize=10)
        if len(sub):
            ax.legend(fontsize=8, loc="upper left")
        ax.grid(alpha=0.3)
    return _save(plt, fig, path)


# ----------------------------------------------------------------------------- sweep report
def write_report(source: str | os.PathLike[str], out: str | os.PathLike[str] | None = None,
                 *, title: str | None = None) -> list[Path]:
    """Write the report of a sweep's results.

    Parameters
    ----------
    source
        A results folder or its ``results.parquet``.
    out
        Folder for the report (default: ``<results folder>/report``).
    title
        Heading of the Markdown report.

    Returns
    -------
    list of Path
        ``report.md``, ``summary.csv``, ``summary.json``, ``gap_distributions.png``,
        ``runtime_vs_size.png``.
    """
    from edgesplit.sweeps.store import load_results

    source = Path(source)
    frame = load_results(source)
    folder = source if source.is_dir() else source.parent
    out = Path(out) if out is not None else folder / "report"
    out.mkdir(parents=True, exist_ok=True)
    summary = summarise(frame)
    written = [out / "summary.csv", out / "summary.json"]
    summary.to_csv(written[0], index=False)
    records = [{k: (None if isinstance(v, float) and math.isnan(v) else v)
                for k, v in r.items()} for r in summary.to_dict("records")]
    from edgesplit.io import save_json

    save_json(records, written[1])
    gaps_png = plot_gap_distributions(frame, out / "gap_distributions.png")
    runtime_png = plot_runtime_vs_size(frame, out / "runtime_vs_size.png")
    md = out / "report.md"
    md.write_text("\n".join(_report_lines(frame, summary, source, title, md.parent,
                                          [gaps_png, runtime_png])) + "\n", encoding="utf-8")
    return [md, *written, gaps_png, runtime_png]


def _report_lines(frame: Any, summary: Any, source: Path, title: str | None, base: Path,
                  figures: list[Path]) -> list[str]:
    sweeps = ", ".join(sorted(str(s) for s in frame["sweep"].dropna().unique())) or "–"
    versions = sorted({json.loads(v).get("edgesplit", "?") for v in frame["versions"].dropna()})
    lines = [f"# {title or 'Sweep report: ' + sweeps}", "",
             f"Results: `{source}`; {len(frame)} runs of {frame['instance_id'].nunique()} "
             f"instances; edgesplit {', '.join(versions) or '–'}; written "
             f"{datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}.", "",
             "The gap of a run is `(objective - b) / |b|` with `b` the best proven lower bound "
             "that any run found for the same instance (a proven optimum counts as a bound), "
             "so it is an upper bound on the true gap, and the true gap where some run proved "
             "the optimum. For problems that define `compare` (bi-objective split_pareto: 1 - "
             "hypervolume ratio of the fronts; offload_position, which maximises: share of the "
             "optimal depth given up) the gap is `compare`'s against a proven optimal run. "
             "*Proven optimal* is the share of runs with status `optimal`; *at optimum* the "
             "share of runs with a gap of at most 1e-6. Percentiles interpolate linearly. "
             "Runtimes are `solve` wall-clock seconds as measured by the workers.", ""]
    for problem, sub in summary.groupby("problem", sort=True):
        lines += [f"## {problem}", ""]
        lines += _md_table(SUMMARY_HEADER, _summary_rows(sub))
        lines.append("")
    lines += ["## Figures", ""]
    for fig in figures:
        lines += [f"![{fig.stem}]({os.path.relpath(fig, base)})", ""]
    errors = frame[frame["status"] == "error"]
    if len(errors):
        lines += ["## Errors", ""]
        grouped = errors.assign(reason=errors["error"].fillna("").str.slice(0, 160))
        rows = [[p, m, r, str(len(g))] for (p, m, r), g in
                grouped.groupby(["problem", "method", "reason"], sort=True)]
        lines += _md_table(["problem", "method", "error", "runs"], rows[:50])
        lines.append("")
    return lines


# ----------------------------------------------------------------------------- cross-paper
def read_claims(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Read an experiment's ``claims.json``: a list of {claim, paper, ours, holds, note}.

    Raises
    ------
    InputError
        If the file is not such a list (``holds`` must be true, false or null).
    """
    from edgesplit.io import load_json

    data = load_json(path, what="claims")
    if not isinstance(data, list):
        raise InputError("claims", f"{path}: must be a list of claims")
    out = []
    for i, item in enumerate(data):
        if not isinstance(item, dict):
            raise InputError(f"claims.{i}", f"{path}: each claim must be an object")
        missing = [k for k in ("claim", "paper", "ours", "holds") if k not in item]
        if missing:
            raise InputError(f"claims.{i}.{missing[0]}", f"{path}: key is missing")
        if item["holds"] not in (True, False, None):
            raise InputError(f"claims.{i}.holds", f"{path}: must be true, false or null")
        out.append({k: item.get(k, "") for k in CLAIM_KEYS})
    return out


def _figures(folder: Path, written: list[Path]) -> list[Path]:
    """PNG files of an experiment's folder: those it returned first, in order, then the rest."""
    if not folder.is_dir():
        return []
    on_disk = sorted(folder.glob("*.png"))
    first = [folder / p.name for p in written
             if Path(p).suffix == ".png" and (folder / Path(p).name) in on_disk]
    return list(dict.fromkeys([*first, *on_disk]))


def _holds(value: bool | None) -> str:
    return {True: "yes", False: "**no**", None: "–"}[value]


def write_cross_paper_report(out: str | os.PathLike[str], names: list[str] | None = None,
                             failures: dict[str, str] | None = None,
                             quick: bool | None = None,
                             written: dict[str, list[Path]] | None = None) -> Path:
    """Assemble ``out/report.md`` from every experiment's folder ``out/<name>/``.

    Parameters
    ----------
    out
        The folder ``edgesplit reproduce`` wrote into.
    names
        Experiments to include, in order (default: every sub-folder holding a
        ``claims.json`` or a ``report.md``, in the order of
        :data:`edgesplit.experiments.EXPERIMENTS`, then by name).
    failures
        Experiments that raised, with the error; listed at the top.
    quick
        Whether the experiments ran in quick mode (said in the heading).
    written
        The files each experiment returned: its figures are shown in that order (then any
        other PNG of its folder, by name).

    Returns
    -------
    Path
        ``out/report.md``. Every claim of every ``claims.json`` is in one table beside the
        paper's number; a missing or malformed ``claims.json`` is named, never fatal.
    """
    from edgesplit.experiments import EXPERIMENTS

    out = Path(out)
    failures = dict(failures or {})
    if names is None:
        found = {p.name for p in out.iterdir() if p.is_dir() and
                 ((p / "claims.json").is_file() or (p / "report.md").is_file())} \
            if out.is_dir() else set()
        names = [n for n in EXPERIMENTS if n in found] + sorted(found - set(EXPERIMENTS))
    names = list(dict.fromkeys([*names, *failures]))
    claims: dict[str, list[dict[str, Any]]] = {}
    problems: dict[str, str] = {}
    for name in names:
        path = out / name / "claims.json"
        if name in failures:
            continue
        if not path.is_file():
            problems[name] = "no claims.json"
            continue
        try:
            claims[name] = read_claims(path)
        except InputError as exc:
            problems[name] = f"malformed claims.json ({exc})"
    mode = "" if quick is None else (" (quick mode)" if quick else " (full runs)")
    lines = [f"# edgesplit: the papers' experiments reproduced{mode}", "",
             f"Written {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')} by `edgesplit "
             "reproduce all`. Each section links the experiment's own report; the claims "
             "tables put our numbers beside the paper's (from `<name>/claims.json`).", "",
             "## Summary", ""]
    rows = []
    for name in names:
        c = claims.get(name, [])
        state = ("failed: " + failures[name]) if name in failures else problems.get(name, "ran")
        rows.append([f"[{name}](#{name})", EXPERIMENTS.get(name, ""), state, str(len(c)),
                     str(sum(x["holds"] is True for x in c)),
                     str(sum(x["holds"] is False for x in c)),
                     str(sum(x["holds"] is None for x in c))])
    lines += _md_table(["experiment", "reproduces", "state", "claims", "hold", "do not hold",
                        "not decided"], rows)
    lines.append("")
    all_rows = [[name, x["claim"], x["paper"], x["ours"], _holds(x["holds"]), x["note"]]
                for name in names for x in claims.get(name, [])]
    if all_rows:
        lines += ["## Our numbers beside the papers' claims", ""]
        lines += _md_table(["experiment", "claim", "paper", "ours", "holds", "note"], all_rows)
        lines.append("")
    for name in names:
        folder = out / name
        lines += [f"## {name}", "", EXPERIMENTS.get(name, ""), ""]
        if name in failures:
            lines += [f"**The experiment failed:** {_cell(failures[name])}", ""]
        if (folder / "report.md").is_file():
            lines += [f"Full report: [{name}/report.md]({name}/report.md)", ""]
        if name in problems:
            lines += [f"*{problems[name]}*", ""]
        for fig in _figures(folder, (written or {}).get(name, [])):
            lines += [f"![{name}: {fig.stem}]({name}/{fig.name})", ""]
    path = out / "report.md"
    out.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def is_experiments_folder(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is the output folder of ``reproduce`` rather than a sweep's results.

    A sweep's results folder holds ``results.parquet`` or ``runs/``; an experiments folder
    holds sub-folders with a ``claims.json`` or a ``report.md``.
    """
    path = Path(path)
    if not path.is_dir() or (path / "results.parquet").exists() or (path / "runs").is_dir():
        return False
    return any((p / "claims.json").is_file() or (p / "report.md").is_file()
               for p in path.iterdir() if p.is_dir())
