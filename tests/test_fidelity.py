"""The fidelity experiment: torch.fx head/tail splits reproduce the whole model, real split runs
of a bundled model, the error summary."""

from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from edgesplit.experiments import fidelity  # noqa: E402


class Branchy(torch.nn.Module):
    """Residual join, a two-way branch with a concatenation, a constant and an in-place op."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.a = torch.nn.Conv2d(8, 4, 1)
        self.b = torch.nn.Conv2d(8, 4, 3, padding=1)
        self.relu = torch.nn.ReLU(inplace=True)
        self.scale = torch.nn.Parameter(torch.full((1, 8, 1, 1), 0.5))
        self.fc = torch.nn.Linear(8, 5)

    def forward(self, x):
        h = self.relu(self.conv(x))
        y = torch.cat([self.a(h), self.b(h)], dim=1)
        y = self.relu(y + h) * self.scale
        return self.fc(torch.flatten(torch.nn.functional.adaptive_avg_pool2d(y, 1), 1))


def test_split_at_every_position_reproduces_the_model():
    import torch.fx as fx

    torch.manual_seed(0)
    model = Branchy().eval()
    gm = fx.symbolic_trace(model)
    x = torch.randn(2, 3, 8, 8)
    with torch.inference_mode():
        ref = model(x.clone())
        n = sum(1 for node in gm.graph.nodes if node.op != "output")
        multi = 0
        for p in range(n):
            head, tail, crossing = fidelity.split_at(gm, p)
            sent = head(x.clone())
            assert len(sent) == len(crossing)
            multi += len(crossing) > 1
            assert torch.equal(tail(*sent), ref), p
    assert multi >= 2  # cuts inside the branch send several tensors
    head, tail, crossing = fidelity.split_at(gm, 0)
    assert crossing == ["x"]


def test_constants_are_copied_not_sent():
    import torch.fx as fx

    gm = fx.symbolic_trace(Branchy().eval())
    names = [node.name for node in gm.graph.nodes if node.op != "output"]
    p = names.index("scale") if "scale" in names else None
    assert p is not None
    _, tail, crossing = fidelity.split_at(gm, p)
    assert "scale" not in crossing
    assert any(node.op == "get_attr" for node in tail.graph.nodes)


def test_measure_model_on_alexnet_32():
    res = fidelity.measure_model("alexnet_32", repeats=1, warmup=0)
    recs = res["records"]
    assert res["cuts"] == len(recs) == 22
    assert all(r["exact"] for r in recs)
    assert all(r["bytes_raw"] == r["bytes_pred"] for r in recs)
    assert all(r["bytes_torch_save"] > r["bytes_raw"] for r in recs)
    # head and tail predictions add up to the whole model, whatever the predictor
    for key in ("sum", "shares", "flops"):
        totals = {r[f"pred_head_{key}"] + r[f"pred_tail_{key}"] for r in recs}
        assert max(totals) == pytest.approx(min(totals), rel=1e-9)
    assert recs[0]["pred_head_flops"] == 0.0 and recs[-1]["pred_tail_flops"] == 0.0
    summary = fidelity.error_summary(res)
    assert summary["bytes_raw"]["max"] == 0.0
    assert summary["head_sum"]["n"] == 21 and summary["tail_sum"]["n"] == 21
    json.dumps(res)  # JSON-able as results.json needs


def test_error_summary_by_hand():
    recs = []
    for k, (th, tt) in enumerate([(0.0, 4.0), (1.0, 2.0), (2.0, 1.0), (4.0, 0.0)]):
        recs.append({"t_head": th, "t_tail": tt, "bytes_pred": 100, "bytes_raw": 100,
                     "bytes_torch_save": 200,
                     **{f"pred_head_{p}": 1.5 * th for p in ("sum", "shares", "flops")},
                     **{f"pred_tail_{p}": tt / 2 for p in ("sum", "shares", "flops")},
                     "pred_head_bundled": None, "pred_tail_bundled": None, "cut": k})
    s = fidelity.error_summary({"records": recs})
    assert s["head_sum"] == {"n": 3, "median": 0.5, "p90": 0.5, "max": 0.5}
    assert s["tail_flops"]["median"] == 0.5 and s["tail_flops"]["n"] == 3
    assert s["bytes_torch_save"]["max"] == 0.5 and s["bytes_raw"]["max"] == 0.0
    assert s["head_bundled"]["n"] == 0 and s["head_bundled"]["median"] is None


@pytest.mark.slow
def test_quick_run_writes_everything(tmp_path):
    paths = fidelity.run(tmp_path, quick=True)
    names = {p.name for p in paths}
    assert {"report.md", "results.json", "claims.json", "chain_vs_dag.png"} <= names
    claims = json.loads((tmp_path / "fidelity" / "claims.json").read_text())
    assert all(set(c) == {"claim", "paper", "ours", "holds", "note"} for c in claims)
    lossless = claims[0]
    assert lossless["holds"] is True
    results = json.loads((tmp_path / "fidelity" / "results.json").read_text())
    rows = results["chain_vs_dag"]["rows"]
    assert all(r["light_chain"] >= r["light_opt"] * (1 - 1e-9) for r in rows)
    assert all(r["heavy_chain"] >= r["heavy_opt"] * (1 - 1e-6) for r in rows)
    assert np.isfinite([r["mincut_ms"] for r in rows]).all()
