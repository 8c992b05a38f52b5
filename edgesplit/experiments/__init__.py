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

__all__ = ["EXPERIMENTS", "available_experiments", "run_experiment"]

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
    """Run one experiment (or ``"all"`` available ones) and return the files written."""
    if name == "all":
        written: list[Path] = []
        for n in available_experiments():
            written += run_experiment(n, out, quick=quick, seed=seed)
        return written
    if name not in EXPERIMENTS:
        raise InputError("name", f"unknown experiment {name!r}; known: "
                                 f"{', '.join([*EXPERIMENTS, 'all'])}")
    if name not in available_experiments():
        raise InputError("name", f"experiment {name!r} is not implemented in this version")
    module = importlib.import_module(f"edgesplit.experiments.{name}")
    return list(module.run(Path(out), quick=quick, seed=seed))
