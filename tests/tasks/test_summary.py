"""``recur info``: a run folder's settings, sessions, steps and scores, as text and JSON."""

import json

from recur.cli import main

TINY = ["--hidden", "16", "--layers", "1", "--embedding", "8", "--seq-len", "16", "--batch-size", "4"]


def test_info_records_each_session_and_the_held_out_scores(tmp_path, shakespeare_file, capsys):
    out = tmp_path / "run"
    train = ["train", "charlm", "--data", str(shakespeare_file), "--out", str(out), "--eval-every", "3", *TINY]
    assert main([*train, "--max-steps", "3"]) == 0
    assert main(["train", "charlm", "--out", str(out), "--resume", "--max-steps", "5"]) == 0
    capsys.readouterr()
    assert main(["info", str(out), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["task"] == "charlm" and summary["steps"] == 5 and summary["model"]["hidden"] == 16
    first, second = summary["sessions"]
    assert first["command"] == "recur " + " ".join(train + ["--max-steps", "3"])
    assert (first["from_step"], first["to_step"], second["from_step"], second["to_step"]) == (0, 3, 3, 5)
    assert first["processes"] == second["processes"] == 1
    assert first["machine"]["cores"] >= 1 and first["machine"]["torch"]
    best = summary["best"]["validation"]["loss"]
    metrics = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert best == min(m["val_loss"] for m in metrics if "val_loss" in m)
    assert summary["validations"]["val_loss"] == [[m["step"], m["val_loss"]] for m in metrics if "val_loss" in m]
    held_out = summary["held_out"]["validation"]
    assert abs(held_out["loss"] - best) < 1e-6 and held_out["chars"] > 0  # best/ scored again on its split

    assert main(["info", str(out), "--no-eval"]) == 0
    shown = capsys.readouterr().out
    assert "session 2" in shown and "--resume" in shown and "validation" not in shown.split("best")[-1]


def test_info_refuses_a_folder_that_is_not_a_run(tmp_path, capsys):
    assert main(["info", str(tmp_path)]) == 2
    assert "not a run folder" in capsys.readouterr().err
