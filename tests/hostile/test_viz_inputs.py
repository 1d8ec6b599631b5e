"""``recur viz``'s hostile inputs: a folder that is missing, not a run or of the wrong task, a text
that cannot be read, numbers out of range or not numbers, an output that is a folder or of the
wrong format; each ends in one error line and a non-zero exit.

Each case is an argv with ``{placeholders}`` for the files ``paths`` makes, and the fragments its
error line must hold."""

import pytest

from recur.cli import main

GRADIENTS = ["viz", "gradients", "{run}", "--text", "{text}"]
CELLS = ["viz", "cells", "{run}", "--text", "{text}"]
CASES = {
    # folders: missing, not a run, a file, the wrong task
    "missing folder": (["viz", "spectrum", "{nothing}/x"], ["no such checkpoint folder"]),
    "not a run": (["viz", "spectrum", "{nothing}"], ["not a recur checkpoint"]),
    "a file, not a folder": (["viz", "spectrum", "{text}"], ["not a folder"]),
    "gradients of a forecaster": (["viz", "gradients", "{forecast}", "--text", "{text}"],
                                  ["a forecast model", "needs a model of charlm or wordlm"]),
    "cells of a forecaster": (["viz", "cells", "{forecast}", "--text", "{text}"], ["a forecast model"]),
    "curves without metrics": (["viz", "curves", "{nothing}"], ["holds metrics.jsonl"]),
    "curves of a list line": (["viz", "curves", "{list_line}"], ["line 1: not a JSON record"]),
    "curves not UTF-8": (["viz", "curves", "{latin1}"], ["not UTF-8"]),
    "curves of two kinds of loss": (["viz", "curves", "{run}", "{forecast}"], ["different losses", "nats/char", "MSE"]),
    "curves of one run twice": (["viz", "curves", "{run}", "{run}"], ["named twice"]),
    # texts
    "missing text": (["viz", "gradients", "{run}", "--text", "{nothing}/none.txt"], ["none.txt"]),
    "empty text": (["viz", "cells", "{run}", "--text", "{empty}"], ["empty"]),
    "binary text": (["viz", "cells", "{run}", "--text", "{binary}"], ["binary"]),
    "text is a folder": (["viz", "cells", "{run}", "--text", "{folder}"], ["directory"]),
    "unseen characters": (["viz", "cells", "{run}", "--text", "{greek}"], ["never saw"]),
    "span past the text": (GRADIENTS + ["--span", "100000"], ["a window of 100000 steps"]),
    # numbers
    "span 0": (GRADIENTS + ["--span", "0"], ["--span", "must be >= 1, got 0"]),
    "span -3": (GRADIENTS + ["--span", "-3"], ["--span", "must be >= 1"]),
    "span nan": (GRADIENTS + ["--span", "nan"], ["--span", "must be an integer"]),
    "windows 0": (GRADIENTS + ["--windows", "0"], ["--windows", "must be in [1, 4096]"]),
    "windows 1e10": (GRADIENTS + ["--windows", "10000000000"], ["--windows", "must be in [1, 4096]"]),
    "clip nan": (GRADIENTS + ["--clip", "nan"], ["--clip", "finite"]),
    "clip 0": (GRADIENTS + ["--clip", "0"], ["--clip", "must be > 0"]),
    "clip -1": (GRADIENTS + ["--clip", "-1"], ["--clip", "must be > 0"]),
    "radii nan": (GRADIENTS + ["--radii", "nan,1"], ["--radii", "positive finite"]),
    "radii inf": (GRADIENTS + ["--radii", "inf"], ["--radii", "positive finite"]),
    "radii -1": (GRADIENTS + ["--radii", "-1"], ["--radii", "positive finite"]),
    "radii ,": (GRADIENTS + ["--radii", ","], ["--radii", "comma-separated numbers"]),
    "seed -1": (GRADIENTS + ["--fresh", "--seed", "-1"], ["--seed", "must be in [0, "]),
    "max-chars 1": (CELLS + ["--max-chars", "1"], ["--max-chars", "must be >= 2"]),
    "max-chars x": (CELLS + ["--max-chars", "x"], ["--max-chars", "must be an integer"]),
    "top 0": (CELLS + ["--top", "0"], ["--top", "must be >= 1"]),
    "top 1.5": (CELLS + ["--top", "1.5"], ["--top", "must be an integer"]),
    "unknown unit": (CELLS + ["--unit", "layer9.q[0]"], ["unknown unit 'layer9.q[0]'"]),
    # outputs
    "out is a folder": (["viz", "spectrum", "{run}", "--out", "{folder}"], ["--out", "is a folder"]),
    "out .jpg": (["viz", "spectrum", "{run}", "--out", "{folder}/s.jpg"], ["--out", "ending in .png"]),
    "out without suffix": (["viz", "curves", "{run}", "--out", "{folder}/c"], ["--out", "ending in .png"]),
    "cells out .png": (CELLS + ["--out", "{folder}/c.png"], ["--out", "ending in .html"]),
    # no picture, an unknown one
    "no picture": (["viz"], ["PICTURE"]),
    "unknown picture": (["viz", "colours", "{run}"], ["invalid choice: 'colours'"]),
}


@pytest.fixture(scope="module")
def forecast_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("forecast") / "airline"
    assert main(["train", "forecast", "--series", "airline", "--hidden", "8", "--batch-size", "8",
                 "--max-steps", "2", "--eval-every", "2", "--out", str(out)]) == 0
    return out


@pytest.fixture
def paths(tmp_path, tiny_charlm_dir, shakespeare_file, forecast_run) -> dict[str, str]:
    """What the placeholders stand for: two runs, a text, and bad files of every kind."""
    files = {"empty": b"", "binary": b"\x00\x01\x02\xff" * 10, "greek": "αβγδεζηθ".encode() * 10,
             "list_line/metrics.jsonl": b"[1, 2, 3]\n", "latin1/metrics.jsonl": b'{"step": 1, "loss": 2, "x": "\xe9"}\n'}
    for name, content in files.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_bytes(content)
    (tmp_path / "folder").mkdir()
    (tmp_path / "nothing").mkdir()
    named = {name: tmp_path / name.split("/")[0] for name in files} | {
        "folder": tmp_path / "folder", "nothing": tmp_path / "nothing", "run": tiny_charlm_dir,
        "text": shakespeare_file, "forecast": forecast_run}
    return {name.split("/")[0]: str(path) for name, path in named.items()}


@pytest.mark.parametrize("argv, fragments", CASES.values(), ids=CASES.keys())
def test_a_bad_viz_input_is_one_line(refused, paths, argv, fragments):
    refused([a.format(**paths) for a in argv], *fragments)
