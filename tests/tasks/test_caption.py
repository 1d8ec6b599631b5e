"""The caption task: a captioner learns to read strips of one or two real digits in under a minute,
looks at the digit it names, captions a PNG from the command line with its attention drawn, resumes
exactly, and ``recur eval`` scores it."""

import json

import numpy as np

from recur.cli import main
from recur.data.strip_image import write_strip
from recur.tasks import caption as caption_task
from recur.tasks import load

TINY = ["--channels", "4", "--hidden", "8", "--embedding", "4", "--batch-size", "8", "--val-strips", "10",
        "--test-strips", "10", "--dropout", "0", "--schedule", "constant"]


def test_a_captioner_learns_to_read_strips_and_looks_at_each_digit(small_captioner_dir, capsys):
    capsys.readouterr()
    assert main(["eval", str(small_captioner_dir)]) == 0
    scores = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(scores) == {"val", "test"}
    test = scores["test"]
    assert test["strips"] == 200 and test["beam"] == 5 and test["style"] == "spell"
    assert test["exact"] > 80 and test["token_accuracy"] > 85, test  # chance: 1 in 10 per digit
    assert test["attention_accuracy"] > 80, test
    assert test["signature"].startswith("nrefs:1|case:mixed|eff:no|tok:13a")


def test_caption_reads_a_png_prints_its_caption_and_draws_attention(small_captioner_dir, tmp_path, capsys):
    captioner = load(small_captioner_dir)
    strips = caption_task.held_out(json.loads((small_captioner_dir / "best" / "config.json").read_text()))["test"].data
    pictures = [write_strip(tmp_path / f"strip{k}.png", strips.images[k], scale=4) for k in range(10)]
    capsys.readouterr()
    picture = tmp_path / "look.png"
    assert main(["caption", str(small_captioner_dir), *map(str, pictures), "--show-attention", str(picture)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed == captioner.caption(strips.images[:10])  # the PNGs read back as the strips themselves
    assert sum(p == r for p, r in zip(printed, strips.captions("spell")[:10])) >= 7
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_caption_json_names_each_image(small_captioner_dir, tmp_path, capsys):
    strip = np.zeros((12, 64), dtype=np.float32)
    strip[2:10, 20:28] = caption_task.Digits.get()[0][0]  # image 0 of the digit set: a zero
    path = write_strip(tmp_path / "zero.png", strip)
    capsys.readouterr()
    assert main(["caption", str(small_captioner_dir), str(path), "--json", "--beam", "1"]) == 0
    line = json.loads(capsys.readouterr().out)
    assert line["image"] == str(path) and set(line) == {"image", "caption"} and line["caption"].split()


def test_test_strips_are_captioned_and_saved_by_number(small_captioner_dir, tmp_path, capsys):
    captioner = load(small_captioner_dir)
    capsys.readouterr()
    assert main(["caption", str(small_captioner_dir), "--test-strip", "3", "--test-strip", "0", "--save-strips",
                 str(tmp_path / "saved")]) == 0
    printed = capsys.readouterr().out.splitlines()
    test = captioner.test_strips()
    assert printed == captioner.caption(test.images[[3, 0]])
    capsys.readouterr()
    assert main(["caption", str(small_captioner_dir), str(tmp_path / "saved" / "test_strip_3.png")]) == 0
    assert capsys.readouterr().out.splitlines() == printed[:1]


def test_resume_is_exact(tmp_path, resume_is_exact):
    resume_is_exact(["train", "caption", *TINY, "--eval-every", "3"], 6, tmp_path)


def test_every_style_trains_and_scores(tmp_path, capsys):
    for style in ("count", "largest"):
        out = tmp_path / style
        assert main(["train", "caption", *TINY, "--style", style, "--out", str(out), "--max-steps", "2"]) == 0
        capsys.readouterr()
        assert main(["eval", str(out)]) == 0
        scores = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
        assert scores["test"]["style"] == style and "attention_accuracy" not in scores["test"]
