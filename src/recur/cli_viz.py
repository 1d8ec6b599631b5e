"""``recur viz``: pictures of what a trained model does inside (recur.analysis measures, recur.viz draws).

    recur viz gradients DIR [DIR ...] --out gradients.png               ‖∂L_T/∂h_k‖ per model
    recur viz gradients DIR --radii 0.5,1,1.5 --clip 5                  Elman's W rescaled, ± clipping
    recur viz spectrum DIR --out spectrum.png                            eigenvalues of W_hh per gate block
    recur viz cells DIR --out cells.html                                 units coloured over the text
(``--text FILE`` reads a file of yours; the default is the model's own held-out text.)
    recur viz curves DIR [DIR ...] --out curves.png                      loss and gradient norm, runs compared
    recur viz attention DIR --story FILE --question Q --out a.png        a memory network's attention per hop
Each prints a JSON summary of what it measured as its last line.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import torch

from recur.analysis.activations import record_units, top_units
from recur.analysis.curves import read_curves
from recur.analysis.gradient_flow import gradient_flow, text_windows, with_spectral_radius
from recur.analysis.spectrum import recurrent_spectra
from recur.checks import number_flag, output_file
from recur.data import read_text
from recur.errors import RecurError
from recur.models.language_model import LanguageModel
from recur.tasks import checkpoint_folder, load, task_of
from recur.tasks.babi import BabiReader
from recur.tasks.babi_ask import asked, draw_attention
from recur.tasks.stream_lm import StreamLM
from recur.viz.cells_html import cells_page, write_cells_page
from recur.viz.curves_plot import plot_curves
from recur.viz.figures import COLOURS
from recur.viz.gradient_plot import Curve, plot_gradient_flow
from recur.viz.spectrum_plot import plot_spectra

POSITIVE = number_flag(int, at_least=1)
MAX_WINDOWS = 4096  # windows form one batch: more only costs memory


def add_viz_command(sub) -> None:
    viz = sub.add_parser("viz", help="pictures of a trained model: gradient flow, spectrum, cells, curves")
    kinds = viz.add_subparsers(dest="picture", required=True, metavar="PICTURE")

    gradients = kinds.add_parser("gradients", help="‖∂L_T/∂h_k‖ through time for language models")
    gradients.add_argument("checkpoints", nargs="+", metavar="DIR")
    gradients.add_argument("--text", default=None, help="a text file the windows are taken from (default: the "
                           "first model's held-out text, its validation split)")
    gradients.add_argument("--out", type=output_file(".png"), default="gradients.png", help="the PNG to write")
    gradients.add_argument("--span", type=POSITIVE, default=100,
                           help="steps between the earliest state and the loss (default 100)")
    gradients.add_argument("--windows", type=number_flag(int, at_least=1, at_most=MAX_WINDOWS), default=32,
                           help=f"windows of the text averaged over, 1 to {MAX_WINDOWS} (default 32)")
    gradients.add_argument("--radii", default=None, help="comma-separated spectral radii to rescale a single-matrix "
                           "model's W to, e.g. 0.5,1,1.5: absolute norms, with and without clipping")
    gradients.add_argument("--clip", type=number_flag(float, above=0), default=5.0,
                           help="the clipping threshold θ > 0 (default 5, the trainer's)")
    add_fresh_option(gradients)
    gradients.set_defaults(run=run_gradients)

    spectrum = kinds.add_parser("spectrum", help="eigenvalues of each gate block of W_hh, one panel per block")
    spectrum.add_argument("checkpoint", metavar="DIR")
    spectrum.add_argument("--out", type=output_file(".png"), default="spectrum.png", help="the PNG to write")
    spectrum.set_defaults(run=run_spectrum)

    cells = kinds.add_parser("cells", help="an HTML page of the text coloured by a unit's activation")
    cells.add_argument("checkpoint", metavar="DIR")
    cells.add_argument("--text", default=None, help="a text file to colour (default: the model's held-out text, "
                       "its validation split)")
    cells.add_argument("--out", type=output_file(".html"), default="cells.html", help="the page to write")
    cells.add_argument("--unit", default=None, help="the unit shown first, e.g. layer2.c[17] (default: the best found)")
    cells.add_argument("--max-chars", type=number_flag(int, at_least=2), default=3000,
                       help="read at most this much of the text (default 3000)")
    cells.add_argument("--top", type=POSITIVE, default=5, help="units listed per feature (default 5)")
    add_fresh_option(cells)
    cells.set_defaults(run=run_cells)

    attention = kinds.add_parser("attention", help="a memory network's attention over a story's sentences per hop")
    attention.add_argument("checkpoint", metavar="DIR", help="a babi checkpoint folder (memory network)")
    attention.add_argument("--story", required=True, metavar="FILE", help="the story, one statement a line")
    attention.add_argument("--question", required=True, help='e.g. "Where is the ring?"')
    attention.add_argument("--out", type=output_file(".png"), default="attention.png", help="the PNG to write")
    attention.set_defaults(run=run_attention)

    curves = kinds.add_parser("curves", help="training and validation loss and gradient norm from metrics.jsonl; "
                              "several runs on one plot")
    curves.add_argument("runs", nargs="+", metavar="DIR",
                        help="run folders (each holding metrics.jsonl); several are drawn on one plot, named by folder")
    curves.add_argument("--out", type=output_file(".png"), default="curves.png", help="the PNG to write")
    curves.set_defaults(run=run_curves)


def add_fresh_option(parser) -> None:
    parser.add_argument("--fresh", action="store_true", help="measure the checkpoint's architecture with fresh, "
                        "untrained weights (seeded by --seed) instead of its trained ones: the yardstick")
    parser.add_argument("--seed", type=number_flag(int, at_least=0, at_most=2**63 - 1), default=0,
                        help="with --fresh: the initial weights' seed (default 0)")


def measured_model(lm, args) -> LanguageModel:
    """The checkpoint's model, or with ``--fresh`` the same architecture newly initialised."""
    if not args.fresh:
        return lm.model
    torch.manual_seed(args.seed)
    return LanguageModel(lm.model.config)


def language_model(path: str) -> StreamLM:
    return load(path, StreamLM, "this picture")


def parse_radii(text: str) -> list[float]:
    try:
        radii = [float(r) for r in text.split(",")]
    except ValueError:
        raise RecurError(f"--radii: expected comma-separated numbers like 0.5,1,1.5, got {text!r}") from None
    if not radii or not all(math.isfinite(r) and r > 0 for r in radii):
        raise RecurError(f"--radii: spectral radii must be positive finite numbers, got {text!r}")
    return radii


def measured_text(args, checkpoint: str) -> tuple[str, str]:
    """The text a picture reads and its name: ``--text``, else the checkpoint's held-out split (a
    character model's validation tail, a word model's validation file)."""
    if args.text:
        return read_text(args.text), args.text
    spec, config = task_of(checkpoint_folder(checkpoint))
    split = next(iter(spec.held_out(config).values()))
    return split.data, split.source


def run_gradients(args) -> int:
    text, text_name = measured_text(args, args.checkpoints[0])
    curves, summary = [], []
    radii = parse_radii(args.radii) if args.radii else None
    for path in args.checkpoints:
        lm = language_model(path)
        windows = text_windows(lm.vocab.encode(text, text_name), args.span, args.windows)
        name = f"{Path(path).name} ({lm.model.config.cell}{', fresh' if args.fresh else ''})"
        model = measured_model(lm, args)
        variants = [(f"{name}, ρ(W) = {r:g}", with_spectral_radius(model, r)) for r in radii] if radii \
            else [(name, model)]
        for label, model in variants:
            flow = gradient_flow(model, windows, args.clip)
            colour = COLOURS[len(summary) % len(COLOURS)]  # one colour per measured model
            if radii:  # absolute norms: clipping scales the whole curve by min(1, θ/‖g‖)
                curves.append(Curve(f"{label}: ‖g‖ = {flow.gradient_norm:.3g}", flow.norms["h"][-1], color=colour))
                if flow.clip_factor < 1:
                    curves.append(Curve(f"{label}, clipped at θ = {args.clip:g}",
                                        [v * flow.clip_factor for v in flow.norms["h"][-1]], dashed=True, color=colour))
            else:
                curves += [Curve(f"{label}: {field}", flow.relative(field), dashed=field != "h", color=colour)
                           for field in flow.norms]
            summary.append({"model": label, "loss": flow.loss, "gradient_norm": flow.gradient_norm,
                            "clip_factor": flow.clip_factor,
                            "surviving": {f: flow.relative(f)[0] for f in flow.norms}})
    ylabel = "‖∂L_T/∂h_k‖" if radii else "‖∂L_T/∂s_k‖ / ‖∂L_T/∂s_T‖ (top layer)"
    out = plot_gradient_flow(args.out, curves, ylabel, f"gradient flow over {args.span} steps, "
                             f"mean of {args.windows} windows of {Path(text_name).name}")
    print(json.dumps({"out": str(out), "span": args.span, "curves": summary}))
    return 0


def run_spectrum(args) -> int:
    model = load(args.checkpoint).model
    rnn = getattr(model, "rnn", None)  # every task's model keeps its recurrent layers as .rnn
    if rnn is None:
        raise RecurError(f"{args.checkpoint}: this model has no recurrent layers to take a spectrum of")
    spectra = recurrent_spectra(rnn)
    out = plot_spectra(args.out, spectra, f"{Path(args.checkpoint).name} ({rnn.cell_name})")
    both = rnn.directions > 1  # a direction is named only where there are two
    print(json.dumps({"out": str(out), "spectra": [
        {"layer": s.layer + 1, **({"direction": ("forward", "backward")[s.direction]} if both else {}),
         "block": s.block, "radius": s.radius, "outside_unit_circle": s.outside_unit_circle(),
         "size": len(s.eigenvalues)} for s in spectra]}))
    return 0


def run_cells(args) -> int:
    lm = language_model(args.checkpoint)
    if lm.unit != "character":
        raise RecurError(f"{args.checkpoint}: a {lm.unit} model; the cell viewer colours characters, so it needs "
                         "a character model (charlm)")
    text, text_name = measured_text(args, args.checkpoint)
    text = text[: args.max_chars]
    if len(text) < 2:
        raise RecurError(f"{text_name}: {len(text)} characters; the cell viewer needs at least 2")
    activations = record_units(measured_model(lm, args), lm.vocab.encode(text, text_name))
    top = top_units(activations, text, args.top)
    title = f"{Path(args.checkpoint).name}{' (fresh weights)' if args.fresh else ''} over {Path(text_name).name}"
    page = cells_page(text, activations, top, title, args.unit)
    out = write_cells_page(args.out, page)
    print(json.dumps({"out": str(out), "characters": len(text), "units": len(activations.units),
                      "top": {f: [{"unit": c.unit, "r": c.r} for c in rows] for f, rows in top.items()}}))
    return 0


def run_attention(args) -> int:
    result = asked(load(args.checkpoint, BabiReader, "this picture"), args.story, args.question)
    out = draw_attention(result, args.question, args.out)
    print(json.dumps({"out": out, "answer": result["answer"], "attention": result["attention"]}))
    return 0


def run_names(paths: list[str]) -> list[str]:
    """How the legend names each run: its folder's name, or the path as given where two names clash."""
    names = [Path(p).resolve().name or p for p in paths]
    return [name if names.count(name) == 1 else p for name, p in zip(names, paths)]


def run_curves(args) -> int:
    runs = dict(zip(run_names(args.runs), map(read_curves, args.runs)))
    if len(runs) < len(args.runs):
        raise RecurError("a run folder is named twice; name each run once")
    out = plot_curves(args.out, runs, next(iter(runs)) if len(runs) == 1 else "")
    summary = [{"run": name, "steps": c.steps(), "evaluations": len(c.validation.get("val_loss", [])),
                "best_val_loss": c.best_validation()} for name, c in runs.items()]
    loss = next(iter(runs.values())).loss
    # one run: its numbers at the top level; several: one entry each
    print(json.dumps({"out": str(out), "loss": loss, **({k: v for k, v in summary[0].items() if k != "run"}
                                                         if len(runs) == 1 else {"runs": summary})}))
    return 0
