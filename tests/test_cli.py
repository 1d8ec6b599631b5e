"""The command line, in-process through main(argv), including its error messages."""

import gzip
import json

import pytest

from recur import load
from recur.cli import main

TINY = ["--hidden", "16", "--layers", "1", "--embedding", "8", "--seq-len", "16", "--batch-size", "4"]


@pytest.fixture
def text_file(tmp_path, small_text):
    path = tmp_path / "text.txt"
    path.write_text(small_text, encoding="utf-8")
    return path


@pytest.fixture
def trained(tmp_path, train_tiny_charlm, capsys):
    """A run folder of its own: tests here resume it and break its files."""
    out = train_tiny_charlm(tmp_path / "run", steps=6)
    capsys.readouterr()
    return out



def test_train_prints_a_summary_and_writes_checkpoints(tmp_path, text_file, capsys, last_json):
    out = tmp_path / "run"
    assert main(["train", "charlm", "--data", str(text_file), "--out", str(out), "--max-steps", "4",
                 "--cell", "gru-seed", "--optimizer", "rmsprop", "--clip-mode", "value", "--clip", "1", *TINY]) == 0
    assert last_json()["step"] == 4
    config = json.loads((out / "last" / "config.json").read_text())
    assert config["model"]["cell"] == "gru-seed" and config["data"]["source"] == str(text_file.resolve())


def test_train_accepts_gzip_text(tmp_path, small_text, capsys):
    path = tmp_path / "text.txt.gz"
    path.write_bytes(gzip.compress(small_text.encode()))
    assert main(["train", "charlm", "--data", str(path), "--out", str(tmp_path / "r"), "--max-steps", "2", *TINY]) == 0


def test_resume_continues_from_the_checkpoint(trained, capsys, last_json):
    assert main(["train", "charlm", "--out", str(trained), "--resume", "--max-steps", "9"]) == 0
    assert last_json()["step"] == 9


def test_eval_prints_loss_and_bpc_as_last_json_line(trained, text_file, capsys, last_json):
    assert main(["eval", str(trained), "--data", str(text_file)]) == 0
    result = last_json()
    assert result["bpc"] == pytest.approx(result["loss"] / 0.6931471805599453)
    assert 0 < result["loss"] < 5
    assert main(["eval", str(trained)]) == 0  # default: the validation split it was trained with
    assert "validation split" in last_json()["data"]


def test_sample_prints_prime_and_exactly_n_characters_reproducibly(trained, capsys):
    args = ["sample", str(trained), "--prime", "First", "--length", "50", "--seed", "7"]
    assert main(args) == 0
    first = capsys.readouterr().out
    assert main(args) == 0
    assert capsys.readouterr().out == first
    assert first.startswith("First") and len(first) == len("First") + 50


def test_sample_greedy_top_k_top_p(trained, capsys):
    for extra in (["--temperature", "0"], ["--top-k", "3"], ["--top-p", "0.9"]):
        assert main(["sample", str(trained), "--length", "20", "--seed", "1", *extra]) == 0
        assert len(capsys.readouterr().out) == 20


def error_of(capsys, argv):
    code = main(argv)
    captured = capsys.readouterr()
    assert code != 0
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("recur") and ": error: " in lines[0], captured.err
    assert "Traceback" not in captured.err
    return lines[0]


def test_unseen_prime_characters_are_named(trained, capsys):
    assert "never saw: 'Ж'" in error_of(capsys, ["sample", str(trained), "--prime", "Жx"])


def test_errors_are_one_clear_line(tmp_path, trained, capsys):
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "binary.bin").write_bytes(b"\x00\x01\x02" * 100)
    (tmp_path / "notckpt").mkdir()
    out = str(tmp_path / "new")
    cases = {
        "no such file": ["train", "charlm", "--data", str(tmp_path / "missing.txt"), "--out", out],
        "file is empty": ["train", "charlm", "--data", str(tmp_path / "empty.txt"), "--out", out],
        "binary data": ["train", "charlm", "--data", str(tmp_path / "binary.bin"), "--out", out],
        "not a recur checkpoint": ["sample", str(tmp_path / "notckpt")],
        "no such checkpoint folder": ["eval", str(tmp_path / "nowhere")],
        "argument --hidden: must be >= 1, got 0": ["train", "charlm", "--out", out, "--hidden", "0"],
        "argument --batch-size: must be >= 1, got -2": ["train", "charlm", "--out", out, "--batch-size", "-2"],
        "argument --length: must be in [0": ["sample", str(trained), "--length", "-1"],
        "already holds a checkpoint": ["train", "charlm", "--out", str(trained), "--max-steps", "1"],
        "cannot change --hidden when resuming: the checkpoint has 32, given 8":
            ["train", "charlm", "--out", str(trained), "--resume", "--hidden", "8"],
        "nothing to resume": ["train", "charlm", "--out", out, "--resume"],
    }
    for expected, argv in cases.items():
        assert expected in error_of(capsys, argv)


def test_corrupt_safetensors_is_refused(trained, capsys):
    (trained / "best" / "model.safetensors").write_bytes(b"definitely not safetensors")
    assert "not a readable safetensors file" in error_of(capsys, ["sample", str(trained)])


def test_cli_resume_20_plus_20_equals_40(tmp_path, text_file, capsys):
    from recur.train import checkpoint
    common = ["--data", str(text_file), "--schedule", "constant", "--dropout", "0.2", "--layers", "2", *TINY[:2],
              *TINY[4:]]
    assert main(["train", "charlm", "--out", str(tmp_path / "a"), "--max-steps", "40", *common]) == 0
    assert main(["train", "charlm", "--out", str(tmp_path / "b"), "--max-steps", "20", *common]) == 0
    assert main(["train", "charlm", "--out", str(tmp_path / "b"), "--max-steps", "40", "--resume"]) == 0
    a, b = (checkpoint.read_tensors(tmp_path / run / "last", "model") for run in "ab")
    assert all(bool((a[k] == b[k]).all()) for k in a)


@pytest.mark.parametrize("cell", ["clockwork", "depth-gated", "layernorm-lstm", "esn"])
def test_every_new_cell_trains_and_samples(tmp_path, text_file, cell, capsys):
    out = tmp_path / cell
    assert main(["train", "charlm", "--data", str(text_file), "--out", str(out), "--max-steps", "3", "--cell", cell,
                 "--recurrent-dropout", "0.1", *TINY]) == 0
    capsys.readouterr()
    assert main(["sample", str(out), "--prime", "Th", "--length", "20", "--seed", "3"]) == 0
    written = capsys.readouterr().out
    assert written.startswith("Th") and len(written) == 2 + 20


def test_cell_options_reach_the_cell_and_the_checkpoint(tmp_path, text_file, capsys):
    out = tmp_path / "cw"
    assert main(["train", "charlm", "--data", str(text_file), "--out", str(out), "--max-steps", "2",
                 "--cell", "clockwork", "--cell-option", "periods=[1,3]", *TINY]) == 0
    config = json.loads((out / "last" / "config.json").read_text())
    assert config["model"]["cell_options"] == {"periods": [1, 3]}
    assert main(["train", "charlm", "--data", str(text_file), "--out", str(tmp_path / "x"), "--max-steps", "2",
                 "--cell", "clockwork", "--cell-option", "period=2", *TINY]) == 2
    assert "has no option period; its options: bias, modules, periods" in capsys.readouterr().err
    assert main(["train", "charlm", "--data", str(text_file), "--out", str(tmp_path / "y"), "--max-steps", "2",
                 "--cell-option", "periods", *TINY]) == 2
    assert "NAME=VALUE" in capsys.readouterr().err


def test_stream_prints_the_same_text_as_a_plain_sample(trained, capsys):
    args = ["sample", str(trained), "--prime", "Th", "--length", "30", "--seed", "2"]
    assert main(args) == 0
    plain = capsys.readouterr().out
    assert main([*args, "--stream"]) == 0
    assert capsys.readouterr().out == plain


def test_samples_are_drawn_as_a_batch_and_differ(trained, capsys):
    texts = load(str(trained)).generate_many("Th", 40, seed=2, samples=3)
    assert len(texts) == 3 and all(len(t) == 40 for t in texts) and len(set(texts)) > 1
    assert main(["sample", str(trained), "--prime", "Th", "--length", "40", "--seed", "2", "--samples", "3"]) == 0
    assert capsys.readouterr().out == "".join(f"==> sample {i} of 3 <==\nTh{t}\n" for i, t in enumerate(texts, 1))
    assert main(["sample", str(trained), "--samples", "2", "--stream"]) == 2
    assert "--stream prints one sample" in capsys.readouterr().err


def test_reduced_precision_and_threads_from_the_shell(trained, capsys):
    base = ["sample", str(trained), "--prime", "Th", "--length", "40", "--temperature", "0"]
    assert main(base) == 0
    greedy = capsys.readouterr().out
    for extra in (["--threads", "1"], ["--threads", "2"], ["--precision", "bf16"], ["--precision", "int8"]):
        assert main([*base, *extra]) == 0
        out = capsys.readouterr().out
        assert out.startswith("Th") and len(out) == 42
        if extra[0] == "--threads":
            assert out == greedy  # threads split the work, never change the numbers
    assert main([*base, "--threads", "0"]) == 2
    assert "argument --threads: must be in [1, 256], got 0" in capsys.readouterr().err
    assert main([*base, "--precision", "fp16"]) == 2
    assert "invalid choice: 'fp16'" in capsys.readouterr().err


def test_beam_search_from_the_shell(trained, capsys):
    lm = load(str(trained))
    assert main(["sample", str(trained), "--prime", "Th", "--length", "25", "--beam", "4"]) == 0
    assert capsys.readouterr().out == "Th" + lm.beam("Th", 25, width=4)
    assert main(["sample", str(trained), "--prime", "Th", "--length", "60", "--beam", "3", "--stop", " "]) == 0
    text = capsys.readouterr().out[2:]
    assert " " not in text[:-1] and (text.endswith(" ") or len(text) == 60)
    for bad, message in ((["--beam", "3", "--stream"], "neither --stream"), (["--stop", "."], "--stop applies"),
                         (["--beam", "2", "--stop", "ab"], "one character")):
        assert main(["sample", str(trained), *bad]) == 2
        assert message in capsys.readouterr().err


def test_export_writes_an_onnx_step(trained, tmp_path, capsys, last_json):
    pytest.importorskip("onnxruntime", reason="onnxruntime is not installed (pip install -e '.[onnx]')")
    target = tmp_path / "out" / "step.onnx"
    assert main(["export", str(trained), "--onnx", str(target)]) == 0
    summary = last_json()
    assert target.exists() and summary["inputs"] == ["ids", "h", "c"] and summary["outputs"][0] == "logits"
    assert not list(target.parent.glob("*.tmp")), "no temporary file left behind"


def test_each_task_has_its_own_flags_and_defaults(capsys):
    shown = {}
    for task in ("charlm", "wordlm", "classify", "forecast"):
        assert main(["train", task, "--help"]) == 0
        shown[task] = capsys.readouterr().out
    assert "--series" in shown["forecast"] and "--embedding" not in shown["forecast"]
    assert "units per layer (H); >= 1; default: 64" in " ".join(shown["forecast"].split())
    assert "units per layer (H); >= 1; default: 150" in " ".join(shown["classify"].split())
    assert "--val-fraction" in shown["charlm"] and "--val-fraction" not in shown["wordlm"]
    assert "--bidirectional" in shown["classify"] and "--bidirectional" not in shown["charlm"]
    assert main(["train", "--help"]) == 0
    listing = capsys.readouterr().out
    assert all(task in listing for task in shown)
