"""`recur explain`: every topic's numbers, the figures, and the command line's refusals."""

import json
import re
from pathlib import Path

import numpy as np
import pytest

import recur
from recur.cli import main
from recur.errors import RecurError
from recur.explain import TOPICS, explain

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"



def test_every_topic_named_in_the_brief_is_registered():
    assert list(TOPICS) == ["hello", "onehot", "params", "bptt", "eigen", "clipping", "lstm-gates"]


def test_hello_predicts_ello_after_h_e_l_l():
    numbers = explain("hello").numbers
    assert numbers["vocabulary"] == ["h", "e", "l", "o"] and numbers["inputs"] == list("hell")
    assert numbers["predicted"] == "ello"
    probabilities = np.array(numbers["probabilities"])  # [4 inputs, 4 letters]
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    assert probabilities[3, 3] > 0.5  # the second "l" is followed by "o": only the state tells


def test_onehot_is_a_column_of_U_both_ways():
    numbers = explain("onehot").numbers
    assert numbers["x"] == [0, 0, 0, 1, 0]
    np.testing.assert_allclose(numbers["product"], [0.6, 0.9, -0.8], atol=1e-15)
    assert numbers["lookup"] == numbers["product"]
    assert explain("onehot", options={"column": "1"}).numbers["product"] == pytest.approx([0.1, -0.2, -0.1])


def test_params_reproduces_seed_004s_39():
    numbers = explain("params").numbers
    assert numbers["total"] == numbers["model_total"] == 39
    assert numbers["breakdown"] == {"U": 15, "W": 9, "V": 15}


@pytest.mark.parametrize("cell, gates", [("elman", 1), ("lstm", 4), ("gru", 3)])
def test_params_with_biases_counts_every_matrix(cell, gates):
    d, h, o = 7, 4, 6
    numbers = explain("params", options={"cell": cell, "input": str(d), "hidden": str(h), "output": str(o),
                                         "bias": "true"}).numbers
    # U [G·H, D] + W [G·H, H] + b_ih, b_hh [G·H] + V [O, H] + a [O]
    assert numbers["total"] == numbers["model_total"] == gates * h * (d + h) + 2 * gates * h + o * h + o
    assert numbers["breakdown"]["b_hh"] == gates * h and numbers["breakdown"]["a"] == o


def test_bptt_by_hand_equals_autograd_in_float64():
    numbers = explain("bptt").numbers
    assert set(numbers["max_abs_difference"]) == {"V", "a", "c_t", "W", "U", "b"}
    assert max(numbers["max_abs_difference"].values()) < 1e-10
    assert numbers["loss"]["reference"] == pytest.approx(numbers["loss"]["autograd"], abs=1e-12)
    assert np.abs(numbers["reference"]["W"]).max() > 1e-3  # a real gradient, not zeros matching zeros


def test_eigen_norms_decay_below_one_and_grow_above():
    numbers = explain("eigen").numbers
    shrink, grow = numbers["contracting"], numbers["expanding"]
    assert max(abs(v) for v in shrink["eigenvalues"]) < 1 < min(abs(v) for v in grow["eigenvalues"])
    assert all(b < a for a, b in zip(shrink["norms"], shrink["norms"][1:]))
    assert all(b > a for a, b in zip(grow["norms"], grow["norms"][1:]))
    assert shrink["norms"][-1] < 0.01 * shrink["norms"][0] and grow["norms"][-1] > 10 * grow["norms"][0]
    for case in (shrink, grow):  # V Λᵗ V⁻¹ c_0 is Wᵗ c_0, and c_t turns towards the leading eigenvector
        assert case["closed_form_difference"] < 1e-10
        assert case["cosine_to_leading"][1] > 0.99 > case["cosine_to_leading"][0]


def test_clipping_rescales_to_the_threshold_and_keeps_the_direction():
    numbers = explain("clipping").numbers
    exploding, calm = numbers["exploding"], numbers["calm"]
    assert exploding["clipped"] and exploding["norm_before"] > 1e3 * numbers["threshold"]
    assert exploding["norm_after"] == pytest.approx(numbers["threshold"], rel=1e-12)
    assert exploding["cosine"] == pytest.approx(1.0, abs=1e-12)
    for before, after in exploding["parameters"].values():  # every parameter scaled by the same factor
        assert after == pytest.approx(before * exploding["factor"], rel=1e-9)
    assert not calm["clipped"] and calm["norm_after"] == calm["norm_before"] < numbers["threshold"]


def check_lstm_numbers(numbers):
    g = {name: np.array(values) for name, values in numbers["gates"].items()}  # each [T, units]
    assert g["i"].shape == (len(numbers["sentence"]), len(numbers["units"]))
    for name in ("i", "f", "o"):
        assert ((g[name] > 0) & (g[name] < 1)).all()
    assert (np.abs(g["g"]) < 1).all()
    previous = np.vstack([np.zeros(g["c"].shape[1]), g["c"][:-1]])  # c_0 = 0
    np.testing.assert_allclose(g["c"], g["f"] * previous + g["i"] * g["g"], atol=1e-12)
    np.testing.assert_allclose(g["m"], np.tanh(g["c"]) * g["o"], atol=1e-12)
    assert numbers["max_difference_from_cell"] < 1e-10


def test_lstm_gates_of_a_briefly_trained_model():
    numbers = explain("lstm-gates", options={"steps": "60", "hidden": "24", "units": "3",
                                             "sentence": "To be, or not"}).numbers
    assert numbers["hidden"] == 24 and len(numbers["units"]) == 3
    assert len(numbers["mean"]["f"]) == len("To be, or not")
    check_lstm_numbers(numbers)


def train_checkpoint(tmp_path: Path, text: str, cell: str) -> Path:
    task = recur.CharLMTask.from_text(text, recur.CharDataConfig(seq_len=16, batch_size=4), cell=cell,
                                      hidden=12, layers=2, embedding=8)
    recur.Trainer(task, recur.TrainConfig(max_steps=3, eval_every=3), tmp_path / cell).fit()
    return tmp_path / cell


def test_lstm_gates_reads_a_checkpoint_and_refuses_other_cells(tmp_path, small_text):
    lstm = train_checkpoint(tmp_path, small_text, "lstm")
    numbers = explain("lstm-gates", options={"model": str(lstm), "sentence": "First Citizen"}).numbers
    assert numbers["hidden"] == 12
    check_lstm_numbers(numbers)
    gru = train_checkpoint(tmp_path, small_text, "gru")
    with pytest.raises(RecurError, match="option model.*not a charlm LSTM"):
        explain("lstm-gates", options={"model": str(gru)})
    with pytest.raises(RecurError, match="option model"):
        explain("lstm-gates", options={"model": str(tmp_path / "missing")})


def test_figures_only_with_an_output_folder(tmp_path):
    assert explain("eigen").figures == ()
    (figure,) = explain("eigen", tmp_path).figures
    assert figure == tmp_path / "eigen.png" and figure.read_bytes().startswith(PNG_MAGIC)


@pytest.mark.parametrize("topic, options, named", [
    ("nope", {}, "hello, onehot, params, bptt, eigen, clipping, lstm-gates"),
    ("params", {"size": "3"}, "input, hidden, output, cell, bias"),
    ("params", {"hidden": "-1"}, "option hidden"),
    ("params", {"hidden": "abc"}, "option hidden"),
    ("params", {"cell": "lstmm"}, "option cell"),
    ("params", {"bias": "maybe"}, "option bias"),
    ("onehot", {"column": "6"}, "option column"),
    ("clipping", {"threshold": "nan"}, "option threshold"),
])
def test_refusals_name_what_is_wrong(topic, options, named):
    with pytest.raises(RecurError, match=re.escape(named)):
        explain(topic, options=options)


def test_cli_prints_the_text_then_json(capsys, last_json):
    assert main(["explain", "onehot"]) == 0
    out = capsys.readouterr().out
    assert "embedding(3) = [0.6, 0.9, -0.8]" in out
    result = json.loads(out.strip().splitlines()[-1])
    assert result["topic"] == "onehot" and result["figures"] == []
    assert result["numbers"]["product"] == pytest.approx([0.6, 0.9, -0.8])
    assert main(["explain", "params", "--option", "cell=gru", "--option", "bias=true"]) == 0
    assert last_json()["numbers"]["total"] == 3 * 3 * (5 + 3) + 2 * 3 * 3 + 5 * 3 + 5


def test_cli_writes_the_png_with_out(tmp_path, capsys, last_json):
    assert main(["explain", "eigen", "--out", str(tmp_path), "--option", "steps=12"]) == 0
    result = last_json()
    assert result["figures"] == [str(tmp_path / "eigen.png")]
    assert Path(result["figures"][0]).read_bytes()[:8] == PNG_MAGIC
    assert len(result["numbers"]["expanding"]["norms"]) == 13


@pytest.mark.parametrize("argv, named", [
    (["explain", "nope"], "unknown topic 'nope'"),
    (["explain", "params", "--option", "hidden=-1"], "option hidden"),
    (["explain", "params", "--option", "hidden"], "NAME=VALUE"),
    (["explain", "params", "--option", "hidden=2", "--option", "hidden=3"], "hidden given twice"),
])
def test_cli_refusals_exit_2_with_one_line_on_stderr(argv, named, capsys):
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert named in captured.err and captured.err.count("\n") == 1 and captured.out == ""


def test_nothing_below_imports_explain():
    src = Path(recur.__file__).parent
    importers = {p.relative_to(src).as_posix() for p in src.rglob("*.py")
                 if re.search(r"^\s*(from|import) recur\.explain", p.read_text(encoding="utf-8"), re.MULTILINE)}
    assert importers - {p for p in importers if p.startswith("explain/")} == {"cli_explain.py"}


@pytest.mark.parametrize("topic", ["onehot", "params", "bptt", "eigen", "clipping"])
def test_numbers_are_json(topic):
    result = explain(topic)
    assert json.loads(json.dumps(result.numbers)) == result.numbers and result.text
