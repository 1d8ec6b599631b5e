"""Training speed of each recur cell against PyTorch's fused nn.LSTM / nn.GRU, measured in one run.

Every variant trains one char-LM step: nn.Embedding(65, 64) -> recurrent part (hidden 512, 2 layers)
-> nn.Linear(512, 65), cross-entropy, backward, Adam step; sequence 64, batch 32, 4 and 1. Each cell
runs as "recur" (executor auto), "loop" (the eager reference) and, for cells with a fused kernel,
also as the one of "fused" / "scan" that auto passed over; nn.LSTM and nn.GRU are the yardsticks.
On a shared, noisy machine only same-run ratios mean much, so the variants are timed
round-robin (``--seconds`` each per round); chars/s is the median over ``--rounds``, and each ratio
the median of the per-round ratios.
FLOPs/char come from FlopCounterMode (see ``set_flops``), GFLOP/s is set against a large matmul
timed in each round, and warm-up is the wall time of a variant's first step. Targets: recur's lstm
and gru >= 1.0x the matching fused layer's chars/s; other cells >= 1.0x nn.GRU's GFLOP/s (equal
FLOPs per character); warm-up <= 20 s.

    python bench/cells.py                          # writes bench/results/cells.json
    python bench/cells.py --quick                  # smoke test, < 1 min, bench/results/cells-quick.json
    python bench/cells.py --cells lstm,gru --batches 32 --rounds 7 --seconds 3
"""

from __future__ import annotations

import argparse
import datetime
import platform
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.flop_counter import FlopCounterMode
from tqdm import tqdm

import recur
from recur import Recurrent
from recur.cells import CELLS
from results_file import add_markdown_option, saved_rows, write_results

VOCAB, EMBEDDING, LAYERS, LR = 65, 64, 2, 2e-3
DEFAULT_CELLS = "lstm,gru,elman,gru-seed,clockwork,depth-gated,layernorm-lstm,esn"
YARDSTICKS = {"nn.LSTM": (nn.LSTM, 4), "nn.GRU": (nn.GRU, 3)}  # layer class, gate blocks G
FUSED_TARGET = {"lstm": "nn.LSTM", "gru": "nn.GRU"}  # cells held to the fused layer's chars/s
SPEED_TARGET, WARMUP_TARGET_S = 1.0, 20.0
PROFILES = {  # --quick is for checking that the script runs, not for numbers
    "full": {"hidden": 512, "seq_len": 64, "seconds": 2.0, "rounds": 5, "matmul": 2048},
    "quick": {"hidden": 64, "seq_len": 16, "seconds": 0.2, "rounds": 2, "matmul": 256},
}
RESULTS = Path(__file__).resolve().parent / "results"


class CharModel(nn.Module):
    """Embedding -> recurrent part -> readout; ``rnn`` is nn.LSTM/nn.GRU or a recur ``Recurrent``."""

    def __init__(self, rnn: nn.Module, hidden: int):
        super().__init__()
        self.embed, self.rnn, self.readout = nn.Embedding(VOCAB, EMBEDDING), rnn, nn.Linear(hidden, VOCAB)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(self.embed(tokens))  # [B, T, H]; both kinds return (output, state)
        return self.readout(out)  # [B, T, V]


@dataclass
class Variant:
    """One model under test at one batch size, with its optimizer, data and measurements."""

    cell: str  # recur cell name, or the yardstick's name
    kind: str  # "recur" (auto), "fused" or "scan" (the one auto passed over), "loop" or "torch"
    executor: str
    model: CharModel
    tokens: torch.Tensor  # [B, T]
    targets: torch.Tensor  # [B, T]
    optimizer: torch.optim.Optimizer = field(init=False)
    warmup_s: float = 0.0
    flops_per_char: float = 0.0
    flops_source: str = "FlopCounterMode"
    chars_per_s: list[float] = field(default_factory=list)  # one per round

    def __post_init__(self):
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=LR)

    @property
    def chars(self) -> int:
        return self.tokens.numel()

    def step(self) -> None:
        """One training step: forward, cross-entropy, backward, Adam step, zero_grad."""
        logits = self.model(self.tokens)
        F.cross_entropy(logits.reshape(-1, VOCAB), self.targets.reshape(-1)).backward()
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)


def make_variants(cells: list[str], batch: int, seq_len: int, hidden: int) -> list[Variant]:
    """The yardsticks, then "recur" (auto), the fused/scan executor auto passed over (for cells with a
    fused kernel) and "loop" for each cell, all on the same random batch."""
    tokens, targets = torch.randint(VOCAB, (batch, seq_len)), torch.randint(VOCAB, (batch, seq_len))

    def variant(cell, kind, executor, rnn):
        return Variant(cell, kind, executor, CharModel(rnn, hidden), tokens, targets)

    variants = [variant(name, "torch", name, layer(EMBEDDING, hidden, LAYERS, batch_first=True))
                for name, (layer, _) in YARDSTICKS.items()]
    for cell in cells:
        auto = Recurrent(cell, EMBEDDING, hidden, LAYERS, executor="auto")
        chosen = auto.chosen_executor(training=True)  # as in a training step: autograd on
        variants.append(variant(cell, "recur", chosen, auto))
        if auto.cells[0].fused_kind is not None:  # time the executor auto passed over too
            other = "scan" if chosen == "fused" else "fused"
            variants.append(variant(cell, other, other, Recurrent(cell, EMBEDDING, hidden, LAYERS, executor=other)))
        variants.append(variant(cell, "loop", "loop", Recurrent(cell, EMBEDDING, hidden, LAYERS, executor="loop")))
    return variants


def analytic_flops_per_char(gates: int, hidden: int) -> float:
    """Matmul FLOPs per character of a fused-layer training step: forward 2*G*H*(D_in + H) per
    layer plus the readout's 2*H*V, times 3 for forward + backward (input and weight gradients)."""
    forward = sum(2 * gates * hidden * ((EMBEDDING if layer == 0 else hidden) + hidden) for layer in range(LAYERS))
    return 3 * (forward + 2 * hidden * VOCAB)


def counted_flops_per_char(variant: Variant) -> float:
    """FLOPs of one full training step as FlopCounterMode sees them, per character."""
    with FlopCounterMode(display=False) as counter:
        variant.step()
    return counter.get_total_flops() / variant.chars


def set_flops(variants: list[Variant], hidden: int) -> dict:
    """Fill ``flops_per_char``: counted on each yardstick (analytic where the count is off by more than
    10 %, e.g. zero), and on each cell's loop variant for both of its variants. Returns the check."""
    check = {}
    for v in variants:
        if v.kind == "torch":
            counted, analytic = counted_flops_per_char(v), analytic_flops_per_char(YARDSTICKS[v.cell][1], hidden)
            check[v.cell] = {"counted": counted, "analytic": analytic, "ratio": counted / analytic}
            trusted = abs(counted / analytic - 1) <= 0.1  # the CPU LSTM kernel is invisible to the counter
            v.flops_per_char = counted if trusted else analytic
            v.flops_source = "FlopCounterMode" if trusted else f"analytic (FlopCounterMode counted {counted:.3g})"
        elif v.kind == "loop":
            v.flops_per_char = counted_flops_per_char(v)
            for same_math in (r for r in variants if r.cell == v.cell and r.kind in ("recur", "scan", "fused")):
                same_math.flops_per_char, same_math.flops_source = v.flops_per_char, "FlopCounterMode (loop)"
    return check


def matmul_gflops(n: int, repeats: int = 3) -> float:
    """Best GFLOP/s of an ``[n, n] @ [n, n]`` fp32 matmul: the machine's practical peak right now."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b  # warm-up
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return 2 * n**3 / best / 1e9


def time_steps(variant: Variant, seconds: float) -> float:
    """chars/s over as many steps as fit in ``seconds`` (at least one)."""
    steps, start = 0, time.perf_counter()
    while steps == 0 or time.perf_counter() - start < seconds:
        variant.step()
        steps += 1
    return steps * variant.chars / (time.perf_counter() - start)


def paired_ratio(rounds: list[float], baseline_rounds: list[float]) -> float:
    """Median over rounds of the per-round ratio: each round times every variant within seconds of
    the others, so a ratio taken inside a round cancels most of the machine's drift."""
    return statistics.median(a / b for a, b in zip(rounds, baseline_rounds))


def summarise(variants: list[Variant], batch: int, peak: float) -> list[dict]:
    """One row per variant: median chars/s, paired ratios to the yardsticks, GFLOP/s and the targets."""
    by_key = {(v.cell, v.kind): v for v in variants}
    gru, lstm = by_key[("nn.GRU", "torch")], by_key[("nn.LSTM", "torch")]
    rows = []
    for v in variants:
        chars_per_s = statistics.median(v.chars_per_s)
        gflops = chars_per_s * v.flops_per_char / 1e9
        x_gru = paired_ratio(v.chars_per_s, gru.chars_per_s)
        row = {"cell": v.cell, "variant": v.kind, "executor": v.executor, "batch": batch,
               "chars_per_s": chars_per_s, "chars_per_s_rounds": v.chars_per_s,
               "x_nn_gru": x_gru, "x_nn_lstm": paired_ratio(v.chars_per_s, lstm.chars_per_s),
               "x_nn_gru_equal_flops": x_gru * v.flops_per_char / gru.flops_per_char,
               "flops_per_char": v.flops_per_char,
               "flops_source": v.flops_source, "gflops": gflops, "peak_fraction": gflops / peak,
               "warmup_s": v.warmup_s, "target": None, "speed_met": None, "warmup_met": None}
        if v.kind == "recur":
            yardstick = FUSED_TARGET.get(v.cell)
            ratio = (row["x_nn_gru_equal_flops"] if yardstick is None
                     else paired_ratio(v.chars_per_s, by_key[(yardstick, "torch")].chars_per_s))
            row["target"] = (f">= {SPEED_TARGET}x {yardstick} chars/s" if yardstick
                             else f">= {SPEED_TARGET}x nn.GRU GFLOP/s")
            row["speed_met"], row["warmup_met"] = ratio >= SPEED_TARGET, v.warmup_s <= WARMUP_TARGET_S
        rows.append(row)
    return rows


def bench_batch(cells: list[str], batch: int, settings: dict, peaks: list[float], bar: tqdm) -> tuple[list, dict]:
    """Warm up and count every variant of one batch size, then time them round-robin."""
    variants = make_variants(cells, batch, settings["seq_len"], settings["hidden"])
    for v in variants:
        start = time.perf_counter()
        v.step()
        v.warmup_s = time.perf_counter() - start
        bar.update()
    check = set_flops(variants, settings["hidden"])
    for round_ in range(settings["rounds"]):
        peaks.append(matmul_gflops(settings["matmul"]))
        shift = round_ % len(variants)  # rotate the order so no variant always runs first
        for v in variants[shift:] + variants[:shift]:
            bar.set_postfix_str(f"batch {batch} round {round_ + 1} {v.cell}/{v.kind}")
            v.chars_per_s.append(time_steps(v, settings["seconds"]))
            bar.update()
    return variants, check


def print_table(rows: list[dict], peak: float, quick: bool) -> None:
    """The results as a fixed-width table on stdout."""
    if quick:
        print("QUICK MODE: tiny sizes, a smoke test of the script, not a measurement")
    print(f"matmul peak {peak:.1f} GFLOP/s, torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"{'cell':<16}{'variant':<8}{'executor':<9}{'B':>3}{'chars/s':>10}{'xGRU':>6}{'xLSTM':>6}{'xGRU@F':>7}"
          f"{'FLOP/char':>10}{'GFLOP/s':>8}{'%peak':>6}{'warm s':>7}  target met")
    for r in rows:
        met = "-" if r["target"] is None else ", ".join(
            f"{what} {'yes' if ok else 'NO'}" for what, ok in (("speed", r["speed_met"]), ("warm-up", r["warmup_met"])))
        mark = "*" if r["flops_source"].startswith("analytic") else " "
        print(f"{r['cell']:<16}{r['variant']:<8}{r['executor']:<9}{r['batch']:>3}{r['chars_per_s']:>10,.0f}"
              f"{r['x_nn_gru']:>6.2f}{r['x_nn_lstm']:>6.2f}{r['x_nn_gru_equal_flops']:>7.2f}"
              f"{r['flops_per_char'] / 1e6:>9.2f}M{mark}{r['gflops']:>7.2f}{100 * r['peak_fraction']:>6.1f}"
              f"{r['warmup_s']:>7.2f}  {met}")
    if any(r["flops_source"].startswith("analytic") for r in rows):
        print("* FlopCounterMode did not count this yardstick's fused kernel; FLOPs/char is the analytic formula")


def markdown_table(rows: list[dict]) -> str:
    """The recur rows (and the executor auto passed over) as the Markdown table in docs/performance.md.
    "× eager loop" and "× auto's pick" are paired per-round ratios against the same cell's loop and
    chosen executor in the same run."""
    by_key = {(r["cell"], r["variant"], r["batch"]): r for r in rows}

    def against(r, variant):
        other = by_key.get((r["cell"], variant, r["batch"]))
        return "" if other is None else f"{paired_ratio(r['chars_per_s_rounds'], other['chars_per_s_rounds']):.2f}"

    header = ["cell", "B", "executor", "chars/s", "× nn.GRU", "× nn.LSTM", "× nn.GRU at equal FLOPs",
              "× eager loop", "× auto's pick", "FLOPs/char", "% of matmul peak", "warm-up s", "target"]
    lines = ["| " + " | ".join(header) + " |",
             "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for r in rows:
        if r["variant"] == "loop":
            continue
        chosen = r["variant"] in ("recur", "torch")
        name = r["cell"] if chosen else f"{r['cell']} ({r['variant']}, not chosen)"
        target = "" if r["target"] is None else ("met" if r["speed_met"] and r["warmup_met"] else "**missed**")
        vs_loop = against(r, "loop") if r["variant"] == "recur" else ""
        vs_pick = "" if chosen else against(r, "recur")
        lines.append(f"| {name} | {r['batch']} | {r['executor']} | {r['chars_per_s']:,.0f} | {r['x_nn_gru']:.2f} "
                     f"| {r['x_nn_lstm']:.2f} | {r['x_nn_gru_equal_flops']:.2f} | {vs_loop} | {vs_pick} "
                     f"| {r['flops_per_char'] / 1e6:.2f}M | {100 * r['peak_fraction']:.0f} | {r['warmup_s']:.2f} "
                     f"| {target} |")
    return "\n".join(lines)


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (or the platform's guess where there is none)."""
    cpuinfo = Path("/proc/cpuinfo")
    lines = cpuinfo.read_text().splitlines() if cpuinfo.exists() else []
    return next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")),
                platform.processor())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cells", default=DEFAULT_CELLS, help="comma-separated recur cell names")
    parser.add_argument("--batches", default="32,4,1", help="comma-separated batch sizes")
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    parser.add_argument("--seconds", type=float, help="timing per variant per round (default 2, quick 0.2)")
    parser.add_argument("--rounds", type=int, help="round-robin rounds; medians over them (default 5, quick 2)")
    parser.add_argument("--quick", action="store_true", help="tiny sizes (hidden 64, sequence 16): smoke test only")
    parser.add_argument("--out", type=Path, help="JSON results (default bench/results/cells.json, "
                                                 "quick: cells-quick.json)")
    add_markdown_option(parser)
    args = parser.parse_args()
    if args.markdown:
        print(markdown_table(saved_rows(args.markdown)))
        return

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    settings = dict(PROFILES["quick" if args.quick else "full"])
    settings.update({k: v for k, v in (("seconds", args.seconds), ("rounds", args.rounds)) if v is not None})
    batches = [int(b) for b in args.batches.split(",")]
    wanted = [c.strip() for c in args.cells.split(",") if c.strip()]
    cells, skipped = [c for c in wanted if c in CELLS], [c for c in wanted if c not in CELLS]
    for cell in skipped:
        print(f"note: cell {cell!r} is not in recur's CELLS yet; skipped", file=sys.stderr)

    variant_count = len(make_variants(cells, 1, settings["seq_len"], settings["hidden"]))
    per_batch = variant_count * (settings["rounds"] + 1)  # warm-up + each round
    measured, checks, peaks = {}, {}, []
    with tqdm(total=per_batch * len(batches), desc="cells", unit="variant", file=sys.stderr) as bar:
        for batch in batches:
            measured[batch], checks[batch] = bench_batch(cells, batch, settings, peaks, bar)
    peak = statistics.median(peaks)  # ratios use the median over every round of every batch size
    rows = [row for batch, variants in measured.items() for row in summarise(variants, batch, peak)]

    print_table(rows, peak, args.quick)
    report = {
        "benchmark": "cells: training chars/s of recur cells against nn.LSTM / nn.GRU",
        "quick": args.quick,
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "torch": torch.__version__, "recur": recur.__version__, "threads": torch.get_num_threads(),
        "cpu": cpu_model(),
        "settings": {**settings, "layers": LAYERS, "embedding": EMBEDDING, "vocab": VOCAB, "batches": batches,
                     "optimizer": "adam", "lr": LR, "cells": cells, "skipped": skipped,
                     "targets": {"speed": SPEED_TARGET, "warmup_s": WARMUP_TARGET_S, "fused": FUSED_TARGET}},
        "matmul_peak_gflops": peak, "matmul_gflops_rounds": peaks,
        "flop_counter_check": checks,  # yardsticks: FlopCounterMode against the analytic formula, per batch
        "rows": rows,
    }
    out = args.out or RESULTS / ("cells-quick.json" if args.quick else "cells.json")
    write_results(report, out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
