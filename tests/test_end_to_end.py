"""Short real runs on real text: the char-LM must beat its trivial baseline (a unigram model).

Marked slow; CI runs them at this small size (`pytest` runs every marker unless told otherwise).
"""


import pytest

import recur
from recur.data import read_text, split_validation
from recur.models.unigram import unigram_loss
from recur.tasks.charlm import load_training_text

pytestmark = pytest.mark.slow


def train_and_score(text, out, steps=150):
    task = recur.CharLMTask.from_text(text, recur.CharDataConfig(seq_len=64, batch_size=16), hidden=96, layers=1,
                                      embedding=32)
    recur.Trainer(task, recur.TrainConfig(max_steps=steps, eval_every=steps, lr=4e-3), out).fit()
    return recur.load(out), task.evaluate()["loss"]


def test_tiny_shakespeare_beats_unigram(tmp_path):
    text = load_training_text("")[:300_000]
    train, val = split_validation(text, 0.1)
    lm, loss = train_and_score(text, tmp_path)
    baseline = unigram_loss(train, val, smoothing=1)
    assert loss < baseline - 0.5, (loss, baseline)
    assert len(lm.generate("ROMEO:", 200, temperature=0.8, seed=0)) == 200


def test_c_source_beats_unigram(tmp_path, data_root):
    path = data_root / "c_source" / "tmux_c_corpus.txt.gz"
    if not path.exists():
        pytest.skip(f"{path} not found (see shared/data/SOURCES.md, section 8)")
    text = read_text(path)[:300_000]
    train, val = split_validation(text, 0.1)
    lm, loss = train_and_score(text, tmp_path)
    assert loss < unigram_loss(train, val, smoothing=1) - 0.5
    assert lm.generate("int\n", 300, temperature=0.5, seed=0).count(";") > 0  # it has learnt statements
