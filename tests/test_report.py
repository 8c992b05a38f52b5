"""Reports: sweep statistics against a hand computation, and the cross-paper report."""

from __future__ import annotations

import json
import sys
import types

import pytest

from edgesplit.errors import InputError
from edgesplit.report import read_claims, summarise, write_cross_paper_report
from edgesplit.sweeps import ResultStore, load_results

# Four instances of a made-up problem "p", three methods: exact "ex", heuristic "h",
# baseline "b". (status, objective, bound, runtime) per instance and method.
ROWS = {
    "A": {"ex": ("optimal", 10.0, 10.0, 1.0), "h": ("feasible", 11.0, None, 1.0),
          "b": ("feasible", 15.0, None, 0.5)},
    "B": {"ex": ("time_limit", 22.0, 20.0, 8.0), "h": ("feasible", 21.0, None, 2.0),
          "b": ("feasible", 30.0, None, 0.5)},
    "C": {"ex": ("error", None, None, 0.1), "h": ("feasible", 5.0, None, 3.0),
          "b": ("feasible", 6.0, None, 0.5)},
    "D": {"ex": ("optimal", 4.0, None, 2.0), "h": ("feasible", 4.0, None, 4.0),
          "b": ("error", None, None, None)},
}
KIND = {"ex": "exact", "h": "heuristic", "b": "baseline"}


def _store(tmp_path):
    store = ResultStore(tmp_path / "res")
    i = 0
    for inst, methods in ROWS.items():
        for method, (status, obj, bound, runtime) in methods.items():
            i += 1
            store.append({
                "run_key": f"k{i:02d}", "sweep": "hand", "instance_id": inst, "problem": "p",
                "instance_sha": "s" + inst, "instance_size": 10 * i, "method": method,
                "method_name": method, "kind": KIND[method], "status": status,
                "objective": obj, "bound": bound, "runtime_s": runtime,
                "error": "RuntimeError: x" if status == "error" else None,
                "finished_at": f"2026-01-01T00:00:{i:02d}", "versions": '{"edgesplit": "0.1"}'})
    return store


def test_gaps_are_recomputed_against_the_best_bound_of_each_instance(tmp_path):
    frame = load_results(_store(tmp_path).path).set_index(["instance_id", "method"])
    expected_gap = {("A", "ex"): 0.0, ("A", "h"): 0.1, ("A", "b"): 0.5,
                    ("B", "ex"): 0.1, ("B", "h"): 0.05, ("B", "b"): 0.5,
                    ("D", "ex"): 0.0, ("D", "h"): 0.0}
    for key, gap in expected_gap.items():
        assert frame.loc[key, "gap"] == pytest.approx(gap, abs=1e-12), key
    for key in [("C", "ex"), ("C", "h"), ("C", "b"), ("D", "b")]:
        assert frame.loc[key, "gap"] != frame.loc[key, "gap"]  # NaN: no bound or no run
    assert frame.loc[("B", "ex"), "best_bound"] == 20.0
    assert frame.loc[("C", "b"), "gap_to_best"] == pytest.approx(0.2)
    assert frame.loc[("B", "b"), "gap_to_best"] == pytest.approx(9 / 21)


def test_summary_statistics_equal_a_hand_computation(tmp_path):
    summary = summarise(load_results(_store(tmp_path).path)).set_index("method")
    h, ex, b = summary.loc["h"], summary.loc["ex"], summary.loc["b"]
    # h: gaps [0.1, 0.05, 0] -> p95 at position 0.95 * 2 = 1.9: 0.05 + 0.9 * 0.05
    assert (h["runs"], h["gap_n"], h["optimal_share"], h["error"]) == (4, 3, 0.0, 0)
    assert h["gap_mean"] == pytest.approx(0.05)
    assert h["gap_median"] == pytest.approx(0.05)
    assert h["gap_p95"] == pytest.approx(0.095)
    assert h["gap_max"] == pytest.approx(0.1)
    assert h["hit_share"] == pytest.approx(1 / 3)
    # runtimes [1, 2, 3, 4]: p95 at position 2.85 -> 3.85
    assert (h["runtime_mean"], h["runtime_median"]) == (2.5, 2.5)
    assert h["runtime_p95"] == pytest.approx(3.85)
    assert h["runtime_max"] == 4.0
    # ex: gaps [0, 0.1, 0]; statuses optimal, time_limit, error, optimal
    assert ex["optimal_share"] == 0.5 and ex["time_limit"] == 1 and ex["error"] == 1
    assert ex["gap_mean"] == pytest.approx(0.1 / 3)
    assert ex["gap_median"] == 0.0
    assert ex["gap_p95"] == pytest.approx(0.09)
    # b: gaps [0.5, 0.5], one error without a runtime
    assert (b["gap_n"], b["gap_mean"], b["gap_max"], b["error"]) == (2, 0.5, 0.5, 1)
    assert b["runtime_mean"] == 0.5 and b["instances"] == 4


def test_written_report_shows_the_same_numbers_and_plots(tmp_path, cli):
    store = _store(tmp_path)
    code, _, err = cli("report", store.path, "-o", tmp_path / "rep")
    assert code == 0, err
    md = (tmp_path / "rep" / "report.md").read_text()
    row_h = next(line for line in md.splitlines() if line.startswith("| h |"))
    cells = [c.strip() for c in row_h.strip("|").split("|")]
    assert cells[:11] == ["h", "heuristic", "4", "4 feasible", "0.0 %", "3", "5.0 %", "5.0 %",
                          "9.5 %", "10.0 %", "33.3 %"]
    row_ex = next(line for line in md.splitlines() if line.startswith("| ex |"))
    assert "| 2 optimal, 1 time_limit, 1 error | 50.0 % |" in row_ex
    assert cells[11:] == ["2.5", "2.5", "3.85", "4"]
    assert "| p | b | RuntimeError: x | 1 |" in md and "| p | ex | RuntimeError: x | 1 |" in md
    for png in ("gap_distributions.png", "runtime_vs_size.png"):
        data = (tmp_path / "rep" / png).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
        assert f"]({png})" in md
    saved = {r["method"]: r for r in json.loads((tmp_path / "rep" / "summary.json").read_text())}
    assert saved["h"]["gap_p95"] == pytest.approx(0.095)
    assert saved["ex"]["hit_share"] == pytest.approx(2 / 3)


def test_report_of_a_bad_path_is_an_input_error(tmp_path, cli):
    code, _, err = cli("report", tmp_path / "missing")
    assert code == 2 and err.startswith("error: results:")
    (tmp_path / "empty").mkdir()
    code, _, err = cli("report", tmp_path / "empty")
    assert code == 2 and "not a sweep results folder" in err


def test_bi_objective_rows_take_their_gap_from_the_problems_compare(tmp_path, monkeypatch):
    """split_pareto has no scalar objective: its gap comes from ``compare`` (fronts)."""
    from edgesplit.formulations import split_pareto as sp
    from edgesplit.sweeps import run_sweep

    def compare(instance, exact, heuristic):  # a stand-in with a checkable value
        return {"gap": abs(heuristic.solution["split"] - exact.solution["split"]) / 100}

    monkeypatch.setattr(sp, "compare", compare, raising=False)
    spec = {"base_dir": str(tmp_path), "name": "bi",
            "grid": [{"problem": "split_pareto", "seeds": [0, 1],
                      "methods": ["enumerate", {"method": "enumerate", "label": "last",
                                                "options": {"rule": "max_memory"}}]}]}
    rows = run_sweep(spec, tmp_path / "res", serial=True).rows
    for _, g in rows.groupby("instance_id"):
        by = g.set_index("method")
        k_exact = json.loads(by.loc["enumerate", "solution"])["split"]
        k_last = json.loads(by.loc["last", "solution"])["split"]
        assert by.loc["enumerate", "gap"] == 0.0
        assert by.loc["last", "gap"] == pytest.approx(abs(k_last - k_exact) / 100)


# ----------------------------------------------------------------------------- cross-paper
CLAIMS = [{"claim": "MTMGMO is faster than NSGA-III", "paper": "3.1 s", "ours": "2.9 s",
           "holds": True, "note": "quick mode"},
          {"claim": "memory use | up", "paper": "62 %", "ours": "55 %", "holds": False,
           "note": ""},
          {"claim": "Fig. 9 trend", "paper": "rising", "ours": "flat", "holds": None,
           "note": "not comparable"}]


def _experiments(tmp_path):
    out = tmp_path / "out"
    (out / "cecms").mkdir(parents=True)
    (out / "cecms" / "claims.json").write_text(json.dumps(CLAIMS))
    (out / "cecms" / "report.md").write_text("# cecms\n")
    (out / "cecms" / "front.png").write_bytes(b"\x89PNG fake")
    (out / "gspi").mkdir()
    (out / "gspi" / "report.md").write_text("# gspi\n")
    (out / "xu").mkdir()
    (out / "xu" / "claims.json").write_text(json.dumps([{"claim": "x"}]))
    return out


def test_cross_paper_report_puts_every_claim_beside_the_paper(tmp_path):
    out = _experiments(tmp_path)
    md = write_cross_paper_report(out).read_text()
    assert "| [cecms](#cecms) |" in md and "| ran | 3 | 1 | 1 | 1 |" in md
    assert "| cecms | MTMGMO is faster than NSGA-III | 3.1 s | 2.9 s | yes | quick mode |" in md
    assert "| cecms | memory use \\| up | 62 % | 55 % | **no** |  |" in md
    assert "| cecms | Fig. 9 trend | rising | flat | – | not comparable |" in md
    assert "![cecms: front](cecms/front.png)" in md
    assert "[cecms/report.md](cecms/report.md)" in md
    assert "| [gspi](#gspi) |" in md and "no claims.json" in md
    assert "malformed claims.json (claims.0.paper" in md
    assert md.index("## cecms") < md.index("## xu") < md.index("## gspi")  # EXPERIMENTS order


def test_read_claims_rejects_what_is_not_the_contract(tmp_path):
    path = tmp_path / "claims.json"
    path.write_text(json.dumps(CLAIMS))
    assert read_claims(path)[1]["holds"] is False
    path.write_text(json.dumps([{**CLAIMS[0], "holds": "yes"}]))
    with pytest.raises(InputError, match=r"claims\.0\.holds"):
        read_claims(path)
    path.write_text(json.dumps({"claim": "x"}))
    with pytest.raises(InputError, match="list"):
        read_claims(path)


def test_reproduce_all_writes_the_cross_paper_report_and_names_failures(tmp_path, monkeypatch,
                                                                         cli):
    import edgesplit.experiments as ex

    def ok_run(out, quick=False, seed=0):
        folder = out / "fake_ok"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "claims.json").write_text(json.dumps(CLAIMS[:1]))
        for fig in ("z_first.png", "a_second.png", "not_returned.png"):
            (folder / fig).write_bytes(b"\x89PNG fake")
        assert quick is True
        return [folder / "claims.json", folder / "z_first.png", folder / "a_second.png"]

    def bad_run(out, quick=False, seed=0):
        raise ValueError("no profile for you")

    for name, fn in (("fake_ok", ok_run), ("fake_bad", bad_run)):
        monkeypatch.setitem(sys.modules, f"edgesplit.experiments.{name}",
                            types.SimpleNamespace(run=fn))
        monkeypatch.setitem(ex.EXPERIMENTS, name, f"{name} experiment")
    monkeypatch.setattr(ex, "available_experiments", lambda: ["fake_ok", "fake_bad"])
    out = tmp_path / "out"
    with pytest.raises(ex.ExperimentsFailedError, match="fake_bad"):
        ex.run_experiment("all", out, quick=True)
    md = (out / "report.md").read_text()
    assert "(quick mode)" in md
    assert "| [fake_ok](#fake_ok) | fake_ok experiment | ran | 1 | 1 | 0 | 0 |" in md
    assert "failed: ValueError: no profile for you" in md
    figures = [line for line in md.splitlines() if line.startswith("![fake_ok")]
    assert figures == ["![fake_ok: z_first](fake_ok/z_first.png)",  # in the order returned
                       "![fake_ok: a_second](fake_ok/a_second.png)",
                       "![fake_ok: not_returned](fake_ok/not_returned.png)"]
    assert "no profile for you" in (out / "fake_bad" / "error.txt").read_text()
    monkeypatch.setattr(ex, "available_experiments", lambda: ["fake_ok"])
    code, stdout, err = cli("reproduce", "all", "--out", out, "--quick")
    assert code == 0, err
    assert f"wrote {out / 'report.md'}" in stdout
    # `edgesplit report` on an experiments folder rebuilds the same report
    code, stdout, _ = cli("report", out)
    assert code == 0 and "report.md" in stdout
