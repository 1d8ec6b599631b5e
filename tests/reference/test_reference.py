"""The NumPy reference BPTT against PyTorch autograd, finite differences and the seed's numbers."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from recur.reference import elman_bptt, elman_forward, gru_bptt, lstm_bptt

D, H, O, T = 4, 5, 5, 7
CELL_PARAMS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")

# case name -> (bptt function, torch module class, rows per hidden unit, extra kwargs)
CASES = {
    "elman_tanh": (elman_bptt, torch.nn.RNN, 1, {"nonlinearity": "tanh"}),
    "elman_relu": (elman_bptt, torch.nn.RNN, 1, {"nonlinearity": "relu"}),
    "lstm": (lstm_bptt, torch.nn.LSTM, 4, {}),
    "gru": (gru_bptt, torch.nn.GRU, 3, {}),
}


def make_problem(case, seed=0, bias=True):
    """Random float64 params (cell + read-out), inputs, targets and initial states for a case."""
    _, module_cls, gates, _ = CASES[case]
    rng = np.random.default_rng(seed)
    params = {
        "weight_ih": rng.normal(0, 0.5, (gates * H, D)),
        "weight_hh": rng.normal(0, 0.5, (gates * H, H)),
        "V": rng.normal(0, 0.5, (O, H)),
        "a": rng.normal(0, 0.5, O),
    }
    if bias:
        params["bias_ih"] = rng.normal(0, 0.5, gates * H)
        params["bias_hh"] = rng.normal(0, 0.5, gates * H)
    xs = rng.normal(size=(T, D))
    targets = rng.integers(0, O, size=T)
    states = {"h0": rng.normal(0, 0.5, H)}
    if module_cls is torch.nn.LSTM:
        states["c0"] = rng.normal(0, 0.5, H)
    return params, xs, targets, states


def reference_loss_and_grads(case, params, xs, targets, states):
    bptt, _, _, kwargs = CASES[case]
    return bptt(params, xs, targets, **states, **kwargs)


def torch_loss_and_grads(case, params, xs, targets, states):
    """The same loss built from torch.nn modules with the NumPy arrays copied in, via autograd."""
    _, module_cls, _, kwargs = CASES[case]
    has_bias = params.get("bias_ih") is not None
    module = module_cls(D, H, bias=has_bias, batch_first=True, dtype=torch.float64, **kwargs)
    names = [name for name in CELL_PARAMS if params.get(name) is not None]
    with torch.no_grad():
        for name in names:
            getattr(module, f"{name}_l0").copy_(torch.from_numpy(params[name]))
    V = torch.tensor(params["V"], requires_grad=True)
    a = torch.tensor(params["a"], requires_grad=True)
    # nn.RNN/LSTM/GRU take initial states shaped [layers, batch, H]
    leaves = {key: torch.tensor(v[None, None, :], requires_grad=True) for key, v in states.items()}
    hx = (leaves["h0"], leaves["c0"]) if "c0" in leaves else leaves["h0"]
    out, _ = module(torch.from_numpy(xs)[None], hx)
    loss = F.cross_entropy(out[0] @ V.T + a, torch.from_numpy(targets), reduction="sum")
    loss.backward()
    grads = {name: getattr(module, f"{name}_l0").grad.numpy() for name in names}
    grads |= {"V": V.grad.numpy(), "a": a.grad.numpy()}
    grads |= {key: leaf.grad[0, 0].numpy() for key, leaf in leaves.items()}
    return loss.item(), grads


@pytest.mark.parametrize("case", CASES)
def test_matches_torch_autograd(case):
    problem = make_problem(case)
    loss, grads = reference_loss_and_grads(case, *problem)
    torch_loss, torch_grads = torch_loss_and_grads(case, *problem)
    assert loss == pytest.approx(torch_loss, rel=1e-12)
    assert grads.keys() == torch_grads.keys()
    for name, expected in torch_grads.items():
        np.testing.assert_allclose(grads[name], expected, rtol=1e-9, atol=1e-10, err_msg=name)


def central_difference(case, params, xs, targets, states, name, index, eps=1e-5):
    """(L(θ + ε e_i) − L(θ − ε e_i)) / 2ε for entry `index` of a param or initial state.

    ε = 1e-5 balances truncation error (~ε²) against round-off in L (~1e-16 · L / ε).
    """

    def loss_with(step):
        bumped_params, bumped_states = dict(params), dict(states)
        holder = bumped_params if name in params else bumped_states
        holder[name] = holder[name].copy()
        holder[name][index] += step
        loss, _ = reference_loss_and_grads(case, bumped_params, xs, targets, bumped_states)
        return loss

    return (loss_with(eps) - loss_with(-eps)) / (2 * eps)


@pytest.mark.parametrize("case", CASES)
def test_matches_finite_differences(case):
    params, xs, targets, states = make_problem(case, seed=1)
    _, grads = reference_loss_and_grads(case, params, xs, targets, states)
    rng = np.random.default_rng(2)
    for name, value in {**params, **states}.items():
        for flat_index in rng.choice(value.size, size=3, replace=False):
            index = np.unravel_index(flat_index, value.shape)
            numeric = central_difference(case, params, xs, targets, states, name, index)
            analytic = grads[name][index]
            # The 1e-3 floor keeps near-zero gradients from turning round-off into huge ratios.
            rel_err = abs(numeric - analytic) / max(abs(numeric), abs(analytic), 1e-3)
            assert rel_err < 1e-6, (name, index, numeric, analytic)


@pytest.mark.parametrize("missing", ["absent", "none"])
@pytest.mark.parametrize("case", ["elman_tanh", "elman_relu"])
def test_elman_without_biases(case, missing):
    params, xs, targets, states = make_problem(case, bias=False)
    if missing == "none":
        params |= {"bias_ih": None, "bias_hh": None}
    loss, grads = reference_loss_and_grads(case, params, xs, targets, states)
    torch_loss, torch_grads = torch_loss_and_grads(case, params, xs, targets, states)
    assert set(grads) == {"weight_ih", "weight_hh", "V", "a", "h0"}
    assert loss == pytest.approx(torch_loss, rel=1e-12)
    for name, expected in torch_grads.items():
        np.testing.assert_allclose(grads[name], expected, rtol=1e-9, atol=1e-10, err_msg=name)


@pytest.mark.parametrize("case", CASES)
def test_missing_initial_state_means_zeros(case):
    params, xs, targets, states = make_problem(case)
    zeros = {key: np.zeros(H) for key in states}
    loss_default, grads_default = reference_loss_and_grads(case, params, xs, targets, {})
    loss_zeros, grads_zeros = reference_loss_and_grads(case, params, xs, targets, zeros)
    assert loss_default == loss_zeros
    for name, expected in grads_zeros.items():
        np.testing.assert_array_equal(grads_default[name], expected, err_msg=name)


def test_seed_worked_example():
    """Seed 003: U · x_{t=4} = [0.6, 0.9, -0.8] for x the one-hot of index 3, and c = tanh of it."""
    U = np.array([
        [0.1, -0.3, 1.2, 0.6, -0.8],
        [-0.2, 0.4, 0.5, 0.9, -0.1],
        [-0.1, 0.2, -0.7, -0.8, 0.3],
    ])
    params = {"weight_ih": U, "weight_hh": np.zeros((3, 3)), "bias_ih": np.zeros(3)}
    x = np.eye(5)[3]
    cache = elman_forward(params, x[None, :])
    np.testing.assert_allclose(cache.zs[0], [0.6, 0.9, -0.8], atol=1e-15)
    np.testing.assert_allclose(cache.hs[0], np.tanh([0.6, 0.9, -0.8]), atol=1e-15)
