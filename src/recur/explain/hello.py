"""The character model of R. Venkatesh Babu's lecture (seeds/002): vocabulary [h, e, l, o], training
sequence "hello".

    h_t = tanh(W_hh h_{t-1} + W_xh x_t),   y_t = W_hy h_t,   p_t = softmax(y_t)

Fed h, e, l, l, a trained model should give the highest probability to e, l, l, o: the same input
"l" must be followed by "l" the first time and by "o" the second, which only the state h_t can
tell apart. The model is recur's own character task, trained a few seconds by the library's trainer.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from recur.explain.figures import new_figure, save_png
from recur.explain.layout import table
from recur.explain.lectures import BABU
from recur.explain.params import char_model_count
from recur.explain.topic import Explanation, Option, Topic, require_memory, seed_option, whole
from recur.explain.training import TRAINING_COPIES, seeded, train_briefly
from recur.tasks.charlm import CharDataConfig, CharLMTask

VOCABULARY = "helo"  # the seed's order; recur's vocabulary is sorted, so columns are re-ordered to this
WORD = "hello"
REPEATS = 60  # "hellohello...": 300 characters, enough for a training and a validation split
EMBEDDING = 4
CELLS = ("elman", "lstm", "gru", "gru-seed")


def run(options: dict, out_dir: Path | None) -> Explanation:
    cell, hidden = options["cell"], options["hidden"]
    size = char_model_count(cell, len(VOCABULARY), EMBEDDING, hidden)
    require_memory(f"training the {cell} model with hidden={hidden}", TRAINING_COPIES * size, 4)
    with seeded(options["seed"]):
        task = CharLMTask.from_text(WORD * REPEATS, CharDataConfig(seq_len=10, batch_size=2, val_fraction=0.1),
                                    cell=options["cell"], hidden=options["hidden"], layers=1, embedding=EMBEDDING)
        lm = train_briefly(task, options["steps"], lr=2e-2, seed=options["seed"])
    inputs, targets = WORD[:-1], WORD[1:]
    with torch.no_grad():
        logits, _ = lm.model(lm.vocab.encode(inputs)[None])  # [1, T, V], from a fresh state
    columns = [lm.vocab.index[c] for c in VOCABULARY]
    probabilities = torch.softmax(logits[0].double(), dim=-1)[:, columns].numpy()  # [T, 4] in seed order
    predicted = "".join(VOCABULARY[k] for k in probabilities.argmax(axis=1))
    loss = float(-np.log(probabilities[np.arange(len(targets)), [VOCABULARY.index(c) for c in targets]]).mean())
    rows = [[t + 1, x, *p, VOCABULARY[p.argmax()], target] for t, (x, p, target)
            in enumerate(zip(inputs, probabilities, targets))]
    lines = [
        f'The four-letter model of {BABU}: vocabulary [h, e, l, o], training sequence "hello"; '
        f'model: {options["cell"]} cell, '
        f'{options["hidden"]} hidden units, trained {options["steps"]} steps.',
        "Each row: the input character, p(next = each letter), the most likely letter, the true next letter.",
        "",
        table(["t", "input", *(f"p({c})" for c in VOCABULARY), "argmax", "target"], rows),
        "",
        f"predicted {predicted!r} for target {targets!r}; mean cross-entropy {loss:.4f} nats",
    ]
    numbers = {"vocabulary": list(VOCABULARY), "inputs": list(inputs), "targets": targets, "predicted": predicted,
               "probabilities": probabilities.tolist(), "loss": loss, "cell": options["cell"]}
    figures = () if out_dir is None else (plot(probabilities, inputs, out_dir),)
    return Explanation("\n".join(lines), numbers, figures)


def plot(probabilities: np.ndarray, inputs: str, out_dir: Path) -> Path:
    figure, axes = new_figure(size=(4.6, 3.8))
    axis = axes[0, 0]
    axis.imshow(probabilities, cmap="Greens", vmin=0, vmax=1)
    for (t, k), p in np.ndenumerate(probabilities):
        axis.text(k, t, f"{p:.2f}", ha="center", va="center", color="white" if p > 0.5 else "black")
    axis.set_xticks(range(len(VOCABULARY)), [f"p({c})" for c in VOCABULARY])
    axis.set_yticks(range(len(inputs)), [f"input {c}" for c in inputs])
    axis.set_title("p(next character) after each input")
    return save_png(figure, out_dir, "hello")


def conclude(numbers: dict) -> str:
    """The second "l" is the point: the same input must be followed by "l" once and by "o" once."""
    after_l = numbers["predicted"][2:4]  # the argmax after the first and the second "l"
    if after_l == "lo":
        return ('The two inputs "l" get different answers (l, then o): only the hidden state, which has seen '
                '"he" or "hel" before, can tell them apart.')
    return (f'The two inputs "l" are followed by {after_l[0]!r} and {after_l[1]!r}, not l then o: this model has '
            "not learned the sequence yet (more steps or units would; the default run does).")


TOPIC = Topic("hello", 'the [h,e,l,o] model trained on "hello": its per-step predictions', run, conclude, {
    "cell": Option(str, "elman", "the recurrent cell", choices=CELLS),
    "hidden": whole("16", "hidden units"),
    "steps": whole("150", "training steps", at_most=10_000),
    "seed": seed_option("seeds the initial weights and training"),
}, lecture=BABU)
