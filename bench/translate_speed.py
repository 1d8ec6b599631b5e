"""Training speed of recur's encoder-decoder against the one a PyTorch user writes by hand, in one run.

The plain model is the tutorial shape (bentrevett/pytorch-seq2seq's attention notebook, at recur's
sizes): ``nn.Embedding``, a bidirectional ``nn.GRU`` encoder, a ``tanh(Linear)`` bridge, and a
decoder stepping ``nn.GRUCell`` on ``[E y ; c]`` with additive attention, then ``tanh(W_c [s ; c])``
and the read-out: the same equations and the same number of parameters as
``recur train translate``'s default model (checked). Both train on the same real Multi30k batches
(De→En, length-pooled as the task makes them) with Adam; each repetition times one step of each,
alternating, so the machine's noise falls on both. Reported: target tokens per second and recur's
ratio to plain PyTorch (median over repetitions), at each thread count.

    RECUR_DATA=../shared/data python bench/translate_speed.py          # bench/results/translate_speed.json
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from recur.data.subwords import PAD
from recur.machine import machine_info
from recur.tasks import translate
from results_file import write_results

RESULTS = Path(__file__).resolve().parent / "results"


class PlainSeq2Seq(nn.Module):
    """Bahdanau attention as a PyTorch user writes it: ``nn.GRU`` encoder, ``nn.GRUCell`` decoder."""

    def __init__(self, source_vocab: int, target_vocab: int, embedding: int, hidden: int, dropout: float):
        super().__init__()
        self.source_embedding = nn.Embedding(source_vocab, embedding, padding_idx=PAD)
        self.target_embedding = nn.Embedding(target_vocab, embedding, padding_idx=PAD)
        self.encoder = nn.GRU(embedding, hidden, batch_first=True, bidirectional=True)
        self.bridge = nn.Linear(2 * hidden, hidden)
        self.decoder = nn.GRUCell(embedding + 2 * hidden, hidden)
        self.query = nn.Linear(hidden, hidden, bias=False)
        self.key = nn.Linear(2 * hidden, hidden)
        self.v = nn.Linear(hidden, 1, bias=False)
        self.combine = nn.Linear(3 * hidden, hidden, bias=False)
        self.readout = nn.Linear(hidden, target_vocab)
        self.drop = nn.Dropout(dropout)

    def forward(self, source, lengths, target_in):
        packed = nn.utils.rnn.pack_padded_sequence(self.drop(self.source_embedding(source)), lengths,
                                                   batch_first=True, enforce_sorted=False)
        keys, final = self.encoder(packed)
        keys, _ = nn.utils.rnn.pad_packed_sequence(keys, batch_first=True, total_length=source.shape[1])
        s = torch.tanh(self.bridge(torch.cat([final[0], final[1]], dim=-1)))
        mask = source != PAD
        prepared = self.key(keys)
        outputs = []
        for t in range(target_in.shape[1]):
            scores = self.v(torch.tanh(self.query(s)[:, None] + prepared)).squeeze(-1)
            weights = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=-1)
            context = torch.bmm(weights[:, None], keys)[:, 0]
            s = self.decoder(torch.cat([self.drop(self.target_embedding(target_in[:, t])), context], -1), s)
            outputs.append(torch.tanh(self.combine(torch.cat([s, context], -1))))
        return self.readout(self.drop(torch.stack(outputs, 1)))


def plain_loss(model, batch) -> torch.Tensor:
    logits = model(batch.source, batch.lengths, batch.target_in)
    return F.cross_entropy(logits.flatten(0, 1), batch.target_out.flatten(), ignore_index=PAD)


def recur_loss(model, batch) -> torch.Tensor:
    total, count = model.loss(batch.source, batch.lengths, batch.target_in, batch.target_out)
    return total / count


def timed_step(model, optimizer, loss_of, batch) -> float:
    started = time.perf_counter()
    loss = loss_of(model, batch)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return time.perf_counter() - started


def measure(threads: int, repetitions: int, warmup: int) -> dict:
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    task = translate.new_task(None, {}, {})
    config = task.model_config
    plain = PlainSeq2Seq(config.source_vocab, config.target_vocab, config.embedding, config.hidden, config.dropout)
    models = {"recur": (task.model, recur_loss), "plain PyTorch": (plain, plain_loss)}
    counts = {name: sum(p.numel() for p in model.parameters()) for name, (model, _) in models.items()}
    if len(set(counts.values())) != 1:
        raise SystemExit(f"the two models differ in size: {counts}")
    optimizers = {name: torch.optim.Adam(model.parameters(), lr=1e-3) for name, (model, _) in models.items()}
    batches = task.epoch_batches()
    seconds = {name: [] for name in models}
    tokens = []
    for i in range(warmup + repetitions):
        rows = batches[i % len(batches)]
        batch = translate.make_batch([task.sources[r] for r in rows], [task.targets[r] for r in rows], False)
        for name, (model, loss_of) in (models.items() if i % 2 else reversed(models.items())):
            model.train()
            elapsed = timed_step(model, optimizers[name], loss_of, batch)
            if i >= warmup:
                seconds[name].append(elapsed)
        if i >= warmup:
            tokens.append(int((batch.target_out != PAD).sum()))
    per_step = {name: [t / s for t, s in zip(tokens, times)] for name, times in seconds.items()}
    ratios = [r / p for r, p in zip(per_step["recur"], per_step["plain PyTorch"])]
    return {"threads": threads, "parameters": counts["recur"], "repetitions": repetitions,
            "tokens_per_second": {name: statistics.median(v) for name, v in per_step.items()},
            "recur_over_plain": statistics.median(ratios),
            "ratio_quartiles": statistics.quantiles(ratios, n=4) if len(ratios) > 1 else ratios}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repetitions", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--out", type=Path, default=RESULTS / "translate_speed.json")
    args = parser.parse_args()
    rows = [measure(threads, args.repetitions, args.warmup) for threads in args.threads]
    write_results({"machine": machine_info(), "rows": rows}, args.out)
    for row in rows:
        speeds = ", ".join(f"{name} {v:,.0f}" for name, v in row["tokens_per_second"].items())
        print(f"{row['threads']} thread(s): tokens/s {speeds}; recur / plain = {row['recur_over_plain']:.2f}")


if __name__ == "__main__":
    main()
