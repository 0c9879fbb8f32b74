"""nnlib.summary: output shapes and parameter counts match torch's layers; the
receptive field matches the footprint of one output's gradient on the input."""
import numpy as np
import pytest
import torch

from nnlib import nn
from nnlib.summary import mult_adds, receptive_field, summary


def lenet5():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.Tanh(), nn.AvgPool2d(2),
        nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2),
        nn.Flatten(), nn.Linear(400, 120), nn.Tanh(), nn.Linear(120, 84), nn.Tanh(),
        nn.Linear(84, 10))


def test_lenet5_shapes_and_parameters_match_torch():
    model = lenet5()
    s = summary(model, (1, 32, 32))
    twin = torch.nn.Sequential(
        torch.nn.Conv2d(1, 6, 5), torch.nn.Tanh(), torch.nn.AvgPool2d(2),
        torch.nn.Conv2d(6, 16, 5), torch.nn.Tanh(), torch.nn.AvgPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(400, 120), torch.nn.Tanh(),
        torch.nn.Linear(120, 84), torch.nn.Tanh(), torch.nn.Linear(84, 10))
    x = torch.zeros(1, 1, 32, 32)
    for row, (name, layer) in zip(s.rows, twin.named_children()):
        x = layer(x)
        assert row.name == name and row.layer == type(layer).__name__
        assert row.output_shape == tuple(x.shape[1:])
        assert row.params == sum(p.numel() for p in layer.parameters())
    assert len(s.rows) == len(twin)
    assert s.total_params == 61706 == sum(p.numel() for p in twin.parameters())
    # conv1: 6·28·28 outputs × 25; conv2: 16·10·10 × 150; dense: 400·120 + 120·84 + 84·10
    assert s.total_mult_adds == 6 * 784 * 25 + 1600 * 150 + 48000 + 10080 + 840
    text = str(s.table(mult_adds=True))
    assert "| итого |" in text and "61706" in text and "6×28×28" in text


def test_summary_names_nested_and_keeps_modes():
    model = nn.Sequential(nn.Sequential(nn.Conv2d(3, 4, 3, padding=1),
                                        nn.BatchNorm2d(4)),
                          nn.Residual(nn.Conv2d(4, 4, 3, padding=1)))
    model.train()
    s = summary(model, (3, 8, 8))
    assert [r.name for r in s.rows] == ["0.0", "0.1", "1"]
    assert [r.layer for r in s.rows] == ["Conv2d", "BatchNorm2d", "Residual"]
    assert all(m.training for m in model.modules())
    assert all(m.pending_backward == 0 for m in model.modules())
    assert s.rows[-1].params == 4 * 4 * 9 + 4


def test_summary_dtype_and_errors():
    model = nn.Sequential(nn.Linear(3, 2, dtype=np.float32))
    assert summary(model, 3).rows[0].output_shape == (2,)
    assert mult_adds(model[0], (3,), (2,)) == 6
    up = nn.ConvTranspose2d(4, 2, 3, stride=2)
    # each of the 4·5·5 inputs is multiplied by 2·3·3 weights
    assert mult_adds(up, (4, 5, 5), (2, 11, 11)) == 100 * 18
    assert summary(nn.Sequential(up), (4, 5, 5)).rows[0].output_shape == (2, 11, 11)
    with pytest.raises(ValueError, match="input_shape"):
        summary(model, (0, 3))
    with pytest.raises(TypeError, match="Module"):
        summary(torch.nn.Linear(3, 2), 3)


def _footprint(model, shape):
    """Extent (per axis) of the input pixels that the centre output depends on:
    the non-zero region of its gradient with all weights positive."""
    for p in model.parameters():
        p.data[...] = 1.0
    x = np.ones((1,) + shape)
    y = model(x)
    g = np.zeros_like(y)
    g[(0, 0) + tuple(n // 2 for n in y.shape[2:])] = 1.0
    gx = model.backward(g)
    nz = np.nonzero(gx[0, 0])
    return tuple(int(i.max() - i.min() + 1) for i in nz)


@pytest.mark.parametrize("layers, expected", [
    ([nn.Conv2d(1, 1, 3), nn.ReLU(), nn.Conv2d(1, 1, 3), nn.Conv2d(1, 1, 3)], 7),
    ([nn.Conv2d(1, 1, 7)], 7),
    ([nn.Conv2d(1, 1, 3, stride=2), nn.Conv2d(1, 1, 3, stride=2),
      nn.Conv2d(1, 1, 3)], 15),
    ([nn.Conv2d(1, 1, 3, dilation=1), nn.Conv2d(1, 1, 3, dilation=2),
      nn.Conv2d(1, 1, 3, dilation=4)], 15),
    ([nn.Conv2d(1, 1, 5), nn.AvgPool2d(2), nn.Conv2d(1, 1, 5), nn.AvgPool2d(2)], 16),
    ([nn.Conv2d(1, 1, (3, 5)), nn.Conv2d(1, 1, 3, stride=(2, 1))], (5, 7)),
])
def test_receptive_field_equals_gradient_footprint(layers, expected):
    model = nn.Sequential(*layers)
    rows = receptive_field(model)
    expected = expected if isinstance(expected, tuple) else (expected, expected)
    assert rows[-1].field == expected
    assert _footprint(model, (1, 41, 41)) == expected


def test_receptive_field_rows_residual_and_errors():
    rows = receptive_field(nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.MaxPool2d(2),
        nn.Residual(nn.Sequential(nn.Conv2d(4, 4, 3, padding=1), nn.ReLU()))))
    assert [r.name for r in rows] == ["0", "1", "2.fn.0", "2.fn.1"]
    assert [r.field for r in rows] == [(3, 3), (4, 4), (8, 8), (8, 8)]
    assert [r.jump for r in rows] == [(1, 1), (2, 2), (2, 2), (2, 2)]
    assert receptive_field(nn.Sequential(nn.Conv1d(1, 1, 5, dilation=2)),
                           ndim=1)[0].field == (9,)
    with pytest.raises(ValueError, match="whole input"):
        receptive_field(nn.Sequential(nn.Conv2d(1, 1, 3), nn.Flatten()))
    with pytest.raises(ValueError, match="transposed"):
        receptive_field(nn.Sequential(nn.ConvTranspose2d(1, 1, 3)))
    with pytest.raises(ValueError, match="ndim=2"):
        receptive_field(nn.Sequential(nn.Conv1d(1, 1, 3)))
