"""Step-by-step generation speed: recur's packed engine against ONNX Runtime, PyTorch stepping and NumPy.

For a 2×512 LSTM, a 3×256 GRU and a 2×512 Elman character model (vocabulary 65, embedding 64) and a
2×512 LSTM word model (vocabulary 10,000, embedding 256), each variant feeds one token per sequence
and computes the next-token logits, at batch 1, 8 and 64, on one and on two threads:

* ``recur``: ``recur.generate.engine.StepEngine`` (what ``recur sample`` runs), fp32 weights;
* ``recur bf16``, ``recur int8``: the same engine with bf16 / int8 weights (``recur sample --precision``;
  their accuracy cost is measured by ``bench/generate_quality.py``);
* ``recur fp32+draw``: fp32 engine plus drawing the next id (temperature 0.8, top-k 10);
* ``ort fp32``, ``ort int8``: ONNX Runtime running recur's own exported step (``recur export --onnx``)
  from a Python loop, feeding the states back, as is and after its stock dynamic int8 quantisation
  (``recur.generate.onnx_runtime``), with as many intra-op threads as the recur variant beside it;
* ``torch``: ``nn.Embedding`` -> ``nn.LSTM``/``nn.GRU``/``nn.RNN`` -> ``nn.Linear`` called once per step
  under ``torch.no_grad()``, carrying the state, the usual way to sample with PyTorch;
* ``numpy``: a direct NumPy transcription of the equations (concatenate, matmul, gate functions).

The variants are timed round-robin (``--seconds`` each per round); chars/s is the median over the
rounds and each ratio the median of per-round ratios: ``x_ort`` against the faster ONNX Runtime
variant on the same number of threads in that round (the strictest yardstick), ``x_ort_fp32``
against ONNX Runtime fp32. Weights read per step (the stored bytes of every weight matrix a step
multiplies: for recur's engine, the first layer's input product is a table lookup where the table
fits, so its W_ih is not read) over the step time gives the implied memory bandwidth; the read
ceiling of each format is those bytes over the rate at which one core reads a buffer that size
(measured after every round, the best kept: another process on the machine only lowers it).

    python bench/generate.py                 # writes bench/results/generate.json
    python bench/generate.py --markdown bench/results/generate.json   # the table in docs/performance.md
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse  # noqa: E402
import datetime  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import onnxruntime  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from recur.generate import kernels  # noqa: E402
from recur.generate.engine import StepEngine  # noqa: E402
from recur.generate.kernels import compiled_available, sample, set_threads  # noqa: E402
from recur.generate.onnx_export import export_onnx  # noqa: E402
from recur.generate.onnx_runtime import OnnxStepper, quantise_step  # noqa: E402
from recur.models import LanguageModel, LanguageModelConfig  # noqa: E402
from results_file import add_markdown_option, saved_rows, write_results  # noqa: E402

# label -> (cell, hidden, layers, vocabulary, embedding)
MODELS = {"lstm 2x512": ("lstm", 512, 2, 65, 64), "gru 3x256": ("gru", 256, 3, 65, 64),
          "elman 2x512": ("elman", 512, 2, 65, 64), "word lstm 2x512 V10k": ("lstm", 512, 2, 10_000, 256)}
TORCH_LAYERS = {"lstm": nn.LSTM, "gru": nn.GRU, "elman": nn.RNN}
RESULTS = Path(__file__).resolve().parent / "results"
_EXPORTS = tempfile.TemporaryDirectory(prefix="recur-bench-onnx-")  # removed at exit
EXPORTS = Path(_EXPORTS.name)


def build(label: str) -> LanguageModel:
    cell, hidden, layers, vocab, embedding = MODELS[label]
    torch.manual_seed(0)
    return LanguageModel(LanguageModelConfig(vocab_size=vocab, cell=cell, hidden=hidden, layers=layers,
                                             embedding=embedding)).eval()


def torch_stepper(model: LanguageModel, batch: int):
    """Plain PyTorch with the model's weights: nn.LSTM/nn.GRU/nn.RNN called one step at a time."""
    cfg = model.config
    layer = TORCH_LAYERS[cfg.cell](cfg.embedding, cfg.hidden, cfg.layers, batch_first=True)
    for index, cell in enumerate(model.rnn.cells):
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(layer, f"{name}_l{index}").data.copy_(getattr(cell, name).data)
    layer.eval()
    state = None
    ids = torch.zeros(batch, 1, dtype=torch.long)

    def step():
        nonlocal state
        with torch.no_grad():
            out, state = layer(model.embed(ids), state)
            return model.head(out[:, -1])

    return step


def numpy_stepper(model: LanguageModel, batch: int):
    """The equations written out in NumPy, allocating as they go: the yardstick."""
    embed = model.embed.weight.detach().numpy()
    cells = [(c.weight_ih.detach().numpy(), c.weight_hh.detach().numpy(),
              (c.bias_ih + c.bias_hh).detach().numpy(), c.bias_ih.detach().numpy(), c.bias_hh.detach().numpy())
             for c in model.rnn.cells]
    head_w, head_b = model.head.weight.detach().numpy(), model.head.bias.detach().numpy()
    H, kind = model.config.hidden, model.config.cell
    h = [np.zeros((batch, H), np.float32) for _ in cells]
    c = [np.zeros((batch, H), np.float32) for _ in cells]
    ids = np.zeros(batch, dtype=np.int64)

    def sig(v):
        return 1 / (1 + np.exp(-v))

    def step():
        x = embed[ids]
        for k, (w_ih, w_hh, b, b_ih, b_hh) in enumerate(cells):
            if kind == "lstm":
                z = x @ w_ih.T + h[k] @ w_hh.T + b
                i, f, g, o = np.split(z, 4, axis=1)
                c[k] = sig(f) * c[k] + sig(i) * np.tanh(g)
                h[k] = sig(o) * np.tanh(c[k])
            elif kind == "gru":
                gx, gh = x @ w_ih.T + b_ih, h[k] @ w_hh.T + b_hh
                r, u = sig(gx[:, :H] + gh[:, :H]), sig(gx[:, H:2 * H] + gh[:, H:2 * H])
                n = np.tanh(gx[:, 2 * H:] + r * gh[:, 2 * H:])
                h[k] = (1 - u) * n + u * h[k]
            else:
                h[k] = np.tanh(x @ w_ih.T + h[k] @ w_hh.T + b)
            x = h[k]
        return x @ head_w.T + head_b

    return step


def recur_stepper(precision: str, draw: bool = False):
    def make(model: LanguageModel, batch: int):
        engine = StepEngine(model, precision)
        engine.reset(batch)
        ids = np.zeros(batch, dtype=np.int64)
        rng = np.random.default_rng(0)
        if not draw:
            return lambda: engine.step(ids)

        def step():  # a recur sample step: logits, then the next ids from them
            nonlocal ids
            ids = sample(engine.step(ids), 0.8, 10, None, rng.random(batch))

        return step

    make.weight_bytes = lambda model: StepEngine(model, precision).weight_bytes
    return make


def onnx_file(model: LanguageModel, quantised: bool) -> Path:
    """recur's exported step for ``model`` (and its int8 quantisation), written once per model."""
    name = f"{id(model)}-{'int8' if quantised else 'fp32'}.onnx"
    if not (EXPORTS / name).exists():
        plain = EXPORTS / f"{id(model)}-fp32.onnx"
        if not plain.exists():
            export_onnx(model, plain)
        if quantised:
            quantise_step(plain, EXPORTS / name)
    return EXPORTS / name


def ort_stepper(quantised: bool, threads: int):
    def make(model: LanguageModel, batch: int):
        stepper = OnnxStepper(onnx_file(model, quantised), threads)
        stepper.reset(batch)
        ids = np.zeros(batch, dtype=np.int64)
        return lambda: stepper.step(ids)

    # stored bytes of the graph's weight matrices: recur's fp32 bytes, a quarter in int8
    make.weight_bytes = lambda model: weight_bytes(model) // (4 if quantised else 1)
    return make


# name -> (factory, threads): recur's threads split its products (kernels.set_threads); PyTorch's are
# torch.set_num_threads; ONNX Runtime's are its session's intra-op threads; NumPy keeps one BLAS thread.
STEPPERS = {
    "torch x1": (torch_stepper, 1), "numpy x1": (numpy_stepper, 1),
    **{f"ort {p} x{t}": (ort_stepper(p == "int8", t), t) for t in (1, 2) for p in ("fp32", "int8")},
    **{f"recur {p} x{t}": (recur_stepper(p), t) for t in (1, 2) for p in ("fp32", "bf16", "int8")},
    "recur fp32+draw x2": (recur_stepper("fp32", draw=True), 2),
}
BASELINE, YARDSTICK = "torch x1", "numpy x1"


def use_threads(threads: int) -> None:
    set_threads(threads)
    torch.set_num_threads(threads)


def steps_per_second(step, seconds: float) -> float:
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        step()
        steps += 1
    return steps / (time.perf_counter() - start)


def read_bandwidth(nbytes: int, seconds: float) -> float:
    """GB/s at which one core reads a float32 array of ``nbytes`` over and over (NumPy's vectorised
    ``max``, a pure read): how fast this machine streams a working set that size, the ceiling for a
    one-thread step that must read that many bytes."""
    data = np.random.default_rng(0).random(max(nbytes // 4, 16), dtype=np.float32)
    data.max()
    reads, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        data.max()
        reads += 1
    return reads * data.nbytes / (time.perf_counter() - start) / 1e9


def weight_bytes(model: LanguageModel) -> int:
    """fp32 bytes of every recurrent weight matrix and the read-out: what a plain step reads."""
    tensors = [p for cell in model.rnn.cells for p in (cell.weight_ih, cell.weight_hh)] + [model.head.weight]
    return 4 * sum(t.numel() for t in tensors)


def ratio(mine: list[float], theirs: list[list[float]]) -> float:
    """Median over rounds of mine / the best of ``theirs`` in the same round."""
    return statistics.median(a / max(b) for a, b in zip(mine, zip(*theirs)))


def markdown_table(rows: list[dict]) -> str:
    """The saved rows as the Markdown tables in docs/performance.md: chars/s (× ONNX Runtime's faster
    variant on as many threads, same round) per model, batch and variant; then what each format reads
    per step at batch 1 against the read ceiling."""
    variants = list(dict.fromkeys(r["variant"] for r in rows))
    cells = {(r["model"], r["batch"], r["variant"]): r for r in rows}
    lines = ["| model | batch | " + " | ".join(variants) + " |", "| --- | ---: |" + " ---: |" * len(variants)]
    for model, batch in dict.fromkeys((r["model"], r["batch"]) for r in rows):
        entries = [cells[(model, batch, v)] for v in variants]
        lines.append(f"| {model} | {batch} | " + " | ".join(
            f"{e['chars_per_s']:,.0f} ({e['x_ort']:.2f}×)" for e in entries) + " |")
    lines += ["", "| model | batch | recur's fastest x1 ÷ ONNX Runtime's fastest x1 | the same on two threads |",
              "| --- | ---: | --- | --- |"]
    for model, batch in dict.fromkeys((r["model"], r["batch"]) for r in rows):
        best = []
        for threads in (1, 2):
            ours = [r for r in rows if r["model"] == model and r["batch"] == batch and r["threads"] == threads
                    and r["variant"].startswith("recur") and "draw" not in r["variant"]]
            top = max(ours, key=lambda r: r["chars_per_s"])
            best.append(f"{top['x_ort']:.2f}× ({top['variant'].split()[1]})")
        lines.append(f"| {model} | {batch} | {best[0]} | {best[1]} |")
    lines += ["", "| model | variant (batch 1) | weights read per step | implied GB/s | read ceiling chars/s |",
              "| --- | --- | ---: | ---: | ---: |"]
    for r in rows:
        if r["batch"] == 1 and r["variant"].startswith("recur") and "draw" not in r["variant"]:
            lines.append(f"| {r['model']} | {r['variant']} | {r['weight_bytes_per_step'] / 1e6:.2f} MB "
                         f"| {r['implied_gb_per_s']:.1f} | {r.get('read_ceiling_chars_per_s', 0):,.0f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", default="1,8,64")
    parser.add_argument("--models", default=",".join(MODELS), help="comma-separated labels of MODELS")
    parser.add_argument("--seconds", type=float, default=0.5, help="per variant per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=RESULTS / "generate.json")
    add_markdown_option(parser)
    args = parser.parse_args()
    if args.markdown:
        print(markdown_table(saved_rows(args.markdown)))
        return
    labels = args.models.split(",")
    unknown = [label for label in labels if label not in MODELS]
    if unknown:
        parser.error(f"unknown model {unknown[0]!r}; choose from {', '.join(MODELS)}")
    rows, ceilings = [], {}
    for label in labels:
        model = build(label)
        for batch in (int(b) for b in args.batches.split(",")):
            steppers = {name: make(model, batch) for name, (make, _) in STEPPERS.items()}
            for name, step in steppers.items():
                use_threads(STEPPERS[name][1])
                step()  # warm up
            rounds = {name: [] for name in steppers}
            sizes = {getattr(make, "weight_bytes", weight_bytes)(model) for make, _ in STEPPERS.values()}
            for r in range(args.rounds):
                order = list(steppers)[r % len(steppers):] + list(steppers)[:r % len(steppers)]
                for name in order:
                    use_threads(STEPPERS[name][1])
                    rounds[name].append(batch * steps_per_second(steppers[name], args.seconds))
                use_threads(1)
                for size in sizes:  # each round: a busy machine only lowers a read rate, so keep the best
                    ceilings[size] = max(ceilings.get(size, 0.0), read_bandwidth(size, 0.2))
            for name, chars in rounds.items():
                threads = STEPPERS[name][1]
                per_step_s = batch / statistics.median(chars)
                read = getattr(STEPPERS[name][0], "weight_bytes", weight_bytes)(model)
                rows.append({
                    "model": label, "batch": batch, "variant": name, "threads": threads,
                    "chars_per_s": statistics.median(chars), "chars_per_s_rounds": chars,
                    "x_ort": ratio(chars, [rounds[f"ort {p} x{threads}"] for p in ("fp32", "int8")]),
                    "x_ort_fp32": ratio(chars, [rounds[f"ort fp32 x{threads}"]]),
                    "x_torch": ratio(chars, [rounds[BASELINE]]), "x_numpy": ratio(chars, [rounds[YARDSTICK]]),
                    "weight_bytes_per_step": read, "implied_gb_per_s": read / per_step_s / 1e9,
                })
                r_ = rows[-1]
                print(f"{label:<11} B={batch:<3} {name:<18} {r_['chars_per_s']:>10,.0f} chars/s  "
                      f"{r_['x_ort']:5.2f}x ort  {r_['x_ort_fp32']:5.2f}x ort fp32  {r_['x_torch']:6.1f}x torch  "
                      f"{r_['implied_gb_per_s']:6.1f} GB/s of weights", flush=True)
    for row in rows:  # the best read rate seen in any round for the bytes this row's step reads
        gb_per_s = ceilings[row["weight_bytes_per_step"]]
        row["read_gb_per_s_one_core"] = gb_per_s
        row["read_ceiling_chars_per_s"] = row["batch"] * gb_per_s * 1e9 / row["weight_bytes_per_step"]
    write_results({"benchmark": "generation: one token per sequence per step, logits only",
                   "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                   "torch": torch.__version__, "numpy": np.__version__, "onnxruntime": onnxruntime.__version__,
                   "compiled_loops": compiled_available(), "kernels": kernels.kernel_path(),
                   "threads": {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")},
                   "settings": vars(args) | {"out": str(args.out)}, "rows": rows}, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
