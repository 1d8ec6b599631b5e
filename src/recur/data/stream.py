"""Contiguous batches for truncated backpropagation through time.

The id sequence is cut into B parallel rows, each a contiguous stretch of the text, so that the
hidden state at the end of chunk k is the right starting state for chunk k+1 of the same row:

    inputs  = ids[0 : B*L]    viewed as [B, L]
    targets = ids[1 : B*L+1]  viewed as [B, L]     (the next character)

and chunk k is columns ``k*T : (k+1)*T``.
"""

from __future__ import annotations

import torch

from recur.errors import RecurError


class TextStream:
    def __init__(self, ids: torch.Tensor, batch_size: int, seq_len: int, what: str = "text"):
        if batch_size <= 0 or seq_len <= 0:
            raise RecurError(f"batch size and sequence length must be positive, got {batch_size} and {seq_len}")
        row = (len(ids) - 1) // batch_size
        if row < seq_len:
            raise RecurError(
                f"{what} is too short: {len(ids)} tokens do not fill {batch_size} rows of {seq_len}; "
                "use a smaller batch size or sequence length"
            )
        self.batch_size, self.seq_len = batch_size, seq_len
        self.inputs = ids[: batch_size * row].view(batch_size, row)  # [B, L]
        self.targets = ids[1 : batch_size * row + 1].view(batch_size, row)  # [B, L]

    def __len__(self) -> int:
        """Full chunks of ``seq_len`` (the ragged tail is not used for training)."""
        return self.inputs.shape[1] // self.seq_len

    def chunk(self, k: int) -> tuple[torch.Tensor, torch.Tensor]:
        cols = slice(k * self.seq_len, (k + 1) * self.seq_len)
        return self.inputs[:, cols], self.targets[:, cols]

    def all_chunks(self):
        """Every chunk in order including the shorter tail: for evaluation, which must see it all."""
        for start in range(0, self.inputs.shape[1], self.seq_len):
            cols = slice(start, start + self.seq_len)
            yield self.inputs[:, cols], self.targets[:, cols]
