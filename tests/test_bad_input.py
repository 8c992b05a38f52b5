"""Bad input: exit code 2 and one line naming the field and the reason, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edgesplit.formulations import split_pareto as sp


def _valid() -> dict:
    return json.loads(sp.generate(5).to_json())


def _write(tmp_path: Path, content: str | bytes, name: str = "inst.json") -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


def _with(**changes) -> str:
    data = _valid()
    for key, value in changes.items():
        if value is ...:
            data.pop(key)
        else:
            data[key] = value
    return json.dumps(data)


def _nonfinite(field: str, literal: str) -> str:
    data = _valid()
    data[field] = 12345.678
    return json.dumps(data).replace("12345.678", literal)


# (id, file content, expected start of the message after "error: ")
INSTANCE_CASES = [
    ("not-json", "this is not json", "instance: "),
    ("truncated", _with()[:-40], "instance: "),
    ("empty", "", "instance: "),
    ("whitespace", "  \n\t ", "instance: "),
    ("array", "[1, 2, 3]", "(root): "),
    ("missing-problem", _with(problem=...), "problem: field required"),
    ("unknown-problem", _with(problem="split_everything"), "problem: unknown problem key"),
    ("wrong-schema-version", _with(schema_version=2), "schema_version: "),
    ("missing-field", _with(F_e=...), "F_e: Field required"),
    ("wrong-type", _with(F_e="fast"), "F_e: "),
    ("negative-bandwidth", _with(V_up=-1e6), "V_up: Input should be greater than 0"),
    ("zero-bandwidth", _with(V_trans=0), "V_trans: Input should be greater than 0"),
    ("zero-flops", _with(F_c=0.0), "F_c: Input should be greater than 0"),
    ("negative-flops-per-layer", _with(f=[1e9, -1.0, 1e9]), "f.1: "),
    ("nan", _nonfinite("F_e", "NaN"), "instance: "),
    ("infinity", _nonfinite("V_down", "Infinity"), "instance: "),
    ("empty-profile", _with(f=[], o=[], m=[1.0]), "f: "),
    ("length-mismatch", _with(o=[1.0]), "o: needs one entry"),
    ("unknown-field", _with(F_cloud=1e12), "F_cloud: Extra inputs are not permitted"),
    ("idle-above-total", _with(M_wait=1e15), "M_wait: idle memory"),
    ("list-for-number", _with(num=[1, 2]), "num: "),
    ("null-for-number", _with(F_e=None), "F_e: "),
    ("string-in-list", _with(f=["1e9", "x", 3]), "f.1: "),
]


@pytest.mark.parametrize(("case", "content", "expected"), INSTANCE_CASES,
                         ids=[c[0] for c in INSTANCE_CASES])
def test_bad_instance_file(cli, tmp_path, case, content, expected):
    path = _write(tmp_path, content)
    code, out, err = cli("solve", path, "--method", "enumerate")
    assert code == 2, (case, err)
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: " + expected), lines[0]
    assert "Traceback" not in err


def test_missing_file(cli, tmp_path):
    code, _, err = cli("solve", tmp_path / "nope.json", "-m", "enumerate")
    assert code == 2 and err.startswith("error: instance: ") and "no such file" in err


def test_directory_instead_of_file(cli, tmp_path):
    code, _, err = cli("solve", tmp_path, "-m", "enumerate")
    assert code == 2 and "is a directory" in err


def test_not_utf8(cli, tmp_path):
    path = _write(tmp_path, b'{"problem": "split_pareto", "name": "\xff\xfe"}')
    code, _, err = cli("solve", path, "-m", "enumerate")
    assert code == 2 and "not UTF-8" in err


def test_very_large_file_is_refused_before_reading(cli, tmp_path):
    path = tmp_path / "huge.json"
    with path.open("wb") as fh:  # sparse: no disk used, no time spent
        fh.truncate(300 * 2**20)
    code, _, err = cli("solve", path, "-m", "enumerate")
    assert code == 2 and "larger than the 256 MiB limit" in err


def test_unknown_method_lists_the_available_ones(cli, tmp_path):
    path = _write(tmp_path, _with())
    code, _, err = cli("solve", path, "-m", "simulated-annealing")
    assert code == 2
    assert err.startswith("error: method: unknown method 'simulated-annealing' for "
                          "split_pareto; available: ")
    assert "enumerate" in err


@pytest.mark.parametrize(("args", "expected"), [
    (("--option", "rule"), "error: option: expected KEY=VALUE"),
    (("--option", "frobnicate=3"), "error: option: method 'enumerate' takes no option"),
    (("--option", "rule=sideways"), "error: rule: unknown selection rule"),
    (("--time-limit", "-1"), "error: time_limit: must be a positive number"),
])
def test_bad_options(cli, tmp_path, args, expected):
    path = _write(tmp_path, _with())
    code, _, err = cli("solve", path, "-m", "enumerate", *args)
    assert code == 2 and err.startswith(expected), err


@pytest.mark.parametrize(("solution", "expected"), [
    ({"split": 99}, "error: solution.split: split index 99 out of range"),
    ({"split": -1}, "error: split: Input should be greater than or equal to 0"),
    ({"split": "two"}, "error: split: "),
    ({"split": 1, "front": [1, 50]}, "error: solution.front.1: split index 50 out of range"),
    ([1, 2], "error: solution: must be a JSON object"),
    ({"problem": "conv_split", "status": "optimal", "solution": {"split": 1}},
     "error: problem: the result is for 'conv_split'"),
    ({"problem": "split_pareto", "status": "error", "solution": None},
     "error: solution: the result holds no solution"),
])
def test_bad_solution_file(cli, tmp_path, solution, expected):
    inst = _write(tmp_path, _with())
    sol = _write(tmp_path, json.dumps(solution), "sol.json")
    code, out, err = cli("evaluate", inst, sol)
    assert code == 2 and out == ""
    assert err.strip().startswith(expected), err
    assert len(err.strip().splitlines()) == 1


def test_generate_bad_size_and_problem(cli):
    code, _, err = cli("generate", "split_pareto", "--size", "huge")
    assert code == 2 and err.startswith("error: size: ")
    code, _, err = cli("generate", "no_such_problem")
    assert code == 2 and err.startswith("error: problem: unknown problem key")


def test_export_unsupported_suffix(cli, tmp_path):
    inst = _write(tmp_path, _with())
    code, _, err = cli("export", inst, "-o", tmp_path / "model.docx")
    assert code == 2 and err.startswith("error: output: cannot write .docx")


def test_bad_profile_file_names_the_field(tmp_path):
    from edgesplit.errors import InputError
    from edgesplit.profiles import load_profile

    data = json.loads(load_profile("alexnet_32").to_json())
    data["nodes"][3]["inputs"] = ["does_not_exist"]
    path = _write(tmp_path, json.dumps(data), "p.json")
    with pytest.raises(InputError, match=r"nodes\.3\.inputs: 'does_not_exist' is not an earlier"):
        load_profile(path)
    data = json.loads(load_profile("alexnet_32").to_json())
    data["nodes"][2]["flops"] = -5
    with pytest.raises(InputError, match=r"^profile\.nodes\.2\.flops: "):
        load_profile(data)
    with pytest.raises(InputError, match="neither a bundled profile"):
        load_profile("resnet9000")


def test_unknown_catalogue_entries():
    from edgesplit.errors import InputError
    from edgesplit.profiles import get_device, get_link

    with pytest.raises(InputError, match="device: unknown device 'tpu-v9'"):
        get_device("tpu-v9")
    with pytest.raises(InputError, match="link: unknown link"):
        get_link("carrier-pigeon")


def test_internal_errors_are_one_line_with_exit_code_1(cli, tmp_path, monkeypatch):
    import edgesplit.formulations.split_pareto as mod

    def boom(seed, size):
        raise RuntimeError("disk on fire\nsecond line")

    monkeypatch.setattr(mod, "generate", boom)
    code, _, err = cli("generate", "split_pareto")
    assert code == 1
    assert err.strip() == "internal error: RuntimeError: disk on fire"
