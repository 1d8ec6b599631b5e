"""The Neural Turing Machine (Graves, Wayne & Danihelka 2014) and the LSTM it is measured against.

At each step t the controller reads the input and the previous reads, and its output h_t sets
every head's addressing parameters (recur.models.ntm_addressing has the equations):

    h_t, c_t = controller([x_t ; r_{t−1}], c_{t−1})        an LSTM (or any recur cell), or a
                                                            feed-forward layer: h_t = relu(W [x_t ; r_{t−1}] + b)
    k, β, g, s, γ (each head), e, a (write heads) = split(W_h h_t + b_h)
        β = softplus, g = σ, s = softmax over shifts −S … S, γ = 1 + softplus, e = σ, a = tanh
    w_t = address(M_{t−1}, w_{t−1}, k, β, g, s, γ)          every head, on the memory before this step's write
    M_t = write(M_{t−1}, w^write_t, e, a)                   erase then add
    r_t = read(M_t, w^read_t)                               the reads see this step's write
    y_t = W_y [h_t ; r_t] + b_y                             logits of the output bits

The state starts from fixed values, not learned ones: M_0 = ``memory_init`` in every cell (a small
constant: Collier & Beel 2018 found constant initialisation converges about twice as fast as learned
or random memory, and a constant gives content addressing no spurious preference), every head's
w_0 one-hot on slot 0 (so a head that keeps its weighting, g = 0, and shifts starts from a
definite place), r_0 = 0 and the controller's zero state.

``model="lstm"`` is the baseline: the same inputs and outputs through a stacked LSTM (``cell``,
``hidden``, ``layers``), no memory. Shapes: B batch, T time, D input, Y output bits, H controller
units, N×M memory, h heads (read heads first).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn
from torch.nn import functional as F

from recur.cells import build_cell
from recur.checks import check_config
from recur.models.encoder import EncoderConfig
from recur.models.ntm_addressing import address, read, write

CONTROLLERS = ("recurrent", "feedforward")


@dataclass(frozen=True, kw_only=True)
class NTMConfig(EncoderConfig):
    hidden: int = 100
    layers: int = 1
    model: str = field(default="ntm", metadata={
        "choices": ("ntm", "lstm"), "help": "ntm: a controller with an N x M memory; lstm: the baseline, the "
                                            "recurrent cell alone (--cell, --hidden, --layers)"})
    controller: str = field(default="recurrent", metadata={
        "choices": CONTROLLERS, "help": "the NTM's controller: the recurrent --cell, or one feed-forward layer"})
    memory_slots: int = field(default=128, metadata={"help": "N, memory rows", "at_least": 1, "at_most": 100_000})
    memory_width: int = field(default=20, metadata={"help": "M, values per memory row", "at_least": 1,
                                                    "at_most": 10_000})
    read_heads: int = field(default=1, metadata={"at_least": 1, "at_most": 64})
    write_heads: int = field(default=1, metadata={"at_least": 1, "at_most": 64})
    shift_range: int = field(default=1, metadata={"help": "S: a head moves by -S ... S slots per step",
                                                  "at_least": 0})
    memory_init: float = field(default=1e-6, metadata={"help": "the value of every memory cell at the start",
                                                       "at_least": -1, "at_most": 1})
    input_size: int = field(default=9, metadata={"flag": False, "at_least": 1})  # set by the task
    output_size: int = field(default=8, metadata={"flag": False, "at_least": 1})

    def __post_init__(self):
        super().__post_init__()
        check_config(self)


@dataclass
class NTMState:
    """Everything carried from one step to the next."""
    controller: tuple  # one cell state per layer (empty for a feed-forward controller)
    memory: torch.Tensor  # [B, N, M]
    reads: torch.Tensor  # r, [B, read heads, M]
    weightings: torch.Tensor  # w, [B, heads, N], read heads first


class NeuralTuringMachine(nn.Module):
    """forward(x [B, T, D]) -> (logits [B, T, Y], weightings [B, T, heads, N])."""

    def __init__(self, config: NTMConfig):
        super().__init__()
        self.config = c = config
        self.heads = c.read_heads + c.write_heads
        width = c.input_size + c.read_heads * c.memory_width
        if c.controller == "feedforward":
            self.cells = nn.ModuleList()
            self.feedforward = nn.Linear(width, c.hidden)
        else:
            self.cells = nn.ModuleList(build_cell(c.cell, width if i == 0 else c.hidden, c.hidden, **c.cell_options)
                                       for i in range(c.layers))
        shifts = 2 * c.shift_range + 1
        # per head: key M, β, g, s (2S+1), γ; per write head also erase M and add M
        self.address_sizes = [c.memory_width, 1, 1, shifts, 1]
        self.head_params = nn.Linear(c.hidden, self.heads * sum(self.address_sizes)
                                     + c.write_heads * 2 * c.memory_width)
        self.out = nn.Linear(c.hidden + c.read_heads * c.memory_width, c.output_size)

    def initial_state(self, batch: int, like: torch.Tensor) -> NTMState:
        c = self.config
        weightings = like.new_zeros(batch, self.heads, c.memory_slots)
        weightings[..., 0] = 1
        return NTMState(tuple(cell.init_state(batch, like) for cell in self.cells),
                        like.new_full((batch, c.memory_slots, c.memory_width), c.memory_init),
                        like.new_zeros(batch, c.read_heads, c.memory_width), weightings)

    def controller_step(self, x: torch.Tensor, state: NTMState) -> tuple[torch.Tensor, tuple]:
        inputs = torch.cat([x, state.reads.flatten(1)], dim=-1)  # [B, D + R*M]
        if not self.cells:
            return F.relu(self.feedforward(inputs)), ()
        states = []
        for cell, cell_state in zip(self.cells, state.controller):
            inputs, cell_state = cell(inputs, cell_state)
            states.append(cell_state)
        return inputs, tuple(states)

    def step(self, x: torch.Tensor, state: NTMState) -> tuple[torch.Tensor, NTMState]:
        """One step: ``x [B, D]`` -> (logits ``[B, Y]``, the new state)."""
        c, batch = self.config, x.shape[0]
        h, controller = self.controller_step(x, state)
        params = self.head_params(h)
        addressing = params[:, : self.heads * sum(self.address_sizes)].view(batch, self.heads, -1)  # [B, heads, P]
        key, beta, gate, kernel, gamma = addressing.split(self.address_sizes, dim=-1)
        erase, add = params[:, self.heads * sum(self.address_sizes):].view(batch, c.write_heads, 2, c.memory_width) \
            .unbind(2)  # [B, write heads, M] each
        weightings = address(state.memory, state.weightings, key, F.softplus(beta), torch.sigmoid(gate),
                             torch.softmax(kernel, dim=-1), 1 + F.softplus(gamma))
        memory = write(state.memory, weightings[:, c.read_heads:], torch.sigmoid(erase), torch.tanh(add))
        reads = read(memory, weightings[:, : c.read_heads])
        logits = self.out(torch.cat([h, reads.flatten(1)], dim=-1))
        return logits, NTMState(controller, memory, reads, weightings)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        state = self.initial_state(x.shape[0], x)
        outputs, weightings = [], []
        for t in range(x.shape[1]):
            logits, state = self.step(x[:, t], state)
            outputs.append(logits)
            weightings.append(state.weightings)
        return torch.stack(outputs, dim=1), torch.stack(weightings, dim=1)


class LSTMBaseline(nn.Module):
    """forward(x [B, T, D]) -> (logits [B, T, Y], None): the recurrent encoder and a linear read-out."""

    def __init__(self, config: NTMConfig):
        super().__init__()
        self.config = config
        self.rnn = config.build_encoder(config.input_size)
        self.out = nn.Linear(config.hidden, config.output_size)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, None]:
        outputs, _ = self.rnn(x)
        return self.out(outputs), None


MODELS = {"ntm": NeuralTuringMachine, "lstm": LSTMBaseline}


def build_memory_model(config: NTMConfig) -> nn.Module:
    """The model ``config.model`` names (the config's choices refuse any other)."""
    return MODELS[config.model](config)
