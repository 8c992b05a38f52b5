"""004 Sec. 3.3 in torch: the height split with its input halo is lossless."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from edgesplit.errors import InputError  # noqa: E402
from edgesplit.profiles.zoo import paper004_alexnet  # noqa: E402
from edgesplit.solvers.conv_split.torch_split import (  # noqa: E402
    compare,
    even_rows,
    split_conv2d,
    split_forward,
)


@pytest.fixture(autouse=True)
def _one_thread():
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    yield
    torch.set_num_threads(old)


@pytest.mark.parametrize(("kernel", "stride", "padding", "dilation"),
                         [(3, 1, 0, 1), (3, 1, 1, 1), (5, 2, 2, 1), (4, 3, 1, 1), (3, 1, 2, 2),
                          (1, 1, 0, 1), (11, 4, 2, 1)])
def test_split_conv_equals_whole_conv(kernel, stride, padding, dilation):
    conv = nn.Conv2d(3, 5, kernel_size=kernel, stride=stride, padding=padding,
                     dilation=dilation).double()
    x = torch.randn(2, 3, 23, 17, dtype=torch.float64)
    ref = conv(x)
    b = ref.shape[2]
    for rows in (even_rows(b, 4), [b, 0, 0], [0, b], [1] * b, [b - 1, 0, 1]):
        out = split_conv2d(conv, x, rows)
        assert out.shape == ref.shape
        assert (out - ref).abs().max().item() < 1e-12
    if kernel > stride:  # without the halo the parts' borders are wrong
        cut = split_conv2d(conv, x, even_rows(b, 4), halo=False)
        assert (cut - ref).abs().max().item() > 1e-3


def test_split_rejects_wrong_rows():
    conv = nn.Conv2d(1, 1, 3)
    with pytest.raises(InputError, match="the parts have 5 rows"):
        split_conv2d(conv, torch.zeros(1, 1, 8, 8), [2, 3])


def test_paper_alexnet_split_is_lossless():
    model = paper004_alexnet()
    x = torch.randn(4, 3, 32, 32)
    rows = [[4, 3, 3, 3, 3, 3, 3, 3], [3, 3, 2, 2, 2, 2, 2, 2], [2, 2, 2, 1, 1, 1, 1, 2],
            [1, 1, 1, 1, 1, 1, 1, 0], [1, 1, 1, 1, 1, 0, 0, 0]]
    out = compare(model, x, rows)
    assert out["max_rel_diff"] < 1e-5 and out["top1_agreement"] == 1.0
    ablation = compare(model, x, rows, halo=False)
    assert ablation["max_rel_diff"] > 1e-2
    with pytest.raises(InputError, match="more than 2 convs"):
        split_forward(model, x, rows[:2])


def test_torchvision_alexnet_with_stride_and_padding():
    tv = pytest.importorskip("torchvision")
    model = tv.models.alexnet(weights=None)
    x = torch.randn(2, 3, 224, 224)
    out = compare(model, x, 8)
    assert out["max_rel_diff"] < 1e-5 and out["top1_agreement"] == 1.0
