"""Result, Status and their JSON contract (DESIGN.md)."""

from __future__ import annotations

import json
import math

import pytest

from edgesplit.results import JSON_KEYS, Result, Status, relative_gap


def test_json_has_exactly_the_design_keys():
    r = Result("split_pareto", "enumerate", Status.OPTIMAL, objective=1.5, bound=1.5,
               solution={"split": 2}, info={"not": "serialised"})
    data = json.loads(r.to_json())
    assert tuple(data) == JSON_KEYS
    assert data["status"] == "optimal"
    assert "info" not in data


def test_round_trip_preserves_every_field():
    r = Result("split_pareto", "enumerate", Status.TIME_LIMIT, objective=3.25,
               objectives={"T": 3.25, "memory_unused": 0.5}, bound=3.0, gap=0.0769,
               runtime_s=1.5, solution={"split": 4, "front": [1, 4]}, message="stopped")
    back = Result.from_json(r.to_json())
    assert back == r
    assert back.status is Status.TIME_LIMIT


def test_non_finite_numbers_become_null_so_the_json_is_strict():
    r = Result("split_pareto", "x", Status.ERROR, objective=math.nan, bound=-math.inf)
    data = json.loads(r.to_json())
    assert data["objective"] is None and data["bound"] is None


def test_numpy_values_are_converted():
    np = pytest.importorskip("numpy")
    r = Result("split_pareto", "x", Status.FEASIBLE, objective=np.float64(2.0),
               solution={"split": np.int64(3), "front": np.array([1, 3])})
    data = json.loads(r.to_json())
    assert data["objective"] == 2.0 and data["solution"] == {"split": 3, "front": [1, 3]}


def test_status_values_are_the_six_of_the_contract():
    assert [s.value for s in Status] == ["optimal", "feasible", "infeasible", "no_solution",
                                         "time_limit", "error"]


@pytest.mark.parametrize(("obj", "bound", "expected"), [
    (10.0, 9.0, 0.1), (10.0, 10.0, 0.0), (None, 1.0, None), (1.0, math.inf, None),
    (-4.0, -5.0, 0.25)])
def test_relative_gap(obj, bound, expected):
    got = relative_gap(obj, bound)
    assert got == pytest.approx(expected) if expected is not None else got is None


def test_from_dict_names_a_missing_key():
    from edgesplit.errors import InputError

    with pytest.raises(InputError, match="runtime_s"):
        Result.from_dict({k: None for k in JSON_KEYS if k != "runtime_s"})
