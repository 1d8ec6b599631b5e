"""The commands every stream language model (charlm, wordlm) offers besides ``recur eval``:
``recur sample DIR`` writes text with it, ``recur export DIR --onnx FILE`` writes its generation
step as an ONNX graph."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from recur.errors import RecurError
from recur.generate.kernels import set_threads, usable_cores
from recur.tasks.spec import Verb
from recur.tasks.stream_lm import StreamLM


def sample_arguments(sample) -> None:
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
    sample.add_argument("--stop", default=None,
                        help="with --beam: a token that ends a hypothesis, e.g. '.' (or '<eos>' for wordlm)")
    sample.add_argument("--alpha", type=float, default=0.6,
                        help="with --beam: length normalisation ((5+n)/6)^alpha (default 0.6)")
    sample.add_argument("--threads", type=int, default=None,
                        help="cores for the generation engine's matrix products (default: the usable cores, up to 2)")
    sample.add_argument("--precision", choices=["fp32", "bf16", "int8"], default="fp32",
                        help="weights of the generation engine: bf16 and int8 are smaller and faster, and cost a "
                             "little accuracy (docs/performance.md; default fp32)")


def run_sample(lm: StreamLM, args) -> int:
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


def export_arguments(export) -> None:
    export.add_argument("--onnx", required=True, metavar="FILE", help="the .onnx file to write")


def run_export(lm: StreamLM, args) -> int:
    from recur.generate.onnx_export import export_onnx  # the exporter loads onnx machinery: only when asked

    inputs = export_onnx(lm.model, Path(args.onnx))
    print(json.dumps({"onnx": str(Path(args.onnx).resolve()), "inputs": inputs, "outputs": ["logits"] +
                      [f"{name}_out" for name in inputs[1:]], "vocab": lm.vocab.tokens()}))
    return 0


SAMPLE = Verb("sample", "write text with a trained language model", StreamLM, sample_arguments, run_sample)
EXPORT = Verb("export", "write a language model's generation step as ONNX", StreamLM, export_arguments, run_export,
              description="Export one generation step (ids and state in, logits and state out) as an ONNX graph.")
LANGUAGE_MODEL_VERBS = (SAMPLE, EXPORT)
