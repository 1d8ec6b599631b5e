"""Step-by-step generation speed: recur's packed engine against PyTorch stepping and a plain NumPy loop.

For a 2×512 LSTM and a 3×256 GRU character model (vocabulary 65, embedding 64), each variant feeds
one token per sequence and computes the next-token logits, at batch 1, 8 and 64:

* ``recur``: ``recur.generate.engine.StepEngine`` (what ``recur sample`` runs), fp32 weights;
* ``recur-bf16``, ``recur-int8``: the same engine with bf16 / int8 recurrent weights
  (``recur sample --precision``; their accuracy cost is measured by ``bench/generate_quality.py``);
* ``recur+draw``: fp32 engine plus drawing the next id (temperature 0.8, top-k 10): a
  ``recur sample`` step end to end;
* ``torch``: ``nn.Embedding`` -> ``nn.LSTM``/``nn.GRU`` -> ``nn.Linear`` called once per step under
  ``torch.no_grad()``, carrying the state, the usual way to sample with PyTorch;
* ``numpy``: a direct NumPy transcription of the equations (concatenate, matmul, gate functions).

The variants are timed round-robin (``--seconds`` each per round); chars/s is the median over the
rounds and each ratio the median of per-round ratios. Weights read per step (the stored bytes of
every weight matrix a step multiplies: for recur's engine, the first layer's input product is a
table lookup, so its W_ih is not read) over the step time gives the implied memory bandwidth. One
thread by default, as the issue's limits are stated (set OMP_NUM_THREADS / OPENBLAS_NUM_THREADS).

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
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from recur.generate.engine import StepEngine  # noqa: E402
from recur.generate.kernels import compiled_available, sample, set_threads  # noqa: E402
from recur.models import LanguageModel, LanguageModelConfig  # noqa: E402
from results_file import add_markdown_option, saved_rows, write_results  # noqa: E402

VOCAB, EMBEDDING = 65, 64
MODELS = {"lstm 2x512": ("lstm", 512, 2), "gru 3x256": ("gru", 256, 3)}
RESULTS = Path(__file__).resolve().parent / "results"


def torch_stepper(model: LanguageModel, batch: int):
    """Plain PyTorch with the model's weights: nn.LSTM/nn.GRU called one step at a time."""
    cfg = model.config
    layer = (nn.LSTM if cfg.cell == "lstm" else nn.GRU)(cfg.embedding, cfg.hidden, cfg.layers, batch_first=True)
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
    H, lstm = model.config.hidden, model.config.cell == "lstm"
    h = [np.zeros((batch, H), np.float32) for _ in cells]
    c = [np.zeros((batch, H), np.float32) for _ in cells]
    ids = np.zeros(batch, dtype=np.int64)

    def sig(v):
        return 1 / (1 + np.exp(-v))

    def step():
        x = embed[ids]
        for k, (w_ih, w_hh, b, b_ih, b_hh) in enumerate(cells):
            if lstm:
                z = x @ w_ih.T + h[k] @ w_hh.T + b
                i, f, g, o = np.split(z, 4, axis=1)
                c[k] = sig(f) * c[k] + sig(i) * np.tanh(g)
                h[k] = sig(o) * np.tanh(c[k])
            else:
                gx, gh = x @ w_ih.T + b_ih, h[k] @ w_hh.T + b_hh
                r, u = sig(gx[:, :H] + gh[:, :H]), sig(gx[:, H:2 * H] + gh[:, H:2 * H])
                n = np.tanh(gx[:, 2 * H:] + r * gh[:, 2 * H:])
                h[k] = (1 - u) * n + u * h[k]
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


# name -> (factory, threads): recur's threads split its products (kernels.set_threads); PyTorch's are
# torch.set_num_threads; the NumPy loop keeps the one BLAS thread set above.
STEPPERS = {
    "torch x1": (torch_stepper, 1), "torch x2": (torch_stepper, 2), "numpy x1": (numpy_stepper, 1),
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
    data = np.random.default_rng(0).random(nbytes // 4, dtype=np.float32)
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


def markdown_table(rows: list[dict]) -> str:
    """The saved rows as the two Markdown tables in docs/performance.md: chars/s (× PyTorch stepping on
    one thread) per model, batch and variant; then what recur's engine reads per step at batch 1."""
    variants = list(dict.fromkeys(r["variant"] for r in rows))
    cells = {(r["model"], r["batch"], r["variant"]): r for r in rows}
    lines = ["| model | batch | " + " | ".join(variants) + " |", "| --- | ---: |" + " ---: |" * len(variants)]
    for model, batch in dict.fromkeys((r["model"], r["batch"]) for r in rows):
        entries = [cells[(model, batch, v)] for v in variants]
        lines.append(f"| {model} | {batch} | " + " | ".join(
            f"{e['chars_per_s']:,.0f} ({e['x_torch']:.1f}×)" for e in entries) + " |")
    lines += ["", "| model | variant (batch 1) | weights read per step | implied GB/s |", "| --- | --- | ---: | ---: |"]
    for r in rows:
        if r["batch"] == 1 and r["variant"].startswith("recur") and "draw" not in r["variant"]:
            lines.append(f"| {r['model']} | {r['variant']} | {r['weight_bytes_per_step'] / 1e6:.1f} MB "
                         f"| {r['implied_gb_per_s']:.1f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", default="1,8,64")
    parser.add_argument("--seconds", type=float, default=1.0, help="per variant per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=RESULTS / "generate.json")
    add_markdown_option(parser)
    args = parser.parse_args()
    if args.markdown:
        print(markdown_table(saved_rows(args.markdown)))
        ceilings = json.loads(args.markdown.read_text(encoding="utf-8")).get("read_gb_per_s_one_core", {})
        print("\n" + "\n".join(f"- {label}: one core reads its fp32 weights' size at {gb:.1f} GB/s"
                                for label, gb in ceilings.items()))
        return
    torch.manual_seed(0)
    rows = []
    for label, (cell, hidden, layers) in MODELS.items():
        model = LanguageModel(LanguageModelConfig(vocab_size=VOCAB, cell=cell, hidden=hidden, layers=layers,
                                                  embedding=EMBEDDING)).eval()
        for batch in (int(b) for b in args.batches.split(",")):
            steppers = {name: make(model, batch) for name, (make, _) in STEPPERS.items()}
            for name, step in steppers.items():
                use_threads(STEPPERS[name][1])
                step()  # warm up
            rounds = {name: [] for name in steppers}
            for r in range(args.rounds):
                order = list(steppers)[r % len(steppers):] + list(steppers)[:r % len(steppers)]
                for name in order:
                    use_threads(STEPPERS[name][1])
                    rounds[name].append(batch * steps_per_second(steppers[name], args.seconds))
            use_threads(1)
            for name, chars in rounds.items():
                per_step_s = batch / statistics.median(chars)
                read = getattr(STEPPERS[name][0], "weight_bytes", weight_bytes)(model)
                rows.append({
                    "model": label, "batch": batch, "variant": name, "threads": STEPPERS[name][1],
                    "chars_per_s": statistics.median(chars), "chars_per_s_rounds": chars,
                    "x_torch": statistics.median(a / b for a, b in zip(chars, rounds[BASELINE])),
                    "x_numpy": statistics.median(a / b for a, b in zip(chars, rounds[YARDSTICK])),
                    "weight_bytes_per_step": read, "implied_gb_per_s": read / per_step_s / 1e9,
                })
                r_ = rows[-1]
                print(f"{label:<11} B={batch:<3} {name:<18} {r_['chars_per_s']:>10,.0f} chars/s  "
                      f"{r_['x_torch']:6.1f}x torch  {r_['x_numpy']:5.2f}x numpy  "
                      f"{r_['implied_gb_per_s']:6.1f} GB/s of weights", flush=True)
    ceilings = {label: read_bandwidth(StepEngine(LanguageModel(LanguageModelConfig(
        vocab_size=VOCAB, cell=cell, hidden=hidden, layers=layers, embedding=EMBEDDING)), "fp32").weight_bytes, 3.0)
        for label, (cell, hidden, layers) in MODELS.items()}
    for label, gb_per_s in ceilings.items():
        print(f"{label}: one core reads its fp32 weights' size at {gb_per_s:.1f} GB/s", flush=True)
    write_results({"benchmark": "generation: one token per sequence per step, logits only",
                   "read_gb_per_s_one_core": ceilings,
                   "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                   "torch": torch.__version__, "numpy": np.__version__, "compiled_loops": compiled_available(),
                   "threads": {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")},
                   "settings": vars(args) | {"out": str(args.out)}, "rows": rows}, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
