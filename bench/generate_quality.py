"""What reduced-precision weights cost: validation loss of a trained character or word model run on
the generation engine in fp32, bf16 and int8, and on ONNX Runtime (recur's exported step, as is and after
ONNX Runtime's stock dynamic int8 quantisation), beside the training model itself.

The checkpoint's validation text (a character model's validation split, a word model's PTB
``valid``; its first ``--max-tokens`` tokens if given) is cut into ``--streams`` contiguous pieces,
and each piece is fed one token (character or word) at a time from a zero state (teacher forcing):
the loss is the mean negative log-likelihood of every next token, in nats. The same streams go through the training model
(PyTorch, float32, whole sequences) as the yardstick. For each format it also reports the mean
KL divergence from the fp32 engine's next-character distribution, and how often the most likely
next character agrees with fp32's. The engine runs the compiled loops the CPU has (``kernels``
in the file: on AVX-512 machines bf16 and int8 also round the activations, ``csrc/panel.c``).

    python bench/generate_quality.py --checkpoint runs/big512     # writes bench/results/generate_quality.json
    python bench/generate_quality.py --checkpoint runs/words --max-tokens 16000 --out bench/results/generate_quality_word.json
    python bench/generate_quality.py --markdown bench/results/generate_quality.json
"""

from __future__ import annotations

import argparse
import datetime
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from recur.generate import kernels
from recur.generate.engine import StepEngine
from recur.generate.onnx_export import export_onnx
from recur.generate.onnx_runtime import OnnxStepper, quantise_step
from recur.tasks import checkpoint_folder, load, task_of
from recur.train import checkpoint
from results_file import add_markdown_option, saved_rows, write_results

RESULTS = Path(__file__).resolve().parent / "results"
PRECISIONS = ("fp32", "bf16", "int8")


def log_softmax(logits: np.ndarray) -> np.ndarray:
    z = logits.astype(np.float64)
    z -= z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def engine_log_probs(model, streams: np.ndarray, precision: str) -> np.ndarray:
    """log p(next | prefix) for every position of ``streams [B, L]``: ``[B, L-1, V]`` float32."""
    engine = StepEngine(model, precision)
    engine.reset(streams.shape[0])
    out = []
    for t in tqdm(range(streams.shape[1] - 1), desc=precision, leave=False):
        out.append(log_softmax(engine.step(streams[:, t])).astype(np.float32))
    return np.stack(out, axis=1)


def onnx_log_probs(model, streams: np.ndarray, quantised: bool, folder: Path) -> np.ndarray:
    """The same teacher-forced log-probabilities through ONNX Runtime stepping recur's exported step."""
    path = folder / "step.onnx"
    export_onnx(model, path)
    if quantised:
        path = quantise_step(path, folder / "step-int8.onnx")
    stepper = OnnxStepper(path, threads=1)
    stepper.reset(streams.shape[0])
    out = [log_softmax(stepper.step(np.ascontiguousarray(streams[:, t]))).astype(np.float32)
           for t in tqdm(range(streams.shape[1] - 1), desc="onnxruntime", leave=False)]
    return np.stack(out, axis=1)


@torch.no_grad()
def model_log_probs(model, streams: np.ndarray) -> np.ndarray:
    logits, _ = model(torch.from_numpy(streams[:, :-1]))
    return torch.log_softmax(logits.double(), -1).float().numpy()


def nll(log_probs: np.ndarray, streams: np.ndarray) -> float:
    return float(-np.take_along_axis(log_probs, streams[:, 1:, None], axis=-1).mean())


def markdown_table(rows: list[dict]) -> str:
    lines = ["| weights | validation loss (nats/token) | change vs fp32 | KL from fp32 (nats/token) "
             "| top-1 agrees with fp32 | weight bytes per step |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        size = f"{r['weight_bytes'] / 1e6:.1f} MB" if r["weight_bytes"] else "–"
        lines.append(f"| {r['weights']} | {r['loss']:.5f} | {r['loss_change']:+.5f} | {abs(r['kl_from_fp32']):.1e} "
                     f"| {100 * r['top1_agreement']:.2f} % | {size} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", type=Path, help="a trained charlm or wordlm model (e.g. the demo's runs/demo)")
    parser.add_argument("--max-tokens", type=int, default=0,
                        help="score only the first N tokens of the validation text (0: all; a 10,000-word "
                             "model's log-probabilities take 40 kB a token in each of the formats held at once)")
    parser.add_argument("--streams", type=int, default=8,
                        help="contiguous pieces run side by side (default 8: within the compiled loops' batches)")
    parser.add_argument("--out", type=Path, default=RESULTS / "generate_quality.json")
    add_markdown_option(parser)
    args = parser.parse_args()
    if args.markdown:
        print(markdown_table(saved_rows(args.markdown)))
        return
    if args.checkpoint is None:
        parser.error("--checkpoint is required to measure")
    torch.set_num_threads(1)
    lm = load(args.checkpoint)
    spec, config = task_of(checkpoint_folder(args.checkpoint))
    splits = spec.held_out(config)
    split = splits.get("validation") or splits["valid"]  # charlm's name, wordlm's
    text, source = split.data, split.source
    ids = lm.vocab.encode(text, "the validation text").numpy()
    if args.max_tokens:
        ids, source = ids[: args.max_tokens], f"the first {min(args.max_tokens, len(ids)):,} tokens of {source}"
    length = len(ids) // args.streams
    streams = np.ascontiguousarray(ids[: length * args.streams].reshape(args.streams, length))
    start = time.perf_counter()
    reference = model_log_probs(lm.model, streams)
    rows = [{"weights": "training model (PyTorch fp32)", "loss": nll(reference, streams), "weight_bytes": 0}]
    fp32 = None
    for precision in PRECISIONS:
        log_probs = engine_log_probs(lm.model, streams, precision)
        fp32 = log_probs if precision == "fp32" else fp32
        rows.append({"weights": f"engine {precision}", "loss": nll(log_probs, streams),
                     "weight_bytes": StepEngine(lm.model, precision).weight_bytes,
                     "kl_from_fp32": float((np.exp(fp32) * (fp32 - log_probs)).sum(-1).mean()),
                     "top1_agreement": float((fp32.argmax(-1) == log_probs.argmax(-1)).mean())})
        print(f"{precision}: loss {rows[-1]['loss']:.4f}", flush=True)
    with tempfile.TemporaryDirectory() as folder:
        for name, quantised in (("fp32", False), ("int8 (dynamic)", True)):
            log_probs = onnx_log_probs(lm.model, streams, quantised, Path(folder))
            rows.append({"weights": f"onnxruntime {name}", "loss": nll(log_probs, streams),
                         "weight_bytes": rows[1]["weight_bytes"] // (4 if quantised else 1),
                         "kl_from_fp32": float((np.exp(fp32) * (fp32 - log_probs)).sum(-1).mean()),
                         "top1_agreement": float((fp32.argmax(-1) == log_probs.argmax(-1)).mean())})
            print(f"onnxruntime {name}: loss {rows[-1]['loss']:.4f}", flush=True)
    base = rows[1]["loss"]
    rows[0].update(kl_from_fp32=float((np.exp(fp32) * (fp32 - reference)).sum(-1).mean()),
                   top1_agreement=float((fp32.argmax(-1) == reference.argmax(-1)).mean()))
    for row in rows:
        row["loss_change"] = row["loss"] - base
    print(markdown_table(rows))
    run_file = checkpoint_folder(args.checkpoint).parent / "run.json"  # how the checkpoint was trained, if recorded
    sessions = json.loads(run_file.read_text(encoding="utf-8")).get("sessions", []) if run_file.exists() else []
    write_results({"benchmark": "validation loss of the generation engine by weight format",
                   "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                   "checkpoint": str(args.checkpoint), "trained_by": [s.get("command") for s in sessions],
                   "model": config["model"], "data": source,
                   "task": spec.name, "tokens": int(streams.size), "streams": args.streams, "kernels": kernels.kernel_path(),
                   "seconds": time.perf_counter() - start, "rows": rows}, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
