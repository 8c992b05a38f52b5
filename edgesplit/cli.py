"""The ``edgesplit`` command line (typer).

Exit codes: 0 success (also for infeasible or time-limited solves: the status says so), 2 bad
input with one line ``error: <field>: <reason>``, 1 internal error. Set ``EDGESPLIT_DEBUG=1``
to see the traceback of an internal error.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from pathlib import Path
from typing import Annotated, Any

import click
import typer

from edgesplit.errors import InputError

app = typer.Typer(
    name="edgesplit",
    help="DNN splitting across device, edge and cloud: exact models and the papers' "
         "heuristics.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

InstanceArg = Annotated[Path, typer.Argument(help="Instance JSON file.", show_default=False)]
OptionOpt = Annotated[
    list[str] | None,
    typer.Option("--option", "-O", help="Method option KEY=VALUE (VALUE read as JSON if it "
                                        "parses), repeatable."),
]


def _options(pairs: list[str] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InputError("option", f"expected KEY=VALUE, got {pair!r}")
        try:
            out[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            out[key.strip()] = value
    return out


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        typer.echo(text)
    else:
        from edgesplit.io import save_json

        save_json(text, output)
        typer.echo(f"wrote {output}", err=True)


def _fmt(x: Any) -> str:
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:.6g}"
    return str(x)


@app.command()
def profile(
    model: Annotated[str, typer.Argument(help="torchvision model name (resnet34) or "
                                              "package.module:factory.")],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Profile JSON to "
                                                "write (default: stdout).")] = None,
    input_shape: Annotated[str, typer.Option(help="Input shape, batch first.")] = "1,3,224,224",
    repeats: Annotated[int, typer.Option(min=1, help="Timed passes (median kept).")] = 20,
    warmup: Annotated[int, typer.Option(min=0, help="Untimed passes first.")] = 3,
    num_classes: Annotated[int | None, typer.Option(help="Classes of the model head.")] = None,
    device: Annotated[str, typer.Option(help="Torch device.")] = "cpu",
) -> None:
    """Profile a model per layer (torch.fx DAG, FLOPs, bytes, measured latency)."""
    try:
        shape = tuple(int(s) for s in input_shape.replace("x", ",").split(","))
        if not shape or any(s <= 0 for s in shape):
            raise ValueError
    except ValueError:
        raise InputError("input_shape", f"expected positive integers like 1,3,224,224, got "
                                        f"{input_shape!r}") from None
    try:
        import torch  # noqa: F401
    except ImportError:
        raise InputError("model", "profiling needs torch: pip install 'edgesplit[torch]'") \
            from None
    from edgesplit.profiles.torch_profiler import profile_model
    from edgesplit.profiles.zoo import resolve_model

    try:
        module = resolve_model(model, num_classes=num_classes)
    except (ValueError, TypeError) as exc:
        raise InputError("model", str(exc)) from None
    try:
        prof = profile_model(module, shape, device=device, repeats=repeats, warmup=warmup,
                             name=model)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError("input_shape", f"the model cannot run on {list(shape)}: {first}") \
            from None
    _emit(prof.to_json(indent=1), output)
    s = prof.summary()
    typer.echo(f"{s['model']}: {s['nodes']} nodes, {s['chain_cut_points']} chain cut points, "
               f"{s['gmacs']:.3f} GMACs, {s['params_m']:.2f} M params, "
               f"{s['latency_ms']:.2f} ms measured", err=True)


@app.command()
def schema(problem: Annotated[str, typer.Argument(help="Problem key, or 'profile'.")]) -> None:
    """Print the JSON Schema of a problem's instance file (or of a profile)."""
    if problem == "profile":
        from edgesplit.profiles import Profile

        typer.echo(json.dumps(Profile.model_json_schema(), indent=1))
        return
    from edgesplit.formulations import get_problem

    module = get_problem(problem)
    typer.echo(json.dumps(module.Instance.model_json_schema(), indent=1))


@app.command()
def generate(
    problem: Annotated[str, typer.Argument(help="Problem key.")],
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    size: Annotated[str, typer.Option(help="small or paper.")] = "small",
    output: Annotated[Path | None, typer.Option("-o", "--output")] = None,
) -> None:
    """Write a random valid instance."""
    from edgesplit.formulations import get_problem

    module = get_problem(problem)
    if size not in ("small", "paper"):
        raise InputError("size", f"must be 'small' or 'paper', got {size!r}")
    _emit(module.generate(seed, size).to_json(indent=1), output)


@app.command()
def methods(problem: Annotated[str, typer.Argument(help="Problem key.")]) -> None:
    """List the methods registered for a problem."""
    from edgesplit.solvers import available_methods

    for name, info in available_methods(problem).items():
        flag = " (seeded)" if info.randomized else ""
        typer.echo(f"{name:16s} {info.kind:9s} {info.description}{flag}")


@app.command()
def solve(
    instance: InstanceArg,
    method: Annotated[str, typer.Option("--method", "-m", help="Method name.")],
    time_limit: Annotated[float | None, typer.Option(help="Seconds.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of randomised methods.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Also write the "
                                                "result JSON here.")] = None,
    gantt: Annotated[Path | None, typer.Option(help="Draw the schedule to this PNG "
                                               "(scheduling problems).")] = None,
    option: OptionOpt = None,
) -> None:
    """Solve an instance with one method."""
    from edgesplit.formulations import get_problem
    from edgesplit.io import load_instance, save_json
    from edgesplit.solvers import solve as _solve

    inst = load_instance(instance)
    module = get_problem(inst.problem)
    if gantt is not None and not hasattr(module, "plot_gantt"):
        raise InputError("gantt", f"problem {inst.problem} has no schedule to draw")
    result = _solve(inst, method, time_limit=time_limit, seed=seed, **_options(option))
    if output is not None:
        save_json(result.to_json(indent=1), output)
    if gantt is not None and result.solution is not None:
        module.plot_gantt(inst, result, gantt)
    if as_json:
        typer.echo(result.to_json())
        return
    typer.echo(f"{inst.problem} / {method}: {result.status}  ({result.runtime_s:.3f} s)")
    if result.objective is not None:
        typer.echo(f"  objective  {_fmt(result.objective)}")
    for k, v in (result.objectives or {}).items():
        typer.echo(f"  {k:10s} {_fmt(v)}")
    if result.bound is not None:
        typer.echo(f"  bound      {_fmt(result.bound)}   gap {_fmt(result.gap)}")
    if result.solution is not None:
        typer.echo("  solution   " + json.dumps(result.solution)[:400])
    if result.message:
        typer.echo(f"  {result.message}")


@app.command()
def evaluate(
    instance: InstanceArg,
    solution: Annotated[Path, typer.Argument(help="Solution JSON, or a result JSON from "
                                                  "`solve --json`.")],
) -> None:
    """Check a solution and compute its objective(s)."""
    from edgesplit import evaluate as _evaluate

    typer.echo(json.dumps(_evaluate(str(instance), str(solution)).to_dict()))


@app.command()
def export(
    instance: InstanceArg,
    output: Annotated[Path, typer.Option("-o", "--output", help="File; its suffix (.lp, .mps, "
                                                                ".nl, .gms) sets the format.")],
    option: OptionOpt = None,
) -> None:
    """Write the instance's exact model to a file other solvers read."""
    from edgesplit.export import export_model

    path = export_model(str(instance), output, **_options(option))
    typer.echo(f"wrote {path}", err=True)


@app.command()
def gap(
    instance: InstanceArg,
    heuristic: Annotated[str, typer.Option(help="Heuristic (or any) method.")],
    exact: Annotated[str | None, typer.Option(help="Exact method (default: the first).")] = None,
    time_limit: Annotated[float | None, typer.Option(help="Seconds per solve.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the heuristic.")] = 0,
) -> None:
    """Solve with a heuristic and an exact method; print the relative gap as JSON."""
    from edgesplit.gaps import gap as _gap
    from edgesplit.results import _clean

    typer.echo(json.dumps(_clean(_gap(str(instance), heuristic, exact, time_limit=time_limit,
                                      seed=seed))))


@app.command()
def reproduce(
    name: Annotated[str, typer.Argument(help="Paper experiment: cecms, xu, dmcjia, gspi, "
                                             "convsplit, or all.")],
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("out"),
    quick: Annotated[bool, typer.Option(help="Smaller runs that finish in minutes.")] = False,
    seed: Annotated[int, typer.Option(help="Seed.")] = 0,
) -> int:
    """Reproduce a paper's experiments from bundled profiles; writes a Markdown report."""
    from edgesplit.experiments import ExperimentsFailedError, run_experiment

    try:
        paths = run_experiment(name, out, quick=quick, seed=seed)
    except ExperimentsFailedError as exc:  # `all`: the report is written, some papers failed
        typer.echo(f"error: {exc}", err=True)
        return 1
    for path in paths:
        typer.echo(f"wrote {path}")
    return 0


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("out"),
    quick: Annotated[bool, typer.Option(help="Fewer timing repeats.")] = False,
) -> None:
    """The main job: profile resnet34 here, solve 000's split problem, print and plot."""
    from edgesplit.experiments.demo import run

    run(out, quick=quick)


@app.command()
def sweep(
    spec: Annotated[Path, typer.Argument(help="Sweep spec, YAML or JSON (docs/sweeps.md).",
                                         show_default=False)],
    results: Annotated[Path | None, typer.Option(help="Results folder (default: the spec's "
                                                 "'results', else out/sweeps/NAME).")] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="Local worker processes "
                                                "(default: all cores).")] = None,
    scheduler: Annotated[str | None, typer.Option(help="Dask scheduler address, e.g. "
                                                  "tcp://host:8786.")] = None,
    serial: Annotated[bool, typer.Option(help="Run in this process, one run at a "
                                              "time.")] = False,
    retry_errors: Annotated[bool, typer.Option(help="Run again the runs that ended in "
                                                    "error.")] = False,
    fsync: Annotated[bool, typer.Option(help="Flush each row to disk (survives a machine "
                                             "crash).")] = False,
    dry_run: Annotated[bool, typer.Option(help="Count the runs; run nothing.")] = False,
    progress: Annotated[bool, typer.Option(help="Live progress bar.")] = True,
) -> None:
    """Run every (instance, method) pair of a spec not finished yet; resumable."""
    from rich.console import Console

    from edgesplit.sweeps import run_sweep
    from edgesplit.sweeps.runner import print_summary

    console = Console(stderr=True)
    try:
        summary = run_sweep(spec, results, workers=workers, scheduler=scheduler, serial=serial,
                            retry_errors=retry_errors, fsync=fsync, progress=progress,
                            console=console, dry_run=dry_run)
    except KeyboardInterrupt:
        typer.echo("interrupted: every finished run is kept; run the same command again to go "
                   "on", err=True)
        raise
    print_summary(summary, Console(width=None if sys.stdout.isatty() else 120),
                  dry_run=dry_run)


@app.command()
def report(
    results: Annotated[Path, typer.Argument(help="A sweep's results folder (or its "
                                                 "results.parquet), or the output folder of "
                                                 "`reproduce`.", show_default=False)],
    out: Annotated[Path | None, typer.Option("-o", "--out", help="Report folder (default: "
                                             "RESULTS/report).")] = None,
) -> None:
    """Gap and runtime statistics of a sweep as Markdown, CSV and PNG plots."""
    from edgesplit.report import is_experiments_folder, write_cross_paper_report, write_report

    if is_experiments_folder(results):
        typer.echo(f"wrote {write_cross_paper_report(results)}")
        return
    for path in write_report(results, out):
        typer.echo(f"wrote {path}")


def run(argv: list[str] | None = None) -> int:
    """Run the CLI with ``argv`` and return its exit code (used by ``main`` and the tests)."""
    try:
        rv = app(args=argv, standalone_mode=False, prog_name="edgesplit")
        return rv if isinstance(rv, int) else 0
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.exceptions.Abort:  # click turns Ctrl-C (KeyboardInterrupt) into Abort
        typer.echo("interrupted", err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        return int(exc.exit_code)
    except InputError as exc:
        typer.echo(f"error: {exc}", err=True)
        return 2
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        return 130
    except Exception as exc:  # one line, never a traceback unless asked
        if os.environ.get("EDGESPLIT_DEBUG"):
            traceback.print_exc()
        first = (str(exc).strip().splitlines() or [""])[0]
        typer.echo(f"internal error: {type(exc).__name__}: {first}", err=True)
        return 1


def main() -> None:
    """Console-script entry point."""
    sys.exit(run(sys.argv[1:]))


if __name__ == "__main__":
    main()
