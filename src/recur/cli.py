"""The ``recur`` command: a thin face over the library. Flags map one to one onto the fields of
the config dataclasses; every user error ends as one line on stderr and a non-zero exit."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from dataclasses import fields
from pathlib import Path

import torch

from recur.cells import CELLS
from recur.cli_explain import add_explain_command
from recur.cli_serve import add_serve_command
from recur.cli_viz import add_viz_command
from recur.data import read_text
from recur.data.table import read_table
from recur.errors import RecurError
from recur.generate.kernels import set_threads, usable_cores
from recur.generate.onnx_export import export_onnx
from recur.tasks import TASKS, checkpoint_folder, held_out_scores, load
from recur.tasks.summary import run_summary, summary_text
from recur.tasks.forecast import LOSSES, errors, series_path
from recur.tasks.forecast_output import write_forecast
from recur.train import checkpoint
from recur.train.clipping import CLIP_MODES
from recur.train.optimizers import OPTIMIZERS
from recur.train.schedule import SCHEDULES
from recur.train.trainer import Trainer, TrainConfig

DEFAULT_MINUTES = 5.0
EXIT_USER_ERROR, EXIT_INTERRUPTED = 2, 130

# flag -> (config class, field); defaults come from the dataclasses, so they are written once.
MODEL_FLAGS = {"cell": str, "hidden": int, "layers": int, "embedding": int, "dropout": float,
               "recurrent_dropout": float, "ridge": float}
DATA_FLAGS = {"seq_len": int, "batch_size": int, "val_fraction": float, "train_set": str, "min_count": int,
              "series": str, "features": str, "horizon": int, "loss": str}
MODEL_SWITCHES = {"tie_weights": "the read-out shares the embedding matrix (needs --embedding equal to --hidden)",
                  "bidirectional": "classify: read each sentence in both directions"}
TRAIN_FLAGS = {"optimizer": str, "lr": float, "weight_decay": float, "clip": float, "clip_mode": str,
               "schedule": str, "warmup_steps": int, "min_lr_ratio": float, "max_steps": int, "minutes": float,
               "eval_every": int, "log_every": int, "seed": int}
CHOICES = {"cell": list(CELLS), "optimizer": list(OPTIMIZERS), "clip_mode": list(CLIP_MODES),
           "schedule": list(SCHEDULES), "loss": list(LOSSES)}


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)
    args.command_line = "recur " + shlex.join(argv)
    try:
        return args.run(args)
    except RecurError as err:
        print(f"recur: error: {err}", file=sys.stderr)
        return EXIT_USER_ERROR
    except OSError as err:  # e.g. an output folder we may not write
        print(f"recur: error: {err.filename or ''}: {err.strerror or err}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("recur: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="recur", description="Recurrent neural networks from the lectures.")
    sub = parser.add_subparsers(dest="command", required=True)

    train = sub.add_parser("train", help="train a model", description="Train a model on a task.")
    train.add_argument("task", choices=list(TASKS), help="what to train")
    train.add_argument("--data", help="charlm: a UTF-8 text file or .gz of one (default: the bundled Tiny "
                                      "Shakespeare); wordlm: a folder of ptb.{train,valid,test}.txt[.gz] "
                                      "(default: $RECUR_DATA/ptb); classify: the sst folder (default: "
                                      "$RECUR_DATA/sst); forecast: a CSV with the series' columns (default: "
                                      "the bundled file of --series)")
    train.add_argument("--out", required=True, help="output folder for checkpoints and metrics")
    train.add_argument("--resume", action="store_true", help="continue the checkpoint in --out")
    sections = {}
    for group, flags, configs in (("model", MODEL_FLAGS, {t: m.ModelConfig for t, m in TASKS.items()}),
                                  ("data", DATA_FLAGS, {t: m.DataConfig for t, m in TASKS.items()}),
                                  ("training", TRAIN_FLAGS, {"": TrainConfig})):
        section = sections[group] = train.add_argument_group(group)
        for name, kind in flags.items():
            shown = DEFAULT_MINUTES if name == "minutes" else default_by_task(configs, name)
            section.add_argument("--" + name.replace("_", "-"), type=kind, default=None, choices=CHOICES.get(name),
                                 help=f"default: {shown}" if shown is not None else None)
    for name, text in MODEL_SWITCHES.items():
        sections["model"].add_argument("--" + name.replace("_", "-"), action="store_const", const=True,
                                       default=None, help=text)
    sections["model"].add_argument(
        "--cell-option", action="append", metavar="NAME=VALUE", default=None,
        help="a cell's own setting, repeatable; VALUE is read as JSON when it parses, e.g. "
             "--cell-option periods=[1,2,4,8] --cell-option spectral_radius=0.95")
    train.set_defaults(run=run_train)

    evaluate = sub.add_parser("eval", help="score a checkpoint on text: JSON last line (bpc or perplexity)")
    evaluate.add_argument("checkpoint")
    evaluate.add_argument("--data", help="text to score (default: the held-out splits of the model's data)")
    evaluate.set_defaults(run=run_eval)

    info = sub.add_parser("info", help="what a run folder holds: settings, commands, machine, steps, scores",
                          description="Summarise a run folder: task, settings, each training session's command "
                                      "line, times and machine (run.json), steps, the best validation score and "
                                      "the best model's held-out metrics.")
    info.add_argument("folder", metavar="DIR", help="a folder written by 'recur train --out'")
    info.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    info.add_argument("--no-eval", action="store_true", help="skip evaluating the held-out splits")
    info.set_defaults(run=run_info)

    sample = sub.add_parser("sample", help="write text with a trained model")
    sample.add_argument("checkpoint")
    sample.add_argument("--prime", default="", help="text to start from (printed first)")
    sample.add_argument("--length", type=int, default=500,
                        help="tokens to generate: characters, or words for wordlm (default 500)")
    sample.add_argument("--temperature", type=float, default=1.0, help="0 = greedy (default 1.0)")
    sample.add_argument("--top-k", type=int, default=None)
    sample.add_argument("--top-p", type=float, default=None)
    sample.add_argument("--seed", type=int, default=None, help="same seed, same text")
    sample.add_argument("--samples", type=int, default=1, help="independent samples drawn as one batch (default 1)")
    sample.add_argument("--stream", action="store_true", help="print each token as it is drawn")
    sample.add_argument("--beam", type=int, default=None, metavar="WIDTH",
                        help="beam search instead of sampling: the most likely text found with WIDTH hypotheses "
                             "(temperature, top-k/p and seed do not apply)")
    sample.add_argument("--stop", default=None, help="with --beam: a token that ends a hypothesis, e.g. '.' (or '<eos>' for wordlm)")
    sample.add_argument("--alpha", type=float, default=0.6,
                        help="with --beam: length normalisation ((5+n)/6)^alpha (default 0.6)")
    sample.add_argument("--threads", type=int, default=None,
                        help="cores for the generation engine's matrix products (default: the usable cores, up to 2)")
    sample.add_argument("--precision", choices=["fp32", "bf16", "int8"], default="fp32",
                        help="weights of the generation engine: bf16 and int8 are smaller and faster, and cost a "
                             "little accuracy (docs/performance.md; default fp32)")
    sample.set_defaults(run=run_sample)

    predict = sub.add_parser("predict", help="classify a text with a trained classifier: JSON label and probability")
    predict.add_argument("checkpoint")
    predict.add_argument("text", help="the text to classify")
    predict.set_defaults(run=run_predict)

    forecast = sub.add_parser("forecast", help="forecast a series with a trained forecaster: CSV and PNG",
                              description="Forecast the rows after a CSV's last row (or, with --hold-out, its "
                                          "last H rows from the rows before them), writing the forecast as CSV "
                                          "and a PNG of history, forecast and truth.")
    forecast.add_argument("checkpoint")
    forecast.add_argument("--data", help="a CSV with the model's columns (default: the series it was trained on)")
    forecast.add_argument("--horizon", type=int, default=None, help="steps to forecast (default: the trained horizon)")
    forecast.add_argument("--hold-out", action="store_true",
                          help="hide the last HORIZON rows, forecast them and score the forecast against them")
    forecast.add_argument("--out", default="forecast",
                          help="path prefix of the files written: PREFIX.csv and PREFIX.png (default: forecast)")
    forecast.set_defaults(run=run_forecast)

    export = sub.add_parser("export", help="write a checkpoint's generation step as ONNX",
                            description="Export one generation step (ids and state in, logits and state out) "
                                        "as an ONNX graph.")
    export.add_argument("checkpoint")
    export.add_argument("--onnx", required=True, metavar="FILE", help="the .onnx file to write")
    export.set_defaults(run=run_export)
    add_explain_command(sub)
    add_serve_command(sub)
    add_viz_command(sub)
    return parser


def default_by_task(configs: dict, name: str) -> str | None:
    """A flag's default: one value if every task that has the setting agrees, else one per task."""
    defaults = {task: "the series'" if f.default is None else f.default  # forecast: from --series
                for task, config in configs.items() for f in fields(config) if f.name == name}
    if len(set(map(str, defaults.values()))) == 1:
        return str(next(iter(defaults.values())))
    return " / ".join(f"{task} {value}" for task, value in defaults.items()) or None


def given(args, names) -> dict:
    """The flags among ``names`` that the user actually gave."""
    return {name: getattr(args, name) for name in names if getattr(args, name) is not None}


def run_train(args) -> int:
    out = Path(args.out)
    train_options = given(args, TRAIN_FLAGS)
    if "max_steps" in train_options and "minutes" in train_options:
        raise RecurError("give either --max-steps or --minutes, not both")
    if args.resume:
        task, saved = resume_task(args, out)
        if {"max_steps", "minutes"} & set(train_options):  # a new budget replaces the old one
            saved.update(max_steps=None, minutes=None)
        config = TrainConfig(**{**saved, **train_options})
    else:
        torch.manual_seed(train_options.get("seed", TrainConfig.seed))  # the same seed, the same initial weights
        module = TASKS[args.task]
        data_options = given(args, DATA_FLAGS)
        model_options = {**given(args, [*MODEL_FLAGS, *MODEL_SWITCHES]), **parse_cell_options(args)}
        for options, config in ((data_options, module.DataConfig), (model_options, module.ModelConfig)):
            known = {f.name for f in fields(config)}
            foreign = [name for name in options if name not in known]
            if foreign:
                raise RecurError(f"{', '.join('--' + n.replace('_', '-') for n in foreign)} does not apply "
                                 f"to {args.task}")
        task = module.new_task(args.data, data_options, model_options)
        if not {"max_steps", "minutes"} & set(train_options):
            train_options["minutes"] = DEFAULT_MINUTES
        config = TrainConfig(**train_options)
    summary = Trainer(task, config, out, args.command_line).fit(resume=args.resume)
    if summary["interrupted"]:
        print(f"recur: stopped at step {summary['step']}; checkpoint saved in {out / 'last'}; "
              f"continue with: recur train {args.task} --out {out} --resume", file=sys.stderr)
        return EXIT_INTERRUPTED
    print(json.dumps(summary))
    return 0


def parse_cell_options(args) -> dict:
    """``--cell-option NAME=VALUE`` flags as ``{"cell_options": {NAME: VALUE}}`` (empty if none given)."""
    if not args.cell_option:
        return {}
    options = {}
    for item in args.cell_option:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise RecurError(f"--cell-option wants NAME=VALUE, got {item!r}")
        try:
            options[name.strip()] = json.loads(value)
        except json.JSONDecodeError:
            options[name.strip()] = value
    return {"cell_options": options}


def resume_task(args, out: Path):
    """Rebuild the task from ``out/last``: the model and data settings are the checkpoint's own."""
    changed = given(args, [*MODEL_FLAGS, *DATA_FLAGS, *MODEL_SWITCHES, "cell_option"])
    if changed:
        raise RecurError(f"cannot change {', '.join('--' + k.replace('_', '-') for k in changed)} when resuming")
    last = checkpoint.resolve(out / "last")
    if not (last / "config.json").exists():
        raise RecurError(f"{out}: nothing to resume (no checkpoint in {out / 'last'})")
    config = checkpoint.read_config(last)
    if config.get("task") != args.task:
        raise RecurError(f"{out} holds a {config.get('task')} checkpoint, not {args.task}")
    task = TASKS[args.task].resumed_task(config, args.data)
    return task, checkpoint.read_json(last, "trainer_state")["train_config"]


def run_eval(args) -> int:
    results = held_out_scores(args.checkpoint, args.data)
    print(json.dumps(next(iter(results.values())) if len(results) == 1 else results))
    return 0


def run_info(args) -> int:
    summary = run_summary(args.folder, evaluate=not args.no_eval)
    print(json.dumps(summary) if args.json else summary_text(summary))
    return 0


def run_sample(args) -> int:
    if args.length < 0:
        raise RecurError(f"--length must be 0 or more, got {args.length}")
    if args.samples < 1:
        raise RecurError(f"--samples must be at least 1, got {args.samples}")
    if args.stream and args.samples > 1:
        raise RecurError("--stream prints one sample as it goes; drop --samples or --stream")
    if args.beam is not None and (args.stream or args.samples > 1):
        raise RecurError("--beam finds one best text; it takes neither --stream nor --samples")
    if args.stop is not None and args.beam is None:
        raise RecurError("--stop applies to --beam")
    if args.threads is not None and args.threads < 1:
        raise RecurError(f"--threads must be at least 1, got {args.threads}")
    set_threads(args.threads or min(2, usable_cores()))
    lm = load(args.checkpoint)
    if not hasattr(lm, "stream"):
        raise RecurError(f"{args.checkpoint}: not a language model; 'sample' needs charlm or wordlm")
    lm.precision = args.precision
    settings = (args.prime, args.length, args.temperature, args.top_k, args.top_p, args.seed)
    end = "\n" if sys.stdout.isatty() else ""  # exactly prime + N characters into a pipe
    if args.beam is not None:
        sys.stdout.write(args.prime + lm.beam(args.prime, args.length, args.beam, args.alpha, args.stop))
    elif args.stream:
        sys.stdout.write(args.prime)
        for chars in lm.stream(*settings):
            sys.stdout.write(chars[0])
            sys.stdout.flush()
    else:  # several samples are separated by a blank line
        texts = lm.generate_many(*settings, samples=args.samples)
        sys.stdout.write("\n\n".join(args.prime + text for text in texts))
    sys.stdout.write(end)
    sys.stdout.flush()
    return 0


def run_predict(args) -> int:
    model = load(args.checkpoint)
    if not hasattr(model, "predict"):
        raise RecurError(f"{args.checkpoint}: not a classifier; 'predict' needs a checkpoint of 'recur train classify'")
    print(json.dumps(model.predict(args.text)))
    return 0


def run_forecast(args) -> int:
    model = load(args.checkpoint)
    if not hasattr(model, "forecast"):
        raise RecurError(f"{args.checkpoint}: not a forecaster; 'forecast' needs a checkpoint of 'recur train forecast'")
    table = read_table(args.data or series_path(model.data), model.columns)
    horizon = model.horizon if args.horizon is None else args.horizon
    if not 1 <= horizon <= model.horizon:
        raise RecurError(f"--horizon: this model forecasts 1 to {model.horizon} steps; asked for {horizon}")
    history, truth = (table.values[:-horizon], table.values[-horizon:]) if args.hold_out else (table.values, None)
    if args.hold_out and len(history) < 1:
        raise RecurError(f"{table.source}: {len(table)} rows leave no history before the last {horizon}")
    predicted = model.forecast(history, horizon)
    files = write_forecast(args.out, table, history, predicted, truth)
    scores = {} if truth is None else {"error": errors(model.scaling.apply(predicted), model.scaling.apply(truth))}
    print(json.dumps({**files, "horizon": horizon, "origin": table.times[len(history) - 1], **scores}))
    return 0


def run_export(args) -> int:
    lm = load(args.checkpoint)
    if not hasattr(lm, "stream"):
        raise RecurError(f"{args.checkpoint}: not a language model; 'export' writes the generation step of "
                         "charlm or wordlm")
    inputs = export_onnx(lm.model, Path(args.onnx))
    vocab = lm.vocab.chars if hasattr(lm.vocab, "chars") else lm.vocab.words
    print(json.dumps({"onnx": str(Path(args.onnx).resolve()), "inputs": inputs, "outputs": ["logits"] +
                      [f"{name}_out" for name in inputs[1:]], "vocab": vocab}))
    return 0


def entry() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry()
