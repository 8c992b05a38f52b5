"""Reproductions of the papers' experiments, one module per paper.

``edgesplit reproduce NAME`` imports ``edgesplit.experiments.NAME`` and calls its
``run(out: Path, quick: bool = False, seed: int = 0) -> list[Path]``, which writes a Markdown
report (and figures) under ``out/NAME/`` and returns the files it wrote.
"""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

from edgesplit.errors import InputError

__all__ = ["EXPERIMENTS", "ExperimentsFailedError", "available_experiments", "run_experiment"]

#: Experiment name -> what it reproduces.
EXPERIMENTS: dict[str, str] = {
    "cecms": "000 Zhang et al. 2024: split curves, Pareto front, DADS/ADC, MTMGMO timing",
    "xu": "001 Xu et al. 2020: TMOA offloading positions, ATSA scheduling, dormancy",
    "dmcjia": "002 Zheng 2021: GA convergence, delay vs bandwidth, exact optimum and gaps",
    "gspi": "003 Shi et al.: Fig. 7 average time vs tasks and bandwidth, exact optimum",
    "convsplit": "004 Hu et al.: conv split latency, multi-task alternation, lossless split",
    "fidelity": "all papers: profile-predicted vs measured head/tail times and bytes per cut",
}


def available_experiments() -> list[str]:
    """Experiment names whose module exists in this installation."""
    return [n for n in EXPERIMENTS
            if importlib.util.find_spec(f"edgesplit.experiments.{n}") is not None]


def run_experiment(name: str, out: Path, quick: bool = False, seed: int = 0) -> list[Path]:
    """Run one experiment (or ``"all"`` available ones) and return the files written.

    ``"all"`` runs every available experiment, goes on when one fails, and then writes the
    cross-paper report ``out/report.md`` (:func:`edgesplit.report.write_cross_paper_report`):
    every experiment's figures and our numbers beside each paper's claims. If any experiment
    failed, it raises :class:`ExperimentsFailedError` after writing the report, naming them.
    """
    if name == "all":
        return _run_all(Path(out), quick=quick, seed=seed)
    if name not in EXPERIMENTS:
        raise InputError("name", f"unknown experiment {name!r}; known: "
                                 f"{', '.join([*EXPERIMENTS, 'all'])}")
    if name not in available_experiments():
        raise InputError("name", f"experiment {name!r} is not implemented in this version")
    module = importlib.import_module(f"edgesplit.experiments.{name}")
    return list(module.run(Path(out), quick=quick, seed=seed))


class ExperimentsFailedError(RuntimeError):
    """Some experiments of ``reproduce all`` raised; the cross-paper report names them."""


def _run_all(out: Path, quick: bool, seed: int) -> list[Path]:
    """Every available experiment, then the cross-paper report ``out/report.md``."""
    import traceback

    from edgesplit.report import write_cross_paper_report

    written: dict[str, list[Path]] = {}
    failures: dict[str, str] = {}
    names = available_experiments()
    for n in names:
        try:
            written[n] = run_experiment(n, out, quick=quick, seed=seed)
        except Exception as exc:  # one failing paper must not hide the others
            first = (str(exc).strip().splitlines() or [""])[0]
            failures[n] = f"{type(exc).__name__}: {first}"
            (out / n).mkdir(parents=True, exist_ok=True)
            (out / n / "error.txt").write_text(traceback.format_exc(), encoding="utf-8")
    report = write_cross_paper_report(out, names, failures, quick=quick, written=written)
    if failures:
        raise ExperimentsFailedError(f"{len(failures)} experiment(s) failed: "
                                     f"{', '.join(failures)}; see {report}")
    return [p for paths in written.values() for p in paths] + [report]
