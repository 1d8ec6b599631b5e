"""The strokes task end to end on staircases (``tests.conftest.write_stroke_set``): a tiny LSTM
learns them and beats both yardsticks, the pooled NLL is the task's formula on a hand-computed
case, training resumes exactly, and ``recur sample`` draws SVG and PNG grids, refusing the flags of
other kinds of model."""

import math
import xml.etree.ElementTree as ElementTree

import numpy as np
import pytest
import torch
from PIL import Image

from recur.cli import main
from recur.models.mdn import SIGMA_MIN, StrokeConfig, StrokeMDN
from recur.tasks import load
from recur.tasks.strokes import pooled_nll
from tests.conftest import TINY_STROKES, write_stroke_set


def test_the_lstm_learns_the_staircases_and_beats_both_yardsticks(tiny_strokes_dir, tmp_path, last_json):
    data = write_stroke_set(tmp_path / "stairs.npz")
    scores = {}
    for memory in ("previous", "none"):
        out = tmp_path / memory
        assert main(["train", "strokes", "--data", str(data), "--out", str(out), *TINY_STROKES, "--memory", memory,
                     "--max-steps", "300", "--eval-every", "150"]) == 0
        assert main(["eval", str(out)]) == 0
        scores[memory] = last_json()["test"]["nll"]
    assert main(["eval", str(tiny_strokes_dir)]) == 0
    lstm = last_json()["test"]
    # an untrained model's NLL is a few nats; the staircase's next offset is known to ±1 unit of jitter
    # once the step before is seen, which only the LSTM sees
    assert lstm["nll"] < scores["previous"] - 0.3 and scores["previous"] < scores["none"] - 0.3
    assert lstm["points"] == sum(len(d) - 1 for d in load(tiny_strokes_dir).evaluation_data(str(data)))


def test_the_pooled_nll_is_the_tasks_formula():
    """A no-memory model whose mixture is one round unit Gaussian at 0 and p(lifted) = 1/2: drawings
    of 3 and 2 points give 2 + 1 predictions, each offset costing log 2π σ² + |x|²/2σ² (scale 1)."""
    model = StrokeMDN(StrokeConfig(memory="none", mixtures=1))
    with torch.no_grad():
        model.out.weight.zero_()
        model.out.bias.zero_()
    drawings = [np.array([[9, 9, 0], [1, 0, 0], [0, 2, 1]], np.int16), np.array([[5, 5, 0], [3, 0, 1]], np.int16)]
    s = 1 + SIGMA_MIN
    offset = lambda x: math.log(2 * math.pi * s * s) + x * x / (2 * s * s)  # noqa: E731
    scores = pooled_nll(model, drawings, 1.0, torch.device("cpu"))
    assert scores["offset_nll"] == pytest.approx((offset(1) + offset(2) + offset(3)) / 3, rel=1e-6)
    assert scores["pen_nll"] == pytest.approx(math.log(2), rel=1e-6)
    assert scores["nll"] == pytest.approx(scores["offset_nll"] + scores["pen_nll"])
    # in units of a scale of 2, every offset halves and each density doubles... per coordinate
    halved = pooled_nll(model, drawings, 2.0, torch.device("cpu"))
    assert halved["offset_nll"] == pytest.approx((offset(0.5) + offset(1) + offset(1.5)) / 3, rel=1e-6)


@pytest.mark.parametrize("memory", ["rnn", "previous"])
def test_resume_is_exact(tmp_path, memory, resume_is_exact):
    data = write_stroke_set(tmp_path / "stairs.npz")
    resume_is_exact(["train", "strokes", "--data", str(data), *TINY_STROKES, "--memory", memory, "--dropout", "0.1",
                     "--eval-every", "3"], 6, tmp_path)


def test_sample_draws_an_svg_grid_and_a_png(tiny_strokes_dir, tmp_path, last_json):
    svg, png = tmp_path / "d.svg", tmp_path / "d.png"
    assert main(["sample", str(tiny_strokes_dir), "--out", str(svg), "--samples", "6", "--seed", "3",
                 "--bias", "2"]) == 0
    said = last_json()
    assert said["drawings"] == 6 and said["bias"] == 2.0 and all(n >= 2 for n in said["points"])
    root = ElementTree.parse(svg).getroot()
    assert root.tag.endswith("svg") and int(root.get("width")) == 3 * 120  # a 2 × 3 grid of 120-pixel cells
    assert len(root.findall("{http://www.w3.org/2000/svg}polyline")) >= 6
    assert main(["sample", str(tiny_strokes_dir), "--out", str(png), "--samples", "4", "--length", "12"]) == 0
    assert last_json()["points"] == [12] * 4
    with Image.open(png) as picture:
        assert picture.format == "PNG" and picture.size[0] > 100


def test_a_sample_is_the_same_for_the_same_seed_and_neater_with_bias(tiny_strokes_dir):
    model = load(tiny_strokes_dir)
    one, again = model.sample(3, seed=5), model.sample(3, seed=5)
    assert all(np.array_equal(a, b) for a, b in zip(one, again))
    # a bias draws nearer the mixture's modes: the model finds its own biased samples likelier
    nll = lambda bias: pooled_nll(model.model, model.sample(40, 16, bias, seed=1), model.stats.scale,  # noqa: E731
                                  torch.device("cpu"))["offset_nll"]
    assert nll(3.0) < nll(0.0) - 0.5


@pytest.mark.parametrize("flags, says", [
    (["--out", "x.mid"], "a stroke model draws: give --out drawing.svg"),
    ([], "a stroke model draws"),
    (["--out", "x.svg", "--wav", "x.wav"], "--wav does not apply to a strokes model"),
    (["--out", "x.svg", "--prime", "ROMEO"], "--prime does not apply to a strokes model"),
    (["--out", "x.svg", "--temperature", "0"], "--temperature must be above 0"),
    (["--out", "x.svg", "--length", "1"], "a drawing has 2 to"),
    (["--out", "x.txt"], "ending in .mid or .svg or .png"),
    (["--out", "x.svg", "--bias", "-1"], "--bias"),
])
def test_sample_refuses_what_a_stroke_model_cannot_do(tiny_strokes_dir, tmp_path, capsys, flags, says, monkeypatch):
    monkeypatch.chdir(tmp_path)
    try:
        code = main(["sample", str(tiny_strokes_dir), *flags])
    except SystemExit as exit:  # argparse's refusal of a flag's value
        code = exit.code
    assert code != 0 and says in capsys.readouterr().err
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_bias_is_refused_by_a_text_model(tiny_charlm_dir, capsys):
    assert main(["sample", str(tiny_charlm_dir), "--bias", "1"]) != 0
    assert "--bias does not apply to a text model" in capsys.readouterr().err
