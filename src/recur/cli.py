"""The ``recur`` command: a thin face over the library. ``recur train TASK`` has one sub-parser per
registered task, its flags made from the task's config dataclasses (``recur.cli_flags``); each task
brings its own verbs (``recur.tasks.spec.Verb``); every user error ends as one line on stderr and a
non-zero exit."""

from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import shlex
import sys
from dataclasses import fields
from pathlib import Path

import torch

from recur.checks import number_flag
from recur.cli_explain import add_explain_command
from recur.cli_flags import add_config_flags, flag_name, given
from recur.cli_serve import add_serve_command
from recur.cli_viz import add_viz_command
from recur.errors import RecurError
from recur.machine import DEVICES, resolve_device
from recur.tasks import TASKS, from_checkpoint_config, held_out_scores, load
from recur.tasks.summary import run_summary, summary_text
from recur.train import checkpoint, distributed
from recur.train.run_folder import refuse_a_second_start
from recur.train.run_log import data_fingerprint, recorded_data
from recur.train.trainer import DEFAULT_MINUTES, Progress, TrainConfig, Trainer

EXIT_USER_ERROR, EXIT_INTERNAL_ERROR, EXIT_INTERRUPTED, EXIT_CLOSED_PIPE = 2, 70, 130, 141
LONG_WORD = re.compile(r"\S{200,}")  # in a refusal, cut to its first 60 characters


def main(argv: list[str] | None = None) -> int:
    """Run ``recur ARGV``; returns the exit status: 0, 2 for a refused input (one line on stderr),
    130 when interrupted, 141 when the reader of stdout went away (``recur sample | head``)."""
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        args, extras = parser.parse_known_args(argv)
        if extras:  # refused by the sub-command's own parser, which knows its flags
            args.parser.error(f"unrecognized arguments: {' '.join(extras)}")
    except SystemExit as stop:  # argparse has printed the refusal (or --help)
        return stop.code
    args.command_line, args.argv = "recur " + shlex.join(argv), argv
    try:
        return args.run(args)
    except RecurError as err:
        print(f"recur: error: {err}", file=sys.stderr)
        return EXIT_USER_ERROR
    except BrokenPipeError:  # the reader closed the pipe: stop quietly, as head and less expect
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so the interpreter's final flush does not complain
        return EXIT_CLOSED_PIPE
    except OSError as err:  # e.g. an output folder we may not write
        where = f"{err.filename}: " if err.filename else ""
        print(f"recur: error: {where}{err.strerror or err}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("recur: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as err:
        if os.environ.get("RECUR_DEBUG"):
            raise
        if out_of_memory(err):  # past the build-time check: activations, a batch, a data set
            print(f"recur: error: out of memory: {str(err).splitlines()[0] if str(err) else 'MemoryError':.200}; "
                  "choose smaller sizes (--batch-size, --seq-len, --hidden, ...)", file=sys.stderr)
            return EXIT_USER_ERROR
        print(f"recur: internal error: {type(err).__name__}: {err!s:.300} (a bug in recur: please report it with "
              "the command; RECUR_DEBUG=1 shows the traceback)", file=sys.stderr)
        return EXIT_INTERNAL_ERROR


def out_of_memory(err: Exception) -> bool:
    """Whether ``err`` is an allocation that failed (Python's, or PyTorch's CPU or CUDA allocator)."""
    return isinstance(err, MemoryError) or isinstance(err, RuntimeError) and any(
        words in str(err) for words in ("can't allocate memory", "CUDA out of memory", "Cannot allocate memory"))


class RecurParser(argparse.ArgumentParser):
    """argparse, refusing in one line (``--help`` has the usage) and suggesting the flag or command
    a typo was near: ``--hiden`` → "did you mean --hidden?"."""

    def error(self, message: str):
        hint = self._suggestion(message)
        message = LONG_WORD.sub(lambda word: word[0][:60] + "...", message)  # a 5,000-digit value echoed
        self.exit(EXIT_USER_ERROR, f"{self.prog}: error: {message}{hint} (see '{self.prog} --help')\n")

    def _suggestion(self, message: str) -> str:
        if "invalid choice: " in message:
            typed = message.split("invalid choice: ", 1)[1].split()[0].strip("',")
        elif message.startswith("unrecognized arguments: "):
            typed = (message.split(": ", 1)[1].split() or [""])[0].split("=")[0]  # an empty argument: nothing
        else:
            return ""
        close = difflib.get_close_matches(typed, sorted(_words(self)), n=1, cutoff=0.75)
        return f"; did you mean {close[0]}?" if close and close[0] != typed else ""


def _words(parser: argparse.ArgumentParser) -> set[str]:
    """Every flag and command ``parser`` and its sub-commands know."""
    words = set()
    for action in parser._actions:
        words.update(action.option_strings)
        if action.choices is not None and not isinstance(action, argparse._SubParsersAction):
            words.update(map(str, action.choices))
        if isinstance(action, argparse._SubParsersAction):
            for name, sub_parser in action.choices.items():
                words.add(name)
                words.update(_words(sub_parser))
    return words


def build_parser() -> argparse.ArgumentParser:
    parser = RecurParser(prog="recur", description="Recurrent neural networks from the lectures.")
    sub = parser.add_subparsers(dest="command", required=True)
    add_train_command(sub)

    evaluate = sub.add_parser("eval", help="score a checkpoint on its held-out splits: JSON",
                              description="Score a checkpoint on its task's held-out splits (or on a file of the "
                                          "task's data) and print the metrics as JSON.")
    evaluate.add_argument("checkpoint", metavar="DIR")
    evaluate.add_argument("--data", help="a file to score instead: text (charlm, wordlm), 'label sentence' lines "
                                         "(classify), a CSV with the model's columns (forecast), a source-language file "
                                         "FILE.de with FILE.en beside it (translate), a piano-roll JSON file "
                                         "(music: its test pieces)")
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
    _remember_parsers(parser)
    return parser


def _remember_parsers(parser: argparse.ArgumentParser) -> None:
    """Each (sub-)parser puts itself in its namespace as ``parser``, so that ``main`` can refuse an
    unknown flag in the words of the command it was given to."""
    parser.set_defaults(parser=parser)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub_parser in action.choices.values():
                _remember_parsers(sub_parser)


def add_train_command(sub) -> None:
    train = sub.add_parser("train", help="train a model on a task",
                           description="Train a model on a task; 'recur train TASK --help' lists that task's flags "
                                       "and their defaults.")
    tasks = train.add_subparsers(dest="task", required=True, metavar="TASK")
    for spec in TASKS.values():
        parser = tasks.add_parser(spec.name, help=spec.summary, description=f"recur train {spec.name}: {spec.summary}.")
        parser.add_argument("--data", help=spec.data_help)
        parser.add_argument("--out", required=True, help="output folder for checkpoints and metrics")
        parser.add_argument("--resume", action="store_true", help="continue the checkpoint in --out (the model "
                            "and data settings are its own; a new --max-steps or --minutes is a new total)")
        parser.add_argument("--device", choices=DEVICES, default="cpu",
                            help="where to train; auto: a CUDA GPU if there is one (default: cpu)")
        parser.add_argument("--threads", type=number_flag(int, at_least=1, at_most=256), default=None,
                            help="CPU threads for torch (default: torch's own choice, or OMP_NUM_THREADS)")
        parser.add_argument("--nproc", type=number_flag(int, at_least=1, at_most=256), default=None,
                            help="train on this many processes of this machine with DDP (torchrun; each takes "
                                 "--batch-size / N rows); for several machines run torchrun yourself")
        for title, config_type in (("model", spec.ModelConfig), ("data", spec.DataConfig), ("training", TrainConfig)):
            add_config_flags(parser.add_argument_group(title), config_type,
                             spec.train_defaults if config_type is TrainConfig else None)
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
    if args.nproc and args.nproc > 1 and "WORLD_SIZE" not in os.environ:
        return distributed.launch(args.nproc, without_flag(args.argv, "--nproc"))
    train_options = given(args, TrainConfig)
    if "max_steps" in train_options and "minutes" in train_options:
        raise RecurError("give either --max-steps or --minutes, not both")
    try:
        device = resolve_device(args.device)
    except ValueError as err:
        raise RecurError(str(err)) from None
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.resume:
        task, saved, data = resume_task(args, out, train_options)
        if {"max_steps", "minutes"} & set(train_options):  # a new budget replaces the old one
            saved.update(max_steps=None, minutes=None)
        config = TrainConfig(**{**saved, **train_options})
    else:
        refuse_a_second_start(out)  # before any data is read; the trainer checks again under its lock
        train_options = {**spec.train_defaults, **train_options}  # the task's defaults, then the flags given
        torch.manual_seed(train_options.get("seed", TrainConfig.seed))  # the same seed, the same initial weights
        if not {"max_steps", "minutes"} & set(train_options):
            train_options["minutes"] = DEFAULT_MINUTES
        config = TrainConfig(**train_options)  # checked before the data is read
        task = spec.new_task(args.data, given(args, spec.DataConfig), given(args, spec.ModelConfig))
        data = data_fingerprint(task.config()["data"].get("source", ""))
    trainer = Trainer(task, config, out, args.command_line, device=device, data=data)
    try:
        summary = trainer.fit(resume=args.resume)
    except BaseException:
        trainer.close(finished=False)
        raise
    trainer.close()
    if not trainer.world.is_main:  # rank 0 speaks for every rank
        return EXIT_INTERRUPTED if summary["interrupted"] else 0
    if summary["interrupted"]:
        print(f"recur: stopped at step {summary['step']}; checkpoint saved in {out / 'last'}; "
              f"continue with: recur train {spec.name} --out {out} --resume", file=sys.stderr)
        return EXIT_INTERRUPTED
    print(json.dumps(summary))
    return 0


def without_flag(argv: list[str], flag: str) -> list[str]:
    """``argv`` less ``flag`` and its value (``--flag N`` or ``--flag=N``)."""
    out, skip = [], False
    for item in argv:
        if skip:
            skip = False
        elif item == flag:
            skip = True
        elif not item.startswith(flag + "="):
            out.append(item)
    return out


FIXED_ON_RESUME = ("optimizer", "seed")  # the optimizer's moments and the RNG stream are the checkpoint's


def resume_task(args, out: Path, train_options: dict):
    """Rebuild the task from ``out/last``: the model and data settings are the checkpoint's own; a flag
    that repeats one is fine, one that changes it is refused naming both values. Returns the task,
    the saved training settings and the data's fingerprint."""
    spec = args.spec
    last = checkpoint.resolve(out / "last")
    if not (last / "config.json").exists():
        raise RecurError(f"{out}: nothing to resume (no checkpoint in {out / 'last'})")
    config = checkpoint.read_config(last)
    if config.get("task") != spec.name:
        raise RecurError(f"{out} holds a {config.get('task')} checkpoint, not {spec.name}")
    if not isinstance(config.get("data"), dict):
        raise RecurError(f"{last / 'config.json'}: no \"data\" settings")
    from_checkpoint_config(last, spec.untrained_model, config)  # an edited config.json: refused before reading data
    state = checkpoint.read_json(last, "trainer_state")
    saved = state.get("train_config")
    unknown = set(saved) - {f.name for f in fields(TrainConfig)} if isinstance(saved, dict) else set()
    if not isinstance(saved, dict) or unknown:
        problem = f"unknown training settings {', '.join(sorted(unknown))}" if unknown else "no train_config"
        raise RecurError(f"{last / 'trainer_state.json'}: {problem} in it; the checkpoint was edited or is "
                         "from another version")
    try:  # an edited value is refused naming the file, before any data is read
        TrainConfig(**saved)
        Progress(**{f.name: state[f.name] for f in fields(Progress) if f.name in state})
    except RecurError as err:
        raise RecurError(f"{last / 'trainer_state.json'}: {err}") from None
    metadata = {f.name: f.metadata for kind in (spec.ModelConfig, spec.DataConfig) for f in fields(kind)}
    for section, options in (("model", given(args, spec.ModelConfig)), ("data", given(args, spec.DataConfig)),
                             ("training", {k: v for k, v in train_options.items() if k in FIXED_ON_RESUME})):
        recorded = saved if section == "training" else config.get(section, {})
        for name, value in options.items():
            if name in recorded and recorded[name] != value:
                raise RecurError(f"cannot change {flag_name(name, metadata.get(name))} when resuming: the "
                                 f"checkpoint has {recorded[name]!r}, given {value!r}")
    data = resumed_data(out, config, args.data)
    return from_checkpoint_config(last, lambda c: spec.resumed_task(c, args.data), config), saved, data


def resumed_data(out: Path, config: dict, data_path: str | None) -> dict | None:
    """The fingerprint of the data a resume will read, refused if it is not the data the run started
    on: the same file (moved is fine), unchanged since. A run from before fingerprints were recorded
    may name another path only where its recorded file is gone (moved)."""
    recorded_source = config.get("data", {}).get("source", "")
    path = str(Path(data_path).resolve()) if data_path else recorded_source
    first = recorded_data(out)
    current = data_fingerprint(path)
    if first and current and first["sha256"] != current["sha256"]:
        what = f"--data {data_path} is not" if data_path else f"{path} has changed since it was"
        raise RecurError(f"{what} the data this run trained on ({first['path']}); resume on the same data, or "
                         "start a new run with another --out")
    recorded_still_there = not recorded_source or Path(recorded_source).exists()
    if data_path and not first and path != recorded_source and recorded_still_there:  # no fingerprint to compare
        raise RecurError(f"--data {data_path}: this run trained on {recorded_source or 'the bundled data'}; resume "
                         "on the same data (give --data only if that file has moved), or start a new run")
    return current or first


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
