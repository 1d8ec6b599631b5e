"""The commands every stream language model (charlm, wordlm) offers besides ``recur eval``:
``recur sample DIR`` writes text with it, ``recur export DIR --onnx FILE`` writes its generation
step as an ONNX graph."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from recur.checks import number_flag
from recur.errors import RecurError
from recur.generate.beam import MAX_ALPHA
from recur.generate.kernels import set_threads, usable_cores
from recur.generate.sampling import GREEDY_BELOW
from recur.tasks.spec import Verb
from recur.tasks.stream_lm import StreamLM

DEFAULT_LENGTH = 500
MAX_LENGTH = 1_000_000  # tokens a sample may run to: hours of --stream, not an endless loop
MAX_SAMPLES, MAX_BEAM, MAX_THREADS = 1_000, 1_000, 256  # each a batch of states (or threads) held at once
MAX_HELD = 10_000_000  # tokens of --samples × --length held in memory until printed
TEXT_FLAGS = ("prime", "top_k", "top_p", "samples", "stream", "beam", "stop", "alpha", "threads", "precision")
SAMPLE_HEADER = "==> sample {number} of {count} <=="  # as head(1) heads each of several files


def sample_arguments(sample) -> None:
    sample.add_argument("--prime", default="",
                        help="text to start from; it is printed before the text generated after it (the Python "
                             "API's generate returns the generated text alone)")
    sample.add_argument("--length", type=number_flag(int, at_least=0, at_most=MAX_LENGTH), default=None,
                        help=f"tokens to generate: characters, words for wordlm, time steps for music (default "
                             f"{DEFAULT_LENGTH} tokens, 128 steps; at most {MAX_LENGTH:,})")
    sample.add_argument("--temperature", type=number_flag(float, at_least=0), default=1.0,
                        help=f"0 = greedy, and so is any temperature below {GREEDY_BELOW:g} (default 1.0)")
    sample.add_argument("--top-k", type=number_flag(int, at_least=1), default=None,
                        help="draw from the K most likely tokens only")
    sample.add_argument("--top-p", type=number_flag(float, above=0, at_most=1), default=None,
                        help="draw from the most likely tokens that hold P of the probability (nucleus)")
    sample.add_argument("--seed", type=number_flag(int, at_least=0), default=None, help="same seed, same text")
    sample.add_argument("--samples", type=number_flag(int, at_least=1, at_most=MAX_SAMPLES), default=1,
                        help="independent samples drawn as one batch (default 1); with more than one, each "
                             "follows a line '" + SAMPLE_HEADER.format(number="I", count="N") + "' and ends "
                             "with a line break")
    sample.add_argument("--stream", action="store_true", help="print each token as it is drawn")
    sample.add_argument("--beam", type=number_flag(int, at_least=1, at_most=MAX_BEAM), default=None,
                        metavar="WIDTH",
                        help="beam search instead of sampling: the most likely text found with WIDTH hypotheses "
                             "(temperature, top-k/p and seed do not apply)")
    sample.add_argument("--stop", default=None,
                        help="with --beam: a token that ends a hypothesis, e.g. '.' (or '<eos>' for wordlm)")
    sample.add_argument("--alpha", type=number_flag(float, at_least=0, at_most=MAX_ALPHA), default=0.6,
                        help=f"with --beam: length normalisation ((5+n)/6)^alpha, 0 to {MAX_ALPHA:g} (default 0.6)")
    sample.add_argument("--threads", type=number_flag(int, at_least=1, at_most=MAX_THREADS), default=None,
                        help="cores for the generation engine's matrix products (default: the usable cores, up to 2)")
    sample.add_argument("--precision", choices=["fp32", "bf16", "int8"], default="fp32",
                        help="weights of the generation engine: bf16 and int8 are smaller and faster, and cost a "
                             "little accuracy (docs/performance.md; default fp32)")


def run_sample(lm: StreamLM, args) -> int:
    """Print the prime, then the text generated after it (``StreamLM``'s rule: the library returns the
    continuation, a face shows the prime before it). A closed pipe (``| head``) raises
    ``BrokenPipeError`` out of here untouched, for ``recur.cli`` to end quietly."""
    if args.length is None:
        args.length = DEFAULT_LENGTH
    if args.stream and args.samples > 1:
        raise RecurError("--stream prints one sample as it goes; drop --samples or --stream")
    if args.beam is not None and (args.stream or args.samples > 1):
        raise RecurError("--beam finds one best text; it takes neither --stream nor --samples")
    if args.stop is not None and args.beam is None:
        raise RecurError("--stop applies to --beam")
    if args.samples * args.length > MAX_HELD:
        raise RecurError(f"--samples {args.samples} x --length {args.length} is {args.samples * args.length:,} tokens "
                         f"to hold at once; at most {MAX_HELD:,} (--stream prints one long text as it goes)")
    set_threads(args.threads or min(2, usable_cores()))
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
    elif args.samples == 1:
        sys.stdout.write(args.prime + lm.generate(*settings))
    else:  # a blank line could be part of a text: each sample is headed by its number instead
        texts = lm.generate_many(*settings, samples=args.samples)
        end = ""
        for number, text in enumerate(texts, start=1):
            sys.stdout.write(f"{SAMPLE_HEADER.format(number=number, count=len(texts))}\n{args.prime}{text}\n")
    sys.stdout.write(end)
    sys.stdout.flush()
    return 0


def export_arguments(export) -> None:
    export.add_argument("--onnx", required=True, metavar="FILE", help="the .onnx file to write")


def run_export(lm: StreamLM, args) -> int:
    # the exporter loads onnx machinery: only when asked
    from recur.generate.onnx_export import export_onnx

    if Path(args.onnx).is_dir():
        raise RecurError(f"{args.onnx}: a folder; --onnx names the file to write, e.g. {Path(args.onnx) / 'step.onnx'}")
    inputs = export_onnx(lm.model, Path(args.onnx))
    print(json.dumps({"onnx": str(Path(args.onnx).resolve()), "inputs": inputs, "outputs": ["logits"] +
                      [f"{name}_out" for name in inputs[1:]], "vocab": lm.vocab.tokens()}))
    return 0


EXPORT = Verb("export", "write a language model's generation step as ONNX", StreamLM, export_arguments, run_export,
              description="Export one generation step (ids and state in, logits and state out) as an ONNX graph.")
