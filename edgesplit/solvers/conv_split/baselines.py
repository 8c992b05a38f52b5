"""004's latency baselines (Sec. 5.1.3): ``no-split`` and ``dads``.

Both are layer-wise partitions of the chain ``conv_1..conv_N, FC`` between one edge server and
the cloud (:class:`~edgesplit.formulations.conv_split.Partition`). For a chain, DADS's minimum
s-t cut is the best single cut, found here by trying all N + 2 of them (the general DAG version
is the ``dag_partition`` problem).
"""

from __future__ import annotations

from edgesplit.errors import InputError
from edgesplit.formulations import conv_split as cs
from edgesplit.results import Result, Status
from edgesplit.solvers import register

__all__ = ["best_partition", "solve_dads", "solve_no_split"]


def best_partition(inst: cs.Instance, threads: int | None = None,
                   cuts: range | None = None) -> cs.Partition:
    """The fastest partition over ``cuts`` (default: every cut 0..N+1) and servers.

    Parameters
    ----------
    inst
        The instance.
    threads
        Threads the task gets on the edge server (default: the server's whole zone, K_m).
        004's Fig. 7 varies it, Fig. 8 fixes it at one.
    cuts
        Candidate values of ``edge_layers``.
    """
    cuts = range(inst.N + 2) if cuts is None else cuts
    best: tuple[float, int, int] | None = None
    for m in range(inst.M):
        t = inst.K[m] if threads is None else threads
        if t < 1 or t > inst.K[m]:
            raise InputError("threads", f"must be in 1..{inst.K[m]} for server {m} (got {t})")
        for j in cuts:
            key = (cs.partition_latency(inst, j, m, t)["latency"], j, m)
            if best is None or key < best:
                best = key
    assert best is not None
    _, j, m = best
    return cs.Partition(edge_layers=j, server=m,
                        threads=inst.K[m] if threads is None else threads)


def _result(inst: cs.Instance, method: str, part: cs.Partition) -> Result:
    ev = cs.evaluate(inst, cs.Solution(partition=part))
    names = {0: "all in the cloud", inst.N: "convs on the edge, FC in the cloud",
             inst.N + 1: "the whole CNN on the edge"}
    where = names.get(part.edge_layers, f"convs 1..{part.edge_layers} on the edge")
    return Result(cs.PROBLEM, method, Status.FEASIBLE, objective=ev.objective,
                  objectives=ev.objectives,
                  solution={"partition": part.model_dump()},
                  message=f"{where} (server {part.server}, {part.threads} threads)")


@register(cs.PROBLEM, "no-split", kind="baseline")
def solve_no_split(inst: cs.Instance, *, time_limit: float | None = None, seed: int = 0,
                   threads: int | None = None) -> Result:
    """004's No Split: the whole CNN (FC included) on the fastest single edge server."""
    return _result(inst, "no-split", best_partition(inst, threads, range(inst.N + 1,
                                                                         inst.N + 2)))


@register(cs.PROBLEM, "dads", kind="baseline")
def solve_dads(inst: cs.Instance, *, time_limit: float | None = None, seed: int = 0,
               threads: int | None = None) -> Result:
    """DADS (light load): the best edge/cloud cut of the layer chain (min-cut of a chain)."""
    return _result(inst, "dads", best_partition(inst, threads))
