"""Methods for ``joint_split_share`` (002, DMCJIA): splits and cloud shares of D edge nodes.

Exact: ``minlp`` (Pyomo + SCIP), ``misocp`` (cvxpy + SCIP), ``decomposition`` (Lagrangian
bound on the share budget with branch and bound). Paper heuristic: ``dmcjia`` (binary GA over
the splits, augmented Lagrangian for the shares). Baselines of 002 Sec. 4.2.2: ``cloud-only``,
``greedy``, ``neurosurgeon``.
"""

from __future__ import annotations

from edgesplit.solvers.joint_split_share import baselines, decomposition, dmcjia, exact

__all__ = ["baselines", "decomposition", "dmcjia", "exact"]
