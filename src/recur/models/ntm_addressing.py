"""The Neural Turing Machine's addressing, reading and writing (Graves, Wayne & Danihelka 2014, §3),
each step a pure function of tensors.

A head turns the memory ``M [B, N, M]`` (N slots of width M) and its previous weighting
``w_{t-1} [..., N]`` into a new weighting in four steps, then reads or writes with it:

    content    w^c_t(i) = exp(β_t K(k_t, M_t(i))) / Σ_j exp(β_t K(k_t, M_t(j)))      (eq. 5)
    gate       w^g_t    = g_t w^c_t + (1 − g_t) w_{t−1}                             (eq. 7)
    shift      w~_t(i)  = Σ_j w^g_t(j) s_t(i − j)      (indices modulo N)            (eq. 8)
    sharpen    w_t(i)   = w~_t(i)^γ_t / Σ_j w~_t(j)^γ_t                             (eq. 9)
    read       r_t      = Σ_i w_t(i) M_t(i)                                          (eq. 2)
    erase      M~_t(i)  = M_{t−1}(i) [1 − w_t(i) e_t]                                (eq. 3)
    add        M_t(i)   = M~_t(i) + w_t(i) a_t                                       (eq. 4)

with K(u, v) = u·v / (‖u‖ ‖v‖) (eq. 6). Leading dimensions are free: a batch of heads is
``[B, heads, ...]`` and each function works over the last one or two.
"""

from __future__ import annotations

import torch

EPS = 1e-8  # keeps a norm or a weight away from zero; far below any value a trained head uses


def cosine_similarity(keys: torch.Tensor, memory: torch.Tensor) -> torch.Tensor:
    """K(k, M(i)) = k·M(i) / (‖k‖ ‖M(i)‖) (eq. 6): ``keys [B, h, M]``, ``memory [B, N, M]`` →
    ``[B, h, N]``. The product of the norms is kept above EPS, so an all-zero row scores 0."""
    dots = keys @ memory.transpose(1, 2)  # [B, h, M] @ [B, M, N] -> [B, h, N]
    norms = keys.norm(dim=-1, keepdim=True) * memory.norm(dim=-1).unsqueeze(1)  # [B, h, 1] * [B, 1, N]
    return dots / norms.clamp_min(EPS)


def content_weighting(keys: torch.Tensor, strength: torch.Tensor, memory: torch.Tensor) -> torch.Tensor:
    """w^c(i) = softmax_i(β K(k, M(i))) (eq. 5): ``keys [B, h, M]``, ``strength`` β ``[B, h, 1]``
    (≥ 0: the larger, the sharper the focus on the most similar slot) → ``[B, h, N]``."""
    return torch.softmax(strength * cosine_similarity(keys, memory), dim=-1)


def interpolate(content: torch.Tensor, previous: torch.Tensor, gate: torch.Tensor) -> torch.Tensor:
    """w^g = g w^c + (1 − g) w_{t−1} (eq. 7): g = 1 addresses by content alone, g = 0 keeps the
    previous weighting (to move it by a shift: location-based addressing). ``gate [..., 1]``."""
    return gate * content + (1 - gate) * previous


def shift(weighting: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """w~(i) = Σ_j w(j) s(i − j), indices modulo N (eq. 8): a circular convolution.
    ``kernel [..., 2S+1]`` holds the weights of the shifts −S … S (a softmax output); a kernel that
    is all on +1 moves every weight one slot forward: w~(i) = w(i − 1)."""
    reach = (kernel.shape[-1] - 1) // 2
    # torch.roll(w, o)[i] = w[i - o]: the weighting moved by o slots, each weighted by s(o)
    return sum(kernel[..., o + reach, None] * torch.roll(weighting, o, dims=-1) for o in range(-reach, reach + 1))


def sharpen(weighting: torch.Tensor, gamma: torch.Tensor) -> torch.Tensor:
    """w(i) = w~(i)^γ / Σ_j w~(j)^γ (eq. 9), γ ≥ 1 undoes the blur a fractional shift leaves;
    computed as softmax(γ log w~), which stays exact as γ grows (γ → ∞ gives the arg-max) and has
    no 0^γ to differentiate. ``gamma [..., 1]``."""
    return torch.softmax(gamma * weighting.clamp_min(EPS).log(), dim=-1)


def address(memory: torch.Tensor, previous: torch.Tensor, keys: torch.Tensor, strength: torch.Tensor,
            gate: torch.Tensor, kernel: torch.Tensor, gamma: torch.Tensor) -> torch.Tensor:
    """The four steps of Figure 2 in order: content, gate, shift, sharpen. ``previous [B, h, N]``."""
    return sharpen(shift(interpolate(content_weighting(keys, strength, memory), previous, gate), kernel), gamma)


def read(memory: torch.Tensor, weighting: torch.Tensor) -> torch.Tensor:
    """r = Σ_i w(i) M(i) (eq. 2): ``memory [B, N, M]``, ``weighting [B, h, N]`` → ``[B, h, M]``."""
    return weighting @ memory


def write(memory: torch.Tensor, weighting: torch.Tensor, erase: torch.Tensor, add: torch.Tensor) -> torch.Tensor:
    """M~(i) = M(i) Π_h [1 − w_h(i) e_h], then M(i) = M~(i) + Σ_h w_h(i) a_h (eqs. 3, 4: every head
    erases, then every head adds, so the order of the heads does not matter). ``weighting [B, h, N]``,
    ``erase`` (in [0, 1]) and ``add`` ``[B, h, M]``."""
    kept = (1 - weighting.unsqueeze(-1) * erase.unsqueeze(2)).prod(dim=1)  # [B, h, N, M] -> [B, N, M]
    return memory * kept + weighting.transpose(1, 2) @ add  # [B, N, h] @ [B, h, M] -> [B, N, M]
