"""Glass-box reference: pure-NumPy forward passes and hand-written BPTT.

Elman, LSTM and GRU cells share one softmax read-out (α_t = a + V h_t,
y_t = softmax(α_t), L = -Σ_t log y_t[target_t]). Weight names and layouts
match PyTorch's single-layer nn.RNN / nn.LSTM / nn.GRU, so the same arrays
can be copied in either direction. Clarity over speed: use these as a test
oracle and a teaching aid, not for training.
"""

from .elman import ElmanCache, elman_backward, elman_bptt, elman_forward
from .gru import GRUCache, gru_backward, gru_bptt, gru_forward
from .lstm import LSTMCache, lstm_backward, lstm_bptt, lstm_forward, sigmoid
from .softmax_readout import (
    ReadoutCache,
    cross_entropy,
    one_hot,
    readout_backward,
    readout_forward,
    readout_loss_and_grads,
    softmax,
)

__all__ = [
    "ElmanCache",
    "GRUCache",
    "LSTMCache",
    "ReadoutCache",
    "cross_entropy",
    "elman_backward",
    "elman_bptt",
    "elman_forward",
    "gru_backward",
    "gru_bptt",
    "gru_forward",
    "lstm_backward",
    "lstm_bptt",
    "lstm_forward",
    "one_hot",
    "readout_backward",
    "readout_forward",
    "readout_loss_and_grads",
    "sigmoid",
    "softmax",
]
