"""The yardstick: a plain PyTorch character-level LSTM training loop, written as a PyTorch user
would write it, with no code from recur (it imports only torch).

Model: nn.Embedding(V, 64) -> nn.LSTM(64, H, num_layers=2, batch_first=True) -> nn.Linear(H, V).
Training: Adam at a constant lr 2e-3, batch 32, sequence 64, clip_grad_norm_ 5, truncated BPTT
over 32 contiguous rows of the training split, the hidden state carried from one chunk to the
next and detached (reset to zero at the start of each epoch). Data: Tiny Shakespeare, train =
text[:int(n*0.9)], val = the rest, vocabulary = sorted(set(text)).

It trains for ``seconds`` of wall clock (the training loop only; the final evaluation is not
counted) and reports the mean validation loss in nats/char over the whole validation split
(32 contiguous rows, chunks of 256, state carried), training chars/s and steps.

    python bench/charlm_baseline.py --seconds 300          # bundled Tiny Shakespeare
    python bench/charlm_baseline.py --seconds 60 --text input.txt --hidden 128
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

BATCH, SEQ_LEN, EMBEDDING, LAYERS, LR, CLIP = 32, 64, 64, 2, 2e-3, 5.0
EVAL_BATCH, EVAL_SEQ_LEN = 32, 256
DEFAULT_TEXT = Path(__file__).resolve().parents[1] / "src" / "recur" / "assets" / "tinyshakespeare" / "input.txt"


class CharLSTM(nn.Module):
    def __init__(self, vocab_size: int, hidden: int):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, EMBEDDING)
        self.lstm = nn.LSTM(EMBEDDING, hidden, num_layers=LAYERS, batch_first=True)
        self.head = nn.Linear(hidden, vocab_size)

    def forward(self, x, state=None):
        out, state = self.lstm(self.embed(x), state)
        return self.head(out), state


def rows(ids: torch.Tensor, batch: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs and next-character targets as ``batch`` contiguous rows, [batch, row_len] each."""
    n = (len(ids) - 1) // batch
    return ids[: batch * n].view(batch, n), ids[1 : batch * n + 1].view(batch, n)


@torch.no_grad()
def evaluate(model: CharLSTM, ids: torch.Tensor) -> float:
    """Mean cross-entropy (nats/char) over all of ``ids``, state carried along each row."""
    model.eval()
    x, y = rows(ids, EVAL_BATCH)
    total, count, state = 0.0, 0, None
    for start in range(0, x.shape[1], EVAL_SEQ_LEN):
        logits, state = model(x[:, start : start + EVAL_SEQ_LEN], state)
        target = y[:, start : start + EVAL_SEQ_LEN]
        total += F.cross_entropy(logits.flatten(0, 1), target.flatten(), reduction="sum").item()
        count += target.numel()
    model.train()
    return total / count


def train_baseline(text: str, seconds: float, hidden: int = 256, seed: int = 1234) -> dict:
    torch.manual_seed(seed)
    chars = sorted(set(text))
    index = {c: i for i, c in enumerate(chars)}
    ids = torch.tensor([index[c] for c in text], dtype=torch.long)
    cut = int(len(ids) * 0.9)
    x, y = rows(ids[:cut], BATCH)
    chunks = x.shape[1] // SEQ_LEN

    model = CharLSTM(len(chars), hidden)
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    model.train()
    steps, k, state = 0, 0, None
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        if k == chunks:  # new epoch: start again from the top with a fresh state
            k, state = 0, None
        cols = slice(k * SEQ_LEN, (k + 1) * SEQ_LEN)
        logits, state = model(x[:, cols], state)
        state = tuple(s.detach() for s in state)
        loss = F.cross_entropy(logits.flatten(0, 1), y[:, cols].flatten())
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), CLIP)
        optimizer.step()
        steps, k = steps + 1, k + 1
    train_seconds = time.perf_counter() - start

    return {"val_loss": evaluate(model, ids[cut:]), "chars_per_s": steps * BATCH * SEQ_LEN / train_seconds,
            "steps": steps, "train_seconds": train_seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=300.0, help="training wall-clock budget")
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--text", type=Path, default=DEFAULT_TEXT, help="training text (default: Tiny Shakespeare)")
    args = parser.parse_args()
    text = args.text.read_text(encoding="utf-8")
    result = train_baseline(text, args.seconds, args.hidden, args.seed)
    print(json.dumps({**result, "hidden": args.hidden, "threads": torch.get_num_threads(),
                      "torch": torch.__version__}, indent=2))


if __name__ == "__main__":
    main()
