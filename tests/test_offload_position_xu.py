"""The 001 experiment (edgesplit/experiments/xu.py): eq. 5-6, the dormancy rule, the upload
simulation, the Table 1 setting, and (slow) the whole quick reproduction."""

from __future__ import annotations

import json

import numpy as np
import pytest

from edgesplit.experiments import xu
from edgesplit.formulations import task_assignment as ta
from edgesplit.solvers import solve


def test_eq6_aggregation_is_the_task_weighted_mean():
    w = np.array([[1.0, 0.0], [3.0, 4.0], [100.0, 100.0]])
    np.testing.assert_allclose(xu.aggregate(w, [1, 3, 0]), [2.5, 3.0])
    np.testing.assert_allclose(xu.aggregate(w, [2, 6, 0]), xu.aggregate(w, [1, 3, 0]))
    np.testing.assert_allclose(xu.aggregate(w, [1, 1, 1]), w.mean(axis=0))
    with pytest.raises(ValueError, match="not all zero"):
        xu.aggregate(w, [0, 0, 0])
    with pytest.raises(ValueError, match="one count per node"):
        xu.aggregate(w, [1, 1])


def test_eq5_local_step_and_dormancy_rule():
    np.testing.assert_allclose(xu.local_step([1.0, 2.0], [0.5, -1.0], 0.1), [0.95, 2.1])
    with pytest.raises(ValueError):
        xu.local_step([1.0], [1.0], 0.0)
    assert xu.cloud_dormant(0.2, 0.1) and not xu.cloud_dormant(0.1, 0.1)
    assert not xu.cloud_dormant(0.05, 0.1)


def test_upload_simulation_counts_bytes_by_scheme():
    sim = xu.simulate_uploads(2e5, 6e5, 1e6, 5, periods=60, seed=1)
    tasks = np.array(sim["tasks"])
    np.testing.assert_allclose(sim["cloud_only"], tasks * 6e5)
    np.testing.assert_allclose(sim["collaborative"], tasks * 2e5)
    dormant = np.array(sim["T_rd"]) > np.array(sim["T_0"])
    np.testing.assert_allclose(sim["dormancy"], np.where(dormant, 0.0, tasks * 2e5))
    assert sim["dormant_share"] == pytest.approx(dormant.mean())
    assert 0.2 < sim["dormant_share"] < 0.8
    # T_0 is the mean of the earlier delays
    assert sim["T_0"][5] == pytest.approx(np.mean(sim["T_rd"][:5]))
    # eq. 5-6 keep the edge models learning
    assert sim["loss_eq6"][-1] < 0.01 * sim["loss_eq6"][0]
    again = xu.simulate_uploads(2e5, 6e5, 1e6, 5, periods=60, seed=1)
    assert again["dormancy"] == sim["dormancy"]


def test_table1_setting_moves_deeper_with_more_nodes():
    rows = {x: solve(xu.table1_instance(x), "enumerate").solution["j"] for x in (10, 20, 30)}
    assert rows == {10: 7, 20: 14, 30: 21}
    inst = xu.table1_instance(30)
    assert inst.N == 34 and inst.K == 200 and inst.x == 30
    assert inst.meta["labels"][20] == "3x3 conv, 256"
    slow = xu.table1_instance(30, W_H=1e8)
    assert solve(slow, "tmoa").solution == {"j": 0}
    assert solve(slow, "enumerate").solution == {"j": 21}


def test_fig7_instance_runs_the_edge_part_on_batches():
    inst = xu.fig7_instance(0)
    assert inst.K == 200 and inst.x == 30 and inst.meta["offloading_position"] == 21
    ratio = np.asarray(inst.Zt) / min(inst.Zt)
    assert np.allclose(ratio, np.round(ratio))  # whole numbers of inputs per task
    assert not ta.unplaceable_tasks(inst)


@pytest.mark.slow
def test_quick_reproduction_writes_report_and_claims(tmp_path):
    paths = xu.run(tmp_path, quick=True, seed=0)
    names = {p.name for p in paths}
    assert {"report.md", "claims.json", "results.json", "fig7_convergence.png",
            "fig8_uploads.png", "table1_constraints.png", "tmoa_vs_exact.png"} <= names
    claims = json.loads((tmp_path / "xu" / "claims.json").read_text())
    assert all(set(c) == {"claim", "paper", "ours", "holds", "note"} for c in claims)
    first = claims[0]
    assert first["holds"] is True and "7/14/21" in first["ours"]
    assert "Table 1" in (tmp_path / "xu" / "report.md").read_text()
