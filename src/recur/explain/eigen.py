"""The eigenvalue argument of Saerom Park's lecture (seeds/003) for vanishing and exploding gradients.

Take the recurrence without input or nonlinearity, c_t = W c_{t-1}, and W = V Λ V⁻¹:

    c_t = Wᵗ c_0 = V Λᵗ V⁻¹ c_0

Each eigenvalue is raised to the power t: components along eigenvalues of magnitude below 1 decay
to zero, those above 1 explode, and whatever of c_0 is not along the largest eigenvector is
eventually discarded. Shown for one W with every |λ| < 1 and one with every |λ| > 1, built from the
same eigenvectors; the eigenvalues printed are computed back from W, not assumed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from recur.explain.figures import new_figure, save_png
from recur.explain.layout import table
from recur.explain.lectures import PARK
from recur.explain.topic import Explanation, Topic, whole

EIGENVECTORS = np.array([[1.0, 1.0, 0.0], [0.0, 1.0, 1.0], [1.0, 0.0, 1.0]])  # columns; det = 2
C0 = np.array([1.1, 0.4, -0.5])  # = 0.1 v_1 + v_2 - 0.6 v_3: only a little along the leading eigenvector
CASES = {"contracting": (0.9, 0.7, 0.5), "expanding": (1.3, 1.1, 1.02)}


def trajectory(W: np.ndarray, c0: np.ndarray, steps: int) -> np.ndarray:
    """c_0, W c_0, W² c_0, ... as rows [steps + 1, H]."""
    cs = [c0]
    for _ in range(steps):
        cs.append(W @ cs[-1])
    return np.array(cs)


def case(eigenvalues: tuple[float, ...], steps: int) -> dict:
    W = EIGENVECTORS @ np.diag(eigenvalues) @ np.linalg.inv(EIGENVECTORS)
    cs = trajectory(W, C0, steps)
    # The lecture's closed form V Λᵗ V⁻¹ c_0 at the last step, against the repeated product.
    closed = EIGENVECTORS @ (np.array(eigenvalues) ** steps * np.linalg.solve(EIGENVECTORS, C0))
    computed = np.linalg.eigvals(W)
    computed = computed[np.argsort(-np.abs(computed))].real  # real by construction
    leading = EIGENVECTORS[:, 0] / np.linalg.norm(EIGENVECTORS[:, 0])
    return {"W": W.tolist(), "eigenvalues": computed.tolist(), "norms": np.linalg.norm(cs, axis=1).tolist(),
            "closed_form_difference": float(np.abs(closed - cs[-1]).max() / np.abs(cs[-1]).max()),
            "cosine_to_leading": [float(abs(c @ leading) / np.linalg.norm(c)) for c in (cs[0], cs[-1])]}


def run(options: dict, out_dir: Path | None) -> Explanation:
    steps = options["steps"]
    cases = {name: case(values, steps) for name, values in CASES.items()}
    shown = sorted({*range(0, steps + 1, max(1, steps // 10)), steps})
    rows = [[t, *(f"{cases[name]['norms'][t]:.4g}" for name in CASES)] for t in shown]
    lines = [f"From {PARK}:", "c_t = W c_(t-1) = Wᵗ c_0 = V Λᵗ V⁻¹ c_0, with V's columns v_1, v_2, v_3 and",
             "c_0 = [1.1, 0.4, -0.5] = 0.1 v_1 + v_2 - 0.6 v_3 (little along the leading v_1).", ""]
    for name, result in cases.items():
        lines.append(f"{name:>11}: eigenvalues of W {', '.join(f'{v:.3f}' for v in result['eigenvalues'])}; "
                     f"|cos(c_t, leading eigenvector)| {result['cosine_to_leading'][0]:.3f} at t = 0, "
                     f"{result['cosine_to_leading'][1]:.3f} at t = {steps}")
    lines += ["", table(["t", *(f"||c_t|| {name}" for name in CASES)], rows), "",
              f"closed form V Λ^{steps} V⁻¹ c_0 against {steps} products by W (relative): "
              + ", ".join(f"{name} {r['closed_form_difference']:.1e}" for name, r in cases.items())]
    figures = () if out_dir is None else (plot(cases, steps, out_dir),)
    return Explanation("\n".join(lines), {"steps": steps, "c0": C0.tolist(), **cases}, figures)


def plot(cases: dict, steps: int, out_dir: Path) -> Path:
    figure, axes = new_figure(size=(6.4, 4.0))
    axis = axes[0, 0]
    t = np.arange(steps + 1)
    for (name, result), colour in zip(cases.items(), ("tab:blue", "tab:red")):
        top = result["eigenvalues"][0]
        axis.semilogy(t, result["norms"], color=colour, marker=".", label=f"{name}: max |λ| = {top:.2f}")
        axis.semilogy(t, result["norms"][0] * abs(top) ** t, color=colour, linestyle=":", linewidth=1)
    axis.set_xlabel("t")
    axis.set_ylabel("||c_t|| = ||Wᵗ c_0||")
    axis.set_title("c_t = Wᵗ c_0 (dotted: ||c_0|| · max|λ|ᵗ)")
    axis.legend()
    return save_png(figure, out_dir, "eigen")


def conclude(numbers: dict) -> str:
    shrink, grow, steps = numbers["contracting"], numbers["expanding"], numbers["steps"]
    ratios = [case["norms"][-1] / case["norms"][0] for case in (shrink, grow)]
    start = min(case["cosine_to_leading"][0] for case in (shrink, grow))
    end = min(case["cosine_to_leading"][1] for case in (shrink, grow))
    if end > 0.99:
        turned = (f"in both, c_t has turned towards the leading eigenvector (|cos| from {start:.2f} to at least "
                  f"{end:.3f}): what of c_0 lies elsewhere is discarded")
    else:
        turned = (f"after {steps} steps c_t has only begun to turn towards the leading eigenvector (|cos| from "
                  f"{start:.2f} to {end:.2f}); more steps finish the job")
    return (f"With every |λ| < 1, ||c_t|| shrinks to {ratios[0]:.2g} of ||c_0|| in {steps} steps; with every "
            f"|λ| > 1 it grows {ratios[1]:.3g}-fold: a gradient carried back through W vanishes or explodes the "
            f"same way. And {turned}.")


TOPIC = Topic("eigen", "c_t = Wᵗ c_0: decay for eigenvalues below 1, explosion above", run, conclude, {
    "steps": whole("30", "how many powers of W", at_most=1000),
}, lecture=PARK)
