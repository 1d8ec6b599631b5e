"""Polyphonic music models: a recurrent network over time steps of a piano roll, predicting the
notes of the next step from those of every step before it.

    h_t = Recurrent(v_1 … v_t)            v_t ∈ {0,1}^88, the keys sounding at step t
    p(v_{t+1} | v_≤t) = output(h_t)

Two outputs (``--output``):

* ``bernoulli``: 88 independent notes, ``p(v_{t+1,i} = 1) = σ(W h_t + b)_i`` (the output layer of
  Boulanger-Lewandowski et al. 2012's RNN baseline and of Bai et al. 2018's LSTM and TCN).
* ``nade``: the notes of one step jointly, autoregressively over pitch from the lowest key up, with
  a NADE (Larochelle & Murray 2011) whose biases the RNN sets at every step: the RNN-NADE of
  Boulanger-Lewandowski, Bengio & Vincent, "Modeling Temporal Dependencies in High-Dimensional
  Sequences", ICML 2012, section 4:

      b^(t) = b + W_b h_t,   c^(t) = c + W_c h_t
      a_i = c^(t) + Σ_{j<i} W_{:,j} v_j,       g_i = σ(a_i)
      p(v_i = 1 | v_<i) = σ(b^(t)_i + V_i · g_i)

  (their RNN feeds ``v_t`` alone; here it is any recur cell). Training sums ``−log p`` over the
  88 keys, computing every ``a_i`` at once (one product with a strictly lower-triangular mask).

The loss of a step is the negative log-likelihood summed over the 88 keys (nats); a piece's first
step has no prediction (the field's convention; ``recur.tasks.music``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn
from torch.nn import functional as F

from recur.models.encoder import EncoderConfig

OUTPUTS = ("bernoulli", "nade")
KEYS = 88


@dataclass(frozen=True, kw_only=True)
class PolyphonicConfig(EncoderConfig):
    hidden: int = 256
    layers: int = 1
    output: str = field(default="bernoulli", metadata={
        "choices": OUTPUTS, "help": "bernoulli: 88 independent notes; nade: the notes of a step jointly, "
                                    "low to high (RNN-NADE, Boulanger-Lewandowski et al. 2012)"})
    nade_hidden: int = field(default=150, metadata={"help": "units of the NADE (--output nade)", "at_least": 1})
    input_dropout: float = field(default=0.0, metadata={"help": "dropout on the notes read at each step",
                                                        "at_least": 0, "below": 1})


class PolyphonicRNN(nn.Module):
    """``forward(rolls [B, T, 88]) -> h [B, T, H]`` (the state after reading steps 1..t);
    ``step_nll(h, next_notes)`` the NLL of each next step; ``sample_step`` draws one."""

    def __init__(self, config: PolyphonicConfig):
        super().__init__()
        self.config = config
        self.rnn = config.build_encoder(KEYS)
        self.input_drop = nn.Dropout(config.input_dropout)
        self.drop = nn.Dropout(config.dropout)
        if config.output == "bernoulli":
            self.out = nn.Linear(self.rnn.output_size, KEYS)
        else:
            n = config.nade_hidden
            self.out = nn.Linear(self.rnn.output_size, KEYS + n)  # [W_b; W_c] h_t + [b; c]
            self.nade_in = nn.Parameter(torch.randn(n, KEYS) * 0.01)  # W: note j into the NADE's units
            self.nade_out = nn.Parameter(torch.randn(KEYS, n) * 0.01)  # V: units into note i's logit
            # row i keeps the keys j < i: a product with it sums what the keys below each key add
            self.register_buffer("strictly_below", torch.tril(torch.ones(KEYS, KEYS), -1), persistent=False)

    def forward(self, rolls: torch.Tensor, state=None):
        """``(h [B, T, H], state)`` after reading ``rolls``; ``state`` carries on from an earlier call."""
        out, state = self.rnn(self.input_drop(rolls), state)
        return self.drop(out), state

    def step_nll(self, h: torch.Tensor, notes: torch.Tensor) -> torch.Tensor:
        """``−log p(notes | h)`` summed over the 88 keys: ``[...]`` for ``h [..., H]``, ``notes [..., 88]``."""
        if self.config.output == "bernoulli":
            return F.binary_cross_entropy_with_logits(self.out(h), notes, reduction="none").sum(-1)
        return F.binary_cross_entropy_with_logits(self.nade_logits(h, notes), notes, reduction="none").sum(-1)

    def nade_logits(self, h: torch.Tensor, notes: torch.Tensor) -> torch.Tensor:
        """Each key's logit given the keys below it: ``b_i + V_i · σ(c + Σ_{j<i} W_{:,j} v_j)``."""
        b, c = self.out(h).split([KEYS, self.config.nade_hidden], dim=-1)
        below = (notes.unsqueeze(-2) * self.strictly_below) @ self.nade_in.t()  # [..., 88, n]: Σ_{j<i} W_{:,j} v_j
        g = torch.sigmoid(c.unsqueeze(-2) + below)
        return b + torch.einsum("...ik,ik->...i", g, self.nade_out)

    @torch.no_grad()
    def sample_step(self, h: torch.Tensor, temperature: float, generator: torch.Generator | None) -> torch.Tensor:
        """Notes ``[B, 88]`` drawn from ``p(· | h [B, H])``, logits divided by ``temperature``
        (0: the likelier value of each key, in turn)."""
        def draw(logits):
            if temperature <= 0:
                return (logits > 0).to(h.dtype)
            p = torch.sigmoid(logits / temperature)
            return (torch.rand(p.shape, generator=generator, device=p.device, dtype=p.dtype) < p).to(h.dtype)

        if self.config.output == "bernoulli":
            return draw(self.out(h))
        b, a = self.out(h).split([KEYS, self.config.nade_hidden], dim=-1)
        notes = h.new_zeros(len(h), KEYS)
        for i in range(KEYS):
            logit = b[:, i] + torch.sigmoid(a) @ self.nade_out[i]
            notes[:, i] = draw(logit)
            a = a + notes[:, i : i + 1] * self.nade_in[:, i]
        return notes
