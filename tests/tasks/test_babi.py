"""The bAbI task on the real files: a short run of the memory network answers task 1 far above
chance, resumes exactly, follows the authors' epoch schedule, and ``recur ask`` shows its attention."""

import json
import os
from pathlib import Path

import pytest

from recur.cli import main
from recur.tasks import babi
from tests.conftest import SHARED_DATA

AUTHORS = ["--optimizer", "sgd", "--lr", "0.16", "--clip", "1.25", "--schedule", "constant"]
STORY = "1 Mary moved to the bathroom.\n2 John went to the hallway.\n3 Mary travelled to the office.\n"


@pytest.fixture(scope="module")
def babi_data():
    """The real bAbI folder (module-wide: the trained model is shared); skips when absent."""
    folder = Path(os.environ.get("RECUR_DATA", SHARED_DATA)) / "babi"
    if not folder.is_dir():
        pytest.skip(f"{folder} not found: set RECUR_DATA to a folder laid out like shared/data")
    return folder


@pytest.fixture(scope="module")
def task1_dir(babi_data, tmp_path_factory):
    """The memory network after 10 epochs of task 1 (5 of linear start): a second or two."""
    out = tmp_path_factory.mktemp("babi") / "run"
    assert main(["train", "babi", "--data", str(babi_data), "--task-id", "1", "--out", str(out), *AUTHORS,
                 "--max-steps", "280", "--eval-every", "140", "--linear-start-epochs", "5"]) == 0
    return out


def test_a_short_run_answers_task_1_far_above_chance(task1_dir, capsys):
    capsys.readouterr()
    assert main(["eval", str(task1_dir)]) == 0
    scores = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert scores["test"]["questions"] == 1000 and scores["valid"]["questions"] == 100
    assert scores["test"]["accuracy"] > 0.6, scores  # chance: one of 6 places
    config = json.loads((task1_dir / "best" / "config.json").read_text())
    assert config["model"]["dim"] == 20 and config["model"]["hops"] == 3 and config["data"]["held_out"] == 0.1


def test_resume_is_exact(babi_data, tmp_path, resume_is_exact):
    """Across linear start's end and two halvings: 35 + 35 resumed steps give 70 straight steps' weights."""
    resume_is_exact(["train", "babi", "--data", str(babi_data), "--task-id", "2", *AUTHORS, "--linear-start-epochs",
                     "1", "--halve-every", "1", "--eval-every", "35", "--dim", "8"], 70, tmp_path)


def test_the_authors_epoch_schedule(babi_data):
    task = babi.new_task(str(babi_data), {"task_id": "4"}, {})
    assert task.batches_per_epoch == 28 and bool(task.model.linear)  # ⌊900 / 32⌋; linear start first
    for epoch, scale, linear in ((19, 1.0, True), (20, 1.0, False), (43, 1.0, False), (44, 0.5, False),
                                 (69, 0.25, False), (119, 0.0625, False)):
        task.load_state({"epoch": epoch, "position": 0}, {})
        assert (task.gradient_scale(), bool(task.model.linear)) == (scale, linear), epoch
    loss = task.train_loss()  # epoch 119: the loss keeps its value, its gradient is scaled
    loss.backward()
    scaled = {n: p.grad.clone() for n, p in task.model.named_parameters()}
    task.load_state({"epoch": 119, "position": 0}, {})
    task.model.zero_grad()
    task.data = babi.BabiDataConfig(**{**babi.asdict(task.data), "halve_every": 0})
    again = task.train_loss()
    again.backward()
    assert again.item() == pytest.approx(loss.item())
    for name, parameter in task.model.named_parameters():
        assert parameter.grad.allclose(16 * scaled[name], atol=1e-7), name


def test_ask_prints_the_answer_and_each_hops_attention(task1_dir, tmp_path, capsys):
    story = tmp_path / "story.txt"
    story.write_text(STORY)
    capsys.readouterr()
    assert main(["ask", str(task1_dir), "--story", str(story), "--question", "Where is Mary?"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith("answer: ") and printed[1].split() == ["hop1", "hop2", "hop3", "sentence"]
    assert printed[2].endswith("mary moved to the bathroom") and len(printed) == 5
    picture = tmp_path / "attention.png"
    assert main(["ask", str(task1_dir), "--story", str(story), "--question", "Where is Gandalf?", "--json",
                 "--out", str(picture)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["unknown_words"] == ["gandalf"] and len(result["attention"]) == 3
    assert all(0 < sum(hop) <= 1 + 1e-6 for hop in result["attention"])  # the 47 empty slots share the softmax
    assert picture.read_bytes()[:4] == b"\x89PNG"



def test_viz_attention_draws_what_ask_prints(task1_dir, tmp_path, capsys):
    story = tmp_path / "story.txt"
    story.write_text(STORY)
    capsys.readouterr()
    assert main(["ask", str(task1_dir), "--story", str(story), "--question", "Where is Mary?", "--json"]) == 0
    asked = json.loads(capsys.readouterr().out)
    picture = tmp_path / "viz.png"
    assert main(["viz", "attention", str(task1_dir), "--story", str(story), "--question", "Where is Mary?",
                 "--out", str(picture)]) == 0
    drawn = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert drawn["answer"] == asked["answer"] and drawn["attention"] == asked["attention"]
    assert picture.read_bytes()[:4] == b"\x89PNG"

def test_the_lstm_yardstick_trains_and_answers(babi_data, tmp_path, capsys):
    out = tmp_path / "lstm"
    assert main(["train", "babi", "--data", str(babi_data), "--task-id", "1", "--model", "lstm", "--dim", "8",
                 "--lstm-hidden", "8", "--out", str(out), "--max-steps", "3", "--eval-every", "3"]) == 0
    story = tmp_path / "story.txt"
    story.write_text(STORY)
    capsys.readouterr()
    assert main(["ask", str(out), "--story", str(story), "--question", "Where is Mary?"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith("answer: ") and len(printed) == 1  # no attention to show
    assert main(["ask", str(out), "--story", str(story), "--question", "Where is Mary?", "--out",
                 str(tmp_path / "a.png")]) != 0
    assert "an LSTM model has no attention to draw" in capsys.readouterr().err


def test_joint_takes_the_authors_joint_settings(babi_data):
    task = babi.new_task(str(babi_data), {"task_id": "all"}, {})
    assert task.model_config.dim == 50 and task.data.linear_start_epochs == 30 and task.data.halve_every == 15
    assert len(task.train.answer) == 18000 and task.batches_per_epoch == 562  # ⌊18,000 / 32⌋
