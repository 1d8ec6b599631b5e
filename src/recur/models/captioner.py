"""Image captioning with visual attention (Xu et al. 2015, "Show, Attend and Tell"): a small
convolutional network, trained from scratch, turns the image into a grid of feature vectors, and the
attentive decoder (``recur.models.attentive_decoder``, shared with translation) writes the caption,
looking at a different part of the grid for each word.

Encoder, for a strip x [H, W] (``recur.data.digit_strips``: 12 × 64):

    X = [x ; i/H ; j/W]                                   the pixel and its row and column (CoordConv,
                                                          Liu et al. 2018), so a feature knows where it is
    a = f3(f2(maxpool2(f1(X))))     f_k(X) = relu(BN(conv3×3_k(X))); a [C, H/2, W/2]
                                    (batch normalisation, Ioffe & Szegedy 2015: without it the decoder
                                    sat for thousands of steps at the captions' prior, not looking)
    annotations a_1..a_L: the L = H/2 · W/2 grid cells, each C features, cell (r, c) covering image
    rows 2r, 2r+1 and columns 2c, 2c+1
    s_0 = tanh(W_b ā)  for each layer (h, and c for LSTMs), ā the mean annotation (Xu et al. §4.2.1)

Decoder: attention over the annotations, as ``attention`` says (bahdanau is Xu et al.'s soft
attention: z_t = Attend(s_{t-1}, a), the LSTM reads [E y_{t-1} ; z_t]); the read-out is the shared
one, softmax(W_o tanh(W_c [s_t ; z_t])), where Xu et al. use a deep output over E y_{t-1}, s_t and
z_t. ``blind`` zeroes the image before the encoder: the decoder then learns the captions'
distribution alone, the floor any model that looks has to beat.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from recur.cells import CELLS
from recur.checks import check_config
from recur.models.attentive_decoder import (AttentiveDecoder, DecoderConfig, DecoderState, SourceMemory,
                                            summed_loss)

POOL = 2  # the grid's cells per image pixel, each way


@dataclass(frozen=True, kw_only=True)
class CaptionerConfig(DecoderConfig):
    target_vocab: int = field(default=31, metadata={"flag": False, "at_least": 5})
    cell: str = field(default="lstm", metadata={"choices": tuple(CELLS), "help": "the decoder's recurrent cell"})
    hidden: int = field(default=128, metadata={"help": "the decoder's units per layer (H)", "at_least": 1})
    layers: int = field(default=1, metadata={"help": "the decoder's stacked layers", "at_least": 1})
    dropout: float = field(default=0.1, metadata={"help": "dropout on word embeddings, between layers and "
                                                          "before the read-out", "at_least": 0, "below": 1})
    embedding: int = field(default=64, metadata={"help": "word-embedding size", "at_least": 1})
    channels: int = field(default=64, metadata={"help": "features per grid cell (C): the convolutions' width",
                                                "at_least": 2})
    blind: bool = field(default=False, metadata={"help": "zero the image: a caption language model, the floor"})

    def __post_init__(self):
        check_config(self)
        super().__post_init__()

    @property
    def key_size(self) -> int:
        return self.channels


def coordinates(images: torch.Tensor) -> torch.Tensor:
    """``[B, 3, H, W]``: each pixel, its row i/H and its column j/W."""
    B, H, W = images.shape
    rows = torch.arange(H, dtype=images.dtype, device=images.device)[:, None].expand(H, W) / H
    cols = torch.arange(W, dtype=images.dtype, device=images.device)[None, :].expand(H, W) / W
    return torch.stack([images, rows.expand(B, H, W), cols.expand(B, H, W)], dim=1)


def convolution(inputs: int, outputs: int) -> tuple[nn.Module, ...]:
    """A 3 × 3 convolution (same size), batch normalisation, ReLU."""
    return nn.Conv2d(inputs, outputs, 3, padding=1), nn.BatchNorm2d(outputs), nn.ReLU()


class Captioner(AttentiveDecoder):
    def __init__(self, config: CaptionerConfig):
        super().__init__()
        C = config.channels
        self.cnn = nn.Sequential(
            *convolution(3, C // 2), nn.MaxPool2d(POOL), *convolution(C // 2, C), *convolution(C, C))
        self.build_decoder(config, summary_size=C)

    def grid(self, images: torch.Tensor) -> torch.Tensor:
        """``images [B, H, W]`` -> the annotations ``[B, H/2 · W/2, C]``, row by row."""
        images = images.to(self.cnn[0].weight.dtype)  # the weights' precision (float64 in the equivalence tests)
        if self.config.blind:
            images = torch.zeros_like(images)
        return self.cnn(coordinates(images)).flatten(2).transpose(1, 2)

    def encode(self, images: torch.Tensor) -> tuple[SourceMemory, DecoderState]:
        keys = self.grid(images)
        mask = torch.ones(keys.shape[:2], dtype=torch.bool, device=keys.device)
        summary = keys.mean(1)[None].expand(self.config.layers, -1, -1)  # ā per layer [layers, B, C]
        return self.memory(keys, mask), self.bridged_state({"h": summary, "c": summary}, keys.shape[0], keys)

    def forward(self, images: torch.Tensor, target_in: torch.Tensor) -> torch.Tensor:
        """Teacher forcing: logits ``[B, T, V]`` of each next caption word given ``target_in [B, T]``."""
        memory, state = self.encode(images)
        return self.teacher_forced(memory, state, target_in)

    def loss(self, images, target_in, target_out) -> tuple[torch.Tensor, int]:
        """``(summed cross-entropy over the caption words, their number)``."""
        return summed_loss(self(images, target_in), target_out)

    def cell_columns(self, width: int) -> int:
        """The grid's columns for an image ``width`` pixels wide."""
        return width // POOL
