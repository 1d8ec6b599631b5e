"""An LSTM's gates over a sentence: what i, f, o, g and the memory c do, character by character.

The LSTM of Saerom Park's lecture (seeds/003), in the order recur (and PyTorch) stacks the rows of
``weight_ih`` / ``weight_hh``:

    i_t = σ(b^(i) + U^(i) x_t + W^(i) m_{t-1})      input gate
    f_t = σ(b^(f) + U^(f) x_t + W^(f) m_{t-1})      forget gate
    g_t = tanh(b^(g) + U^(g) x_t + W^(g) m_{t-1})   candidate memory c~_t
    o_t = σ(b^(o) + U^(o) x_t + W^(o) m_{t-1})      output gate
    c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t
    m_t = tanh(c_t) ⊙ o_t

read from the first layer of a character model: by default a small one trained a few seconds on
the bundled Tiny Shakespeare, or a trained ``charlm`` LSTM checkpoint (``model=DIR``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from recur.cells import LSTMCell
from recur.checks import check_value
from recur.errors import RecurError
from recur.explain.figures import new_figure, save_png
from recur.explain.layout import table
from recur.explain.lectures import PARK
from recur.explain.params import char_model_count
from recur.explain.topic import Explanation, Option, Topic, require_memory, seed_option, whole
from recur.explain.training import TRAINING_COPIES, seeded, train_briefly
from recur.tasks import load
from recur.tasks.charlm import CharDataConfig, CharLM, CharLMTask, load_training_text

GATES = ("i", "f", "o", "g", "c")  # the lecture's reading order; the weight rows are i, f, g, o
EMBEDDING = 16
MAX_SENTENCE = 1000  # characters: one table row each, and the heat map is unreadable long before


@torch.no_grad()
def lstm_gates(cell: LSTMCell, xs: torch.Tensor) -> dict[str, torch.Tensor]:
    """Every gate and state of ``cell`` over ``xs [T, D]`` from a zero state: ``{i, f, g, o, c, m}``,
    each ``[T, H]``, by the equations above on the cell's own parameters."""
    hidden = cell.hidden_projection()  # W m_{t-1} + b_hh, all four blocks
    projected = cell.project_input(xs)  # U x_t + b_ih for every t: [T, 4H]
    m = c = xs.new_zeros(cell.hidden_size)
    rows = {name: [] for name in ("i", "f", "g", "o", "c", "m")}
    for pre_x in projected:
        pre_i, pre_f, pre_g, pre_o = (pre_x + hidden(m)).chunk(4)
        i, f, g, o = torch.sigmoid(pre_i), torch.sigmoid(pre_f), torch.tanh(pre_g), torch.sigmoid(pre_o)
        c = f * c + i * g
        m = torch.tanh(c) * o
        for name, value in zip(rows, (i, f, g, o, c, m)):
            rows[name].append(value)
    return {name: torch.stack(values) for name, values in rows.items()}


@torch.no_grad()
def difference_from_cell(cell: LSTMCell, xs: torch.Tensor, gates: dict[str, torch.Tensor]) -> float:
    """max |·| between ``lstm_gates``' m_t, c_t and the cell's own step over the same inputs."""
    state, worst = None, 0.0
    for t, x in enumerate(xs):
        _, state = cell(x[None], state)
        for name, value in (("m", state.h[0]), ("c", state.c[0])):
            worst = max(worst, float((value - gates[name][t]).abs().max()))
    return worst


def character_model(options: dict) -> tuple[CharLM, str]:
    """The model to read, and where it came from."""
    if options["model"]:
        try:
            lm = load(options["model"])
        except RecurError as err:
            raise RecurError(f"option model: {err}") from None
        cell = getattr(getattr(getattr(lm, "model", None), "rnn", None), "cell_name", None)
        if not isinstance(lm, CharLM) or cell != "lstm":
            raise RecurError(f"option model: {options['model']} is not a charlm LSTM checkpoint "
                             f"({type(lm).__name__}, cell {cell})")
        return lm, f"the checkpoint {options['model']}"
    text = load_training_text("")
    size = char_model_count("lstm", len(set(text)), EMBEDDING, options["hidden"])
    require_memory(f"training an LSTM with hidden={options['hidden']}", TRAINING_COPIES * size, 4)
    with seeded(options["seed"]):
        task = CharLMTask.from_text(text,
                                    CharDataConfig(seq_len=64, batch_size=16, val_fraction=0.01),
                                    cell="lstm", hidden=options["hidden"], layers=1, embedding=EMBEDDING)
        lm = train_briefly(task, options["steps"], lr=1e-2, seed=options["seed"])
    return lm, (f"a 1-layer LSTM, hidden {options['hidden']}, trained {options['steps']} steps on "
                "the bundled Tiny Shakespeare")


def run(options: dict, out_dir: Path | None) -> Explanation:
    sentence = options["sentence"]
    check_value("option sentence's length", len(sentence), int, {"at_least": 1, "at_most": MAX_SENTENCE})
    lm, source = character_model(options)
    ids = lm.vocab.encode(sentence, "option sentence")
    model = lm.model.double()  # float64, so the numbers returned satisfy the equations to ~1e-16
    cell = model.rnn.cells[0]  # the first layer: the one that reads the characters themselves
    check_value("option units", options["units"], int, {"at_most": cell.hidden_size})
    gates = lstm_gates(cell, model.embed(ids))
    drift = difference_from_cell(cell, model.embed(ids), gates)
    # The units whose memory moves most over the sentence are the ones worth looking at.
    units = torch.argsort(gates["c"].std(dim=0), descending=True)[:options["units"]].tolist()
    means = {name: gates[name].mean(dim=1).tolist() for name in GATES}
    rows = [[t + 1, shown(ch), *(means[name][t] for name in GATES)] for t, ch in enumerate(sentence)]
    lines = [f"LSTM gates of {source}, first layer ({cell.hidden_size} units), over {sentence!r}.",
             "Each row: the character read at step t and the gates' mean over all units.",
             "", table(["t", "char", *(f"mean {g}" for g in GATES)], rows), "",
             f"c_t = f_t ⊙ c_(t-1) + i_t ⊙ g_t and m_t = tanh(c_t) ⊙ o_t, computed from the cell's parameters, "
             f"match the cell's own step to {drift:.1e}",
             f"the heat map's units (memory varies most): {units}"]
    numbers = {"sentence": sentence, "hidden": cell.hidden_size, "units": units, "mean": means,
               "gates": {name: gates[name][:, units].tolist() for name in (*GATES, "m")},
               "max_difference_from_cell": drift}
    figures = () if out_dir is None else (plot(gates, units, sentence, out_dir),)
    return Explanation("\n".join(lines), numbers, figures)


def shown(character: str) -> str:
    return {" ": "␣", "\n": "⏎"}.get(character, character)


def plot(gates: dict[str, torch.Tensor], units: list[int], sentence: str, out_dir: Path) -> Path:
    size = (max(6.0, 0.26 * len(sentence) + 2), 1.2 + 0.45 * len(units) * len(GATES))
    figure, axes = new_figure(len(GATES), 1, size=size, sharex=True)
    limit = max(1.0, float(gates["c"][:, units].abs().max()))
    ranges = {"g": ("coolwarm", -1.0, 1.0), "c": ("coolwarm", -limit, limit)}
    for axis, name in zip(axes[:, 0], GATES):
        colours, low, high = ranges.get(name, ("viridis", 0.0, 1.0))
        image = axis.imshow(np.asarray(gates[name][:, units]).T, aspect="auto", cmap=colours, vmin=low, vmax=high)
        axis.set_yticks(range(len(units)), [str(u) for u in units], fontsize=7)
        axis.set_ylabel(name, rotation=0, labelpad=12)
        figure.colorbar(image, ax=axis, pad=0.01)
    axes[-1, 0].set_xticks(range(len(sentence)), [shown(ch) for ch in sentence], fontsize=8)
    axes[0, 0].set_title("LSTM gates over time (rows: units)")
    return save_png(figure, out_dir, "lstm-gates")


AGREE = 1e-10  # float64 rounding over one step, with margin


def conclude(numbers: dict) -> str:
    drift = numbers["max_difference_from_cell"]
    check = (f"The gates computed from the cell's parameters reproduce its own step to within {AGREE:.0e} (the "
             "rounding of float64: the last digits vary with the machine), so the table is what the LSTM computes."
             if drift < AGREE else
             f"The gates computed from the cell's parameters miss its own step by {drift:.1e}: one side is wrong.")
    sentence, output = numbers["sentence"], numbers["mean"]["o"]
    after_space = [o for ch, o in zip(sentence, output) if ch == " "]
    elsewhere = [o for ch, o in zip(sentence, output) if ch != " "]
    if not after_space or not elsewhere:
        return check
    low, high = sum(after_space) / len(after_space), sum(elsewhere) / len(elsewhere)
    verb = "drops" if low < high - 0.05 else "rises" if low > high + 0.05 else "barely changes"
    return (f"{check} In this model the output gate {verb} after a space: its mean is {low:.1f} after a space "
            f"and {high:.1f} after the other characters.")


TOPIC = Topic("lstm-gates", "an LSTM's gates i, f, o, g and memory c over a sentence, with a heat map", run, conclude, {
    "model": Option(str, "", "a trained charlm LSTM checkpoint folder (default: train one briefly)"),
    "sentence": Option(str, "To be, or not to be: that is the question.",
                       f"the text read, 1 to {MAX_SENTENCE} characters"),
    "units": whole("6", "units shown in the heat map, at most the hidden size"),
    "hidden": whole("64", "hidden units of the model trained by default"),
    "steps": whole("300", "training steps of the model trained by default", at_most=10_000),
    "seed": seed_option("seeds the model trained by default"),
}, lecture=PARK)
