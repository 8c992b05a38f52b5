"""Profiles: torch.fx DAG, work against torch's flop counter, bytes against real tensors."""

from __future__ import annotations

import json

import pytest

from edgesplit.profiles import Profile, bundled_profiles, hardware_catalogue, load_profile

torch = pytest.importorskip("torch")
torchvision = pytest.importorskip("torchvision")
from torch import nn  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

from edgesplit.profiles.torch_profiler import profile_model  # noqa: E402
from edgesplit.profiles.zoo import alexnet_cifar, paper004_alexnet  # noqa: E402


def _flop_counter_per_module(model: nn.Module, shape: tuple[int, ...]) -> dict[str, int]:
    with FlopCounterMode(display=False) as counter, torch.inference_mode():
        model(torch.randn(*shape))
    return {name: int(sum(ops.values())) for name, ops in counter.get_flop_counts().items()}


@pytest.mark.parametrize(("factory", "shape"), [
    (lambda: torchvision.models.resnet18(), (2, 3, 64, 64)),
    (lambda: alexnet_cifar(), (1, 3, 32, 32)),
    (lambda: paper004_alexnet(), (1, 3, 32, 32)),
    (lambda: torchvision.models.mobilenet_v3_small(), (1, 3, 64, 64)),
])
def test_conv_and_linear_flops_match_torch_flop_counter(factory, shape):
    torch.manual_seed(0)
    model = factory().eval()
    prof = profile_model(model, shape, measure=False)
    reference = _flop_counter_per_module(model, shape)
    checked = 0
    for node in prof.nodes:
        if node.op in ("conv2d", "linear"):
            # flop_counter keys modules as "<model class>.<dotted path>"
            ref = reference.get(f"{type(model).__name__}.{node.target}")
            assert ref is not None, node.target
            assert node.flops == pytest.approx(ref, rel=0.01), node.name
            assert node.flops == 2 * node.macs  # 000 eq. 1-2
            checked += 1
    assert checked >= 5


def test_output_bytes_equal_the_real_tensors_nbytes():
    model = torchvision.models.resnet18().eval()
    seen: dict[str, int] = {}

    def hook(name):
        def _record(_module, _inputs, output):
            seen.setdefault(name, output.numel() * output.element_size())
        return _record

    for name, module in model.named_modules():
        if isinstance(module, (nn.Conv2d, nn.BatchNorm2d, nn.Linear, nn.MaxPool2d)):
            module.register_forward_hook(hook(name))
    prof = profile_model(model, (1, 3, 64, 64), measure=False)
    with torch.inference_mode():
        model(torch.randn(1, 3, 64, 64))
    nodes = {n.target: n for n in prof.nodes if n.op in ("conv2d", "batchnorm2d", "linear",
                                                         "maxpool2d")}
    assert len(nodes) >= 20
    for target, node in nodes.items():
        assert node.output_bytes == seen[target], target
        # 000 eq. 5: product of the dimensions times the element size
        assert node.output_bytes == 4 * int(torch.tensor(node.output_shape).prod())


def test_resnet34_dag_keeps_its_16_residual_joins_and_about_3_6_gmacs():
    prof = profile_model("resnet34", (1, 3, 224, 224), repeats=1, warmup=0)
    joins = [n for n in prof.nodes if len(n.inputs) > 1]
    assert len(joins) == 16 and all(n.op == "add" for n in joins)
    assert 3.55e9 < prof.total_macs < 3.75e9  # torchvision quotes 3.66 GMACs
    assert prof.total_flops == pytest.approx(2 * prof.total_macs, rel=0.01)
    # no chain cut inside a residual block: every cut sees exactly one live tensor
    live = prof.live_after()
    for cut in prof.chain().cuts:
        assert len(live[cut.position]) == 1
    # a block's interior is not a cut: layer1.0's first conv output coexists with its input
    names = [c.after for c in prof.chain().cuts]
    assert "layer1_0_conv1" not in names and "add" in names


def test_sequential_model_chain_cut_points_are_all_its_layers():
    model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(8, 4, 3),
                          nn.Flatten(), nn.Linear(4 * 5 * 5, 10))
    prof = profile_model(model, (1, 3, 16, 16), repeats=2, warmup=0)
    chain = prof.chain()
    assert chain.n_layers == 6 and len(chain.cuts) == 7
    assert [prof.node(c.after).target for c in chain.cuts] == ["input", "0", "1", "2", "3",
                                                               "4", "5"]
    assert chain.crossing_bytes[0] == 3 * 16 * 16 * 4
    assert chain.crossing_bytes[1] == 8 * 14 * 14 * 4
    assert chain.flops.sum() == prof.total_flops


def test_latency_is_measured_with_median_and_spread():
    model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 8))
    prof = profile_model(model, (4, 64), repeats=7, warmup=2)
    assert prof.measurement["repeats"] == 7 and prof.measurement["warmup"] == 2
    for node in prof.nodes[1:]:
        assert node.latency_s is not None and node.latency_s > 0
        assert node.latency_spread_s is not None and node.latency_spread_s >= 0
    assert prof.total_latency_s > 0


def test_profile_json_round_trip_has_a_version(tmp_path):
    prof = profile_model(alexnet_cifar(), (1, 3, 32, 32), repeats=1, warmup=0)
    text = prof.to_json()
    data = json.loads(text)
    assert data["version"] == 1 and data["format"] == "edgesplit-profile"
    back = Profile.model_validate_json(text)
    assert back == prof
    path = tmp_path / "p.json"
    path.write_text(text)
    assert load_profile(path) == prof


def test_cli_profile_by_name_and_by_factory(cli, tmp_path):
    out = tmp_path / "p.json"
    code, _, err = cli("profile", "resnet18", "-o", out, "--input-shape", "1,3,32,32",
                       "--repeats", "1", "--warmup", "0")
    assert code == 0, err
    prof = load_profile(out)
    assert prof.model == "resnet18" and len([n for n in prof.nodes if len(n.inputs) > 1]) == 8
    code, _, err = cli("profile", "edgesplit.profiles.zoo:paper004_vgg16", "-o", out,
                       "--input-shape", "1,3,40,40", "--repeats", "1", "--warmup", "0")
    assert code == 0, err
    linear = [n for n in load_profile(out).nodes if n.op == "linear"]
    assert linear[0].attrs["in_features"] == 100352  # 004 Table 3


@pytest.mark.parametrize(("args", "field"), [
    (("not_a_model",), "model"),
    (("nowhere.module:factory",), "model"),
    (("resnet18", "--input-shape", "1,3,x"), "input_shape"),
    (("alexnet", "--input-shape", "1,3,32,32"), "input_shape"),  # too small for AlexNet
])
def test_cli_profile_bad_input(cli, args, field):
    code, _, err = cli("profile", *args, "--repeats", "1", "--warmup", "0")
    assert code == 2 and err.startswith(f"error: {field}: "), err
    assert len(err.strip().splitlines()) == 1


def test_bundled_profiles_are_complete_and_consistent():
    names = set(bundled_profiles())
    assert {"alexnet_224", "vgg16_224", "resnet34_224", "alexnet_32", "vgg16_32", "resnet34_32",
            "paper004_alexnet", "paper004_vgg16"} <= names
    for name in names:
        prof = load_profile(name)
        assert prof.total_latency_s and prof.total_latency_s > 0, name
        chain = prof.chain()
        assert chain.cuts[0].crossing == prof.nodes[0].name
        assert chain.flops.sum() == prof.total_flops
    resnet = load_profile("resnet34_224")
    assert sum(1 for n in resnet.nodes if len(n.inputs) > 1) == 16
    assert 3.55e9 < resnet.total_macs < 3.75e9


def test_catalogue_has_each_papers_settings():
    cat = hardware_catalogue()
    names = {d.name for d in cat.devices} | {x.name for x in cat.links}
    for required in ("paper000-edge", "paper000-cloud", "paper002-cloud", "paper002-uplink",
                     "paper003-server-1", "paper003-wireless", "paper004-edge-server",
                     "paper004-edge-cloud"):
        assert required in names
    edge = cat.device("paper000-edge")
    assert edge.flops == edge.cores * edge.clock_hz * edge.flop_per_cycle  # 000 eq. 3
    assert cat.device("paper004-edge-server").flops == 20 * 80e9
    assert all(d.source for d in cat.devices) and all(x.source for x in cat.links)
