"""Hostile inputs to the task verbs (``recur sample``, ``export``, ``predict``, ``forecast``) and to the
data files they and ``recur train`` read: each is refused with a non-zero exit and one line that
names the problem, never a traceback, and nothing nonsensical is accepted silently."""

import gzip
import os
import subprocess
import sys
from pathlib import Path

import pytest

from recur.cli import main
from recur.data.series_catalog import SERIES

TINY_CLASSIFY = ["--hidden", "8", "--embedding", "8", "--batch-size", "4", "--max-steps", "1", "--eval-every", "1"]
SENTENCES = ["1 a gorgeous , witty , seductive movie .", "0 dull , lifeless and long .",
             "1 a charming -lrb- and funny -rrb- film !", "0 it does n't work at all ."]


def write_sst(folder: Path, bad_line: str | None = None) -> Path:
    """A tiny SST folder laid out as ``recur.tasks.classify`` reads it; ``bad_line`` ends the
    sentence-level training file."""
    files = {"sst2_sentences/stsa.binary.train": SENTENCES + ([bad_line] if bad_line else []),
             "sst2_sentences/stsa.binary.dev": SENTENCES, "sst2_sentences/stsa.binary.test": SENTENCES,
             "sst2_glue_style/train.tsv.gz": ["label\tsentence", *(s.replace(" ", "\t", 1) for s in SENTENCES)]}
    for relative, lines in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        data = ("\n".join(lines) + "\n").encode("utf-8")
        path.write_bytes(gzip.compress(data) if relative.endswith(".gz") else data)
    return folder


@pytest.fixture(scope="module")
def classify_dir(tmp_path_factory) -> Path:
    """A classifier trained one step on a tiny SST folder."""
    root = tmp_path_factory.mktemp("classify")
    out = root / "run"
    assert main(["train", "classify", "--data", str(write_sst(root / "sst")), "--out", str(out),
                 "--train-set", "sentences", *TINY_CLASSIFY]) == 0
    return out


@pytest.fixture(scope="module")
def forecast_dir(tmp_path_factory) -> Path:
    """A forecaster trained one step on the bundled airline series."""
    out = tmp_path_factory.mktemp("forecast") / "run"
    assert main(["train", "forecast", "--series", "airline", "--out", str(out), "--hidden", "8",
                 "--max-steps", "1", "--eval-every", "1"]) == 0
    return out


def airline_rows(path: Path, rows: int) -> Path:
    """The first ``rows`` rows of the bundled airline CSV (and its header) at ``path``."""
    lines = SERIES["airline"].path().read_text().splitlines()
    path.write_text("\n".join(lines[: rows + 1]) + "\n")
    return path


SAMPLE_FLAGS = {
    "seed -1": (["--seed", "-1"], "--seed", ">= 0"),
    "top-k 1e30": (["--top-k", "1e30"], "--top-k", "integer"),
    "top-k 0": (["--top-k", "0"], "--top-k", ">= 1"),
    "top-p 0": (["--top-p", "0"], "--top-p", "(0, 1]"),
    "top-p 1.5": (["--top-p", "1.5"], "--top-p", "(0, 1]"),
    "top-p nan": (["--top-p", "nan"], "--top-p", "finite"),
    "temperature nan": (["--temperature", "nan"], "--temperature", "finite"),
    "temperature inf": (["--temperature", "inf"], "--temperature", "finite"),
    "temperature -1": (["--temperature", "-1"], "--temperature", ">= 0"),
    "alpha nan": (["--beam", "2", "--alpha", "nan"], "--alpha", "finite"),
    "alpha -1": (["--beam", "2", "--alpha", "-1"], "--alpha", "in [0, 10]"),
    "alpha 1e300": (["--beam", "2", "--alpha", "1e300"], "--alpha", "in [0, 10]"),
    "length -1": (["--length", "-1"], "--length", "-1"),
    "length huge": (["--length", "100000000000"], "--length", "100000000000"),
    "length 1e3": (["--length", "1e3"], "--length", "integer"),
    "samples 0": (["--samples", "0"], "--samples", "got 0"),
    "samples huge": (["--samples", "10000000"], "--samples", "got 10000000"),
    "samples times length huge": (["--samples", "1000", "--length", "1000000"], "1,000,000,000 tokens",
                                  "at most 10,000,000"),
    "beam 0": (["--beam", "0"], "--beam", "got 0"),
    "beam huge": (["--beam", "10000000"], "--beam", "got 10000000"),
    "threads 0": (["--threads", "0"], "--threads", "got 0"),
    "threads past a C int": (["--threads", "99999999999"], "--threads", "got 99999999999"),
    "precision fp8": (["--precision", "fp8"], "--precision", "fp8"),
    "an unseen prime": (["--prime", "\u2603"], "prime", "never saw"),
    "a two-character stop": (["--beam", "2", "--stop", "ab"], "one character"),
    "stop without beam": (["--stop", "."], "--stop applies to --beam"),
    "stream with samples": (["--stream", "--samples", "2"], "--stream"),
}


@pytest.mark.parametrize("case", SAMPLE_FLAGS.values(), ids=SAMPLE_FLAGS.keys())
def test_sample_refuses_bad_numbers_and_settings(refused, tiny_charlm_dir, case):
    flags, *fragments = case
    refused(["sample", tiny_charlm_dir, "--length", "5", *flags], *fragments)


def test_a_vanishing_temperature_is_greedy_not_garbage(tiny_charlm_dir, capsys):
    """1e-320 divided the logits into inf and drew nonsense; below 1e-6 a temperature is greedy."""
    def sample(temperature: str) -> str:
        assert main(["sample", str(tiny_charlm_dir), "--prime", "Th", "--length", "40", "--seed", "1",
                     "--temperature", temperature, "--threads", "1"]) == 0
        return capsys.readouterr().out

    greedy = sample("0")
    assert sample("1e-320") == greedy and sample("5e-7") == greedy


def test_export_without_onnx_says_what_to_install(refused, tiny_charlm_dir, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)  # as if the onnx extra were not installed
    refused(["export", tiny_charlm_dir, "--onnx", tmp_path / "step.onnx"], "needs onnx", "pip install 'recur[onnx]'")
    assert not list(tmp_path.iterdir()), "nothing written"


def test_export_refuses_a_folder_and_a_classifier(refused, tiny_charlm_dir, classify_dir, tmp_path):
    refused(["export", tiny_charlm_dir, "--onnx", tmp_path], "a folder", "--onnx names the file")
    refused(["export", classify_dir, "--onnx", tmp_path / "x.onnx"], "needs a model of charlm or wordlm")


@pytest.mark.parametrize("text", ["", "   ", "\n"])
def test_predict_refuses_an_empty_text(refused, classify_dir, text):
    refused(["predict", classify_dir, text], "the text to classify is empty")


def test_predict_reads_raw_text_as_the_training_data_was_tokenised(classify_dir, capsys, last_json):
    """"gorgeous," and "movie!" were unknown words: raw text now gives what its tokenised form gives."""
    assert main(["predict", str(classify_dir), "A gorgeous, witty, seductive movie."]) == 0
    raw = last_json()
    assert main(["predict", str(classify_dir), "a gorgeous , witty , seductive movie ."]) == 0
    assert last_json() == raw


LABELS = {"double minus": "--1 a film", "superscript two": "\u00b2 a film", "tab and superscript": "1\u00b2\ta film",
          "a lone minus": "- a film", "5,000 digits": "9" * 5000 + " a film"}


@pytest.mark.parametrize("line", LABELS.values(), ids=LABELS.keys())
def test_malformed_labels_are_refused_naming_the_line(refused, classify_dir, tmp_path, line):
    (tmp_path / "bad.txt").write_text("1 a fine film\n" + line + "\n")
    refused(["eval", classify_dir, "--data", tmp_path / "bad.txt"], "bad.txt, line 2", "integer label")
    refused(["train", "classify", "--data", write_sst(tmp_path / "sst", line), "--out", tmp_path / "run",
             "--train-set", "sentences", *TINY_CLASSIFY], "line 5", "integer label")


def test_training_on_too_few_rows_states_the_real_minimum(refused, tmp_path):
    for rows in (30, 95):
        refused(["train", "forecast", "--series", "airline", "--data", airline_rows(tmp_path / "short.csv", rows),
                 "--out", tmp_path / "run", "--hidden", "8"], f"{rows} rows", "needs at least 96 to train")
    refused(["train", "forecast", "--series", "airline", "--horizon", "30", "--out", tmp_path / "run"],
            "--horizon 30 is longer than the 24 validation rows")


FORECAST_FLAGS = {
    "horizon 0": (["--horizon", "0"], "--horizon", "0"),
    "horizon -1": (["--horizon", "-1"], "--horizon", "-1"),
    "horizon nan": (["--horizon", "nan"], "--horizon"),
    "horizon past the model's": (["--horizon", "25"], "--horizon", "1 to 24"),
}


@pytest.mark.parametrize("case", FORECAST_FLAGS.values(), ids=FORECAST_FLAGS.keys())
def test_forecast_refuses_bad_numbers(refused, forecast_dir, tmp_path, case):
    flags, *fragments = case
    refused(["forecast", forecast_dir, "--out", tmp_path / "f", *flags], *fragments)


def test_forecast_and_eval_refuse_a_series_too_short(refused, forecast_dir, tmp_path):
    short = airline_rows(tmp_path / "short.csv", 10)
    refused(["forecast", forecast_dir, "--data", short, "--out", tmp_path / "f"], "reads 24 steps", "has 10")
    refused(["eval", forecast_dir, "--data", short], "short.csv has 10 rows")
    refused(["forecast", forecast_dir, "--data", airline_rows(tmp_path / "two.csv", 2), "--hold-out",
             "--horizon", "2", "--out", tmp_path / "f"], "leave no history")


def test_a_closed_pipe_ends_sampling_quietly(tiny_charlm_dir):
    """``recur sample DIR --stream | head -c 10``: the reader goes away after 10 bytes; the sampler
    stops without a word on stderr (no "Broken pipe" error line, no traceback)."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    process = subprocess.Popen([sys.executable, "-m", "recur.cli", "sample", str(tiny_charlm_dir), "--stream",
                                "--length", "1000000", "--threads", "1"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert len(process.stdout.read(10)) == 10
    process.stdout.close()  # as head does once it has its bytes
    _, stderr = process.communicate(timeout=120)
    assert stderr.decode() == "", stderr.decode()
    assert process.returncode in (0, 141)  # 141 = 128 + SIGPIPE, as a shell reports a closed pipe
