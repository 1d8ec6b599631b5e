"""The ``recur`` command: a thin face over the library. ``recur train TASK`` has one sub-parser per
registered task, its flags made from the task's config dataclasses (``recur.cli_flags``); each task
brings its own verbs (``recur.tasks.spec.Verb``); every user error ends as one line on stderr and a
non-zero exit."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

import torch

from recur.cli_explain import add_explain_command
from recur.cli_flags import add_config_flags, given
from recur.cli_serve import add_serve_command
from recur.cli_viz import add_viz_command
from recur.errors import RecurError
from recur.tasks import TASKS, held_out_scores, load
from recur.tasks.summary import run_summary, summary_text
from recur.train import checkpoint
from recur.train.trainer import DEFAULT_MINUTES, TrainConfig, Trainer

EXIT_USER_ERROR, EXIT_INTERRUPTED = 2, 130


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # argparse has printed usage and the refusal (or --help)
        return stop.code
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
    add_train_command(sub)

    evaluate = sub.add_parser("eval", help="score a checkpoint on its held-out splits: JSON",
                              description="Score a checkpoint on its task's held-out splits (or on a file of the "
                                          "task's data) and print the metrics as JSON.")
    evaluate.add_argument("checkpoint", metavar="DIR")
    evaluate.add_argument("--data", help="a file to score instead: text (charlm, wordlm), 'label sentence' lines "
                                         "(classify), a CSV with the model's columns (forecast)")
    evaluate.set_defaults(run=run_eval)

    info = sub.add_parser("info", help="what a run folder holds: settings, commands, machine, steps, scores",
                          description="Summarise a run folder: task, settings, each training session's command "
                                      "line, times and machine (run.json), steps, the best validation score and "
                                      "the best model's held-out metrics.")
    info.add_argument("folder", metavar="DIR", help="a folder written by 'recur train --out'")
    info.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    info.add_argument("--no-eval", action="store_true", help="skip evaluating the held-out splits")
    info.set_defaults(run=run_info)

    add_task_verbs(sub)
    add_explain_command(sub)
    add_serve_command(sub)
    add_viz_command(sub)
    return parser


def add_train_command(sub) -> None:
    train = sub.add_parser("train", help="train a model on a task",
                           description="Train a model on a task; 'recur train TASK --help' lists that task's flags "
                                       "and their defaults.")
    tasks = train.add_subparsers(dest="task", required=True, metavar="TASK")
    for spec in TASKS.values():
        parser = tasks.add_parser(spec.name, help=spec.summary, description=f"recur train {spec.name}: {spec.summary}.")
        parser.add_argument("--data", help=spec.data_help)
        parser.add_argument("--out", required=True, help="output folder for checkpoints and metrics")
        parser.add_argument("--resume", action="store_true", help="continue the checkpoint in --out")
        for title, config_type in (("model", spec.ModelConfig), ("data", spec.DataConfig), ("training", TrainConfig)):
            add_config_flags(parser.add_argument_group(title), config_type)
        parser.set_defaults(run=run_train, spec=spec)


def add_task_verbs(sub) -> None:
    """Each task's own commands; a verb several tasks share (``sample``) is added once."""
    added = {}
    for spec in TASKS.values():
        for verb in spec.verbs:
            if verb.name in added:
                if added[verb.name] is not verb:
                    raise ValueError(f"two different commands are named {verb.name!r}; tasks that share a verb "
                                     "list the same Verb")
                continue
            added[verb.name] = verb
            parser = sub.add_parser(verb.name, help=verb.help, description=verb.description or verb.help)
            parser.add_argument("checkpoint", metavar="DIR", help="a checkpoint folder made by 'recur train'")
            verb.add_arguments(parser)
            parser.set_defaults(run=run_verb, verb=verb)


def run_verb(args) -> int:
    model = load(args.checkpoint, args.verb.wants, f"'recur {args.verb.name}'")
    return args.verb.run(model, args)


def run_train(args) -> int:
    spec, out = args.spec, Path(args.out)
    train_options = given(args, TrainConfig)
    if "max_steps" in train_options and "minutes" in train_options:
        raise RecurError("give either --max-steps or --minutes, not both")
    if args.resume:
        task, saved = resume_task(args, out)
        if {"max_steps", "minutes"} & set(train_options):  # a new budget replaces the old one
            saved.update(max_steps=None, minutes=None)
        config = TrainConfig(**{**saved, **train_options})
    else:
        torch.manual_seed(train_options.get("seed", TrainConfig.seed))  # the same seed, the same initial weights
        task = spec.new_task(args.data, given(args, spec.DataConfig), given(args, spec.ModelConfig))
        if not {"max_steps", "minutes"} & set(train_options):
            train_options["minutes"] = DEFAULT_MINUTES
        config = TrainConfig(**train_options)
    summary = Trainer(task, config, out, args.command_line).fit(resume=args.resume)
    if summary["interrupted"]:
        print(f"recur: stopped at step {summary['step']}; checkpoint saved in {out / 'last'}; "
              f"continue with: recur train {spec.name} --out {out} --resume", file=sys.stderr)
        return EXIT_INTERRUPTED
    print(json.dumps(summary))
    return 0


def resume_task(args, out: Path):
    """Rebuild the task from ``out/last``: the model and data settings are the checkpoint's own."""
    spec = args.spec
    changed = {**given(args, spec.ModelConfig), **given(args, spec.DataConfig)}
    if changed:
        raise RecurError(f"cannot change {', '.join('--' + k.replace('_', '-') for k in changed)} when resuming")
    last = checkpoint.resolve(out / "last")
    if not (last / "config.json").exists():
        raise RecurError(f"{out}: nothing to resume (no checkpoint in {out / 'last'})")
    config = checkpoint.read_config(last)
    if config.get("task") != spec.name:
        raise RecurError(f"{out} holds a {config.get('task')} checkpoint, not {spec.name}")
    task = spec.resumed_task(config, args.data)
    return task, checkpoint.read_json(last, "trainer_state")["train_config"]


def run_eval(args) -> int:
    results = held_out_scores(args.checkpoint, args.data)
    print(json.dumps(next(iter(results.values())) if len(results) == 1 else results))
    return 0


def run_info(args) -> int:
    summary = run_summary(args.folder, evaluate=not args.no_eval)
    print(json.dumps(summary) if args.json else summary_text(summary))
    return 0


def entry() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry()
