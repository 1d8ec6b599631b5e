"""Handwriting and sketches as pen strokes (``recur.data.strokes``) with the mixture density network
of Graves (2013) (``recur.models.mdn``).

Offsets are divided by one scale, the standard deviation of every training offset (Ha & Eck 2017's
normalisation; config.json keeps it), so the NLL is in those units. A drawing's first point is
given, not predicted (Omniglot's is always ``(0, 0)``: no density could be fair to it); each later
point is predicted from the points before it. The metric is the negative log-likelihood of a
predicted point, pooled over every drawing of the split, in nats:

    NLL = Σ_drawings Σ_{t=2..n} −log p(x_t | x_<t)  /  Σ_drawings (n − 1)

reported with its two parts, the offset's density and the pen's Bernoulli. In raw data units the
offset part is larger by ``2 log(scale)``; comparisons within one set are unaffected.

Training reads ``--batch-size`` whole drawings each step: neighbours in length order (little
padding; drawings of one length shuffled once, so a batch is not one character's) from a start drawn
by the seed ``[data_seed, step]`` (a resumed run sees exactly what a straight one would). Validation (and
``best/``) is the NLL on ``valid``; ``recur eval`` scores ``valid`` and ``test``. Sampling starts
from the first point of a training drawing and runs for the length of another, both drawn by the
seed (config.json keeps the first points and the lengths' histogram, so a model samples without
the data), or for ``--length`` points.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import torch

from recur.checks import check_config
from recur.data.batches import RowShare, SharesRows
from recur.data.strokes import SETS, read_drawings, set_path
from recur.errors import RecurError
from recur.models.mdn import StrokeConfig, StrokeMDN, mixture, offset_log_density, sample_point
from recur.models.memory import sized
from recur.modes import evaluation_mode
from recur.tasks.sample_verb import SAMPLE
from recur.tasks.spec import HeldOut, Sampler, TaskSpec, data_source, resumed_data, saved_model_config

EVAL_DRAWINGS, MAX_STARTS = 256, 1000
TRAINING = {"lr": 1e-3, "clip": 10.0, "eval_every": 500}  # a narrow component makes gradients of norm 100+: clipped to 1, learning crawls


@dataclass(frozen=True)
class StrokeDataConfig:
    set: str = field(default="omniglot", metadata={"choices": tuple(SETS), "help": "the stroke set"})
    batch_size: int = field(default=64, metadata={"help": "drawings per step", "at_least": 1})
    data_seed: int = field(default=0, metadata={"help": "seeds the training drawings", "at_least": 0,
                                                "at_most": 2**63 - 1})
    source: str = field(default="", metadata={"flag": False})  # a file given with --data ("" = the set's)

    def __post_init__(self):
        check_config(self)


@dataclass(frozen=True)
class DrawingStats:
    """What a stroke model keeps of its training set: the offsets' scale, first points (raw units)
    to start a sample from, and how many drawings had each length (index = points)."""
    scale: float
    starts: list
    lengths: list

    @classmethod
    def of(cls, drawings: list[np.ndarray]) -> "DrawingStats":
        offsets = np.concatenate([d[:, :2] for d in drawings]).astype(np.float64)
        starts = np.unique(np.stack([d[0] for d in drawings]), axis=0)
        if len(starts) > MAX_STARTS:
            starts = starts[np.random.default_rng(0).choice(len(starts), MAX_STARTS, replace=False)]
        return cls(scale=float(offsets.std()) or 1.0, starts=starts.astype(int).tolist(),
                   lengths=np.bincount([len(d) for d in drawings]).tolist())

    @classmethod
    def checked(cls, config: dict) -> "DrawingStats":
        stats = config.get("drawing")
        try:
            made = cls(**stats)
            number = lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v)  # noqa: E731
            ok = (number(made.scale) and made.scale > 0 and len(made.starts) > 0
                  and all(isinstance(s, list) and len(s) == 3 and all(map(number, s)) for s in made.starts)
                  and all(isinstance(n, int) and n >= 0 for n in made.lengths) and sum(made.lengths) > 0)
        except TypeError:
            ok = False
        if not ok:
            raise RecurError("config.json: \"drawing\" is not {scale > 0, starts: [[dx, dy, pen], ...], "
                             "lengths: [count per length]}")
        return made


def normalised(drawing: np.ndarray, scale: float) -> np.ndarray:
    out = drawing.astype(np.float32)
    out[:, :2] /= scale
    return out


def padded(drawings: list[np.ndarray], scale: float) -> tuple[torch.Tensor, torch.Tensor]:
    """``(points [N, L, 3] zero-padded, mask [N, L])``, offsets divided by ``scale``."""
    L = max(map(len, drawings))
    out = np.zeros((len(drawings), L, 3), dtype=np.float32)
    mask = np.zeros((len(drawings), L), dtype=np.float32)
    for i, d in enumerate(drawings):
        out[i, : len(d)], mask[i, : len(d)] = normalised(d, scale), 1
    return torch.from_numpy(out).to(torch.get_default_dtype()), torch.from_numpy(mask)


def summed_nll(model: StrokeMDN, points: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, int]:
    """``(Σ offset NLL, Σ pen NLL, predicted points)``: point t + 1 of a row from its points ≤ t."""
    raw, _ = model(points[:, :-1])
    keep = mask[:, 1:].bool()
    mix = mixture(raw[keep])
    target = points[:, 1:][keep]
    offset = -offset_log_density(mix, target[:, :2]).sum()
    pen = torch.nn.functional.binary_cross_entropy_with_logits(mix.pen_logit, target[:, 2], reduction="sum")
    return offset, pen, int(keep.sum())


@torch.no_grad()
def pooled_nll(model: StrokeMDN, drawings: list[np.ndarray], scale: float, device: torch.device) -> dict:
    """``{nll, offset_nll, pen_nll}`` per predicted point over ``drawings``, in evaluation mode."""
    order = sorted(range(len(drawings)), key=lambda i: len(drawings[i]))  # like lengths together
    offset_total = pen_total = 0.0
    points = 0
    with evaluation_mode(model):
        for start in range(0, len(order), EVAL_DRAWINGS):
            batch, mask = padded([drawings[i] for i in order[start : start + EVAL_DRAWINGS]], scale)
            if batch.shape[1] < 2:
                continue
            offset, pen, count = summed_nll(model, batch.to(device), mask.to(device))
            offset_total, pen_total, points = offset_total + float(offset), pen_total + float(pen), points + count
    if points == 0:
        raise RecurError("no drawing has two or more points: there is nothing to predict")
    return {"nll": (offset_total + pen_total) / points, "offset_nll": offset_total / points,
            "pen_nll": pen_total / points}


class StrokeModel(Sampler):
    """A trained stroke model: ``evaluate`` drawings (pooled NLL), ``sample`` new ones."""

    item_name, kind = "points", "strokes"

    def __init__(self, model: StrokeMDN, data: StrokeDataConfig, stats: DrawingStats):
        self.model, self.data, self.stats = model, data, stats

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    def evaluate(self, drawings: list[np.ndarray]) -> dict:
        return {**pooled_nll(self.model, drawings, self.stats.scale, self.device), "drawings": len(drawings)}

    def count(self, drawings: list[np.ndarray]) -> int:
        return sum(len(d) - 1 for d in drawings)

    def evaluation_data(self, path: str) -> list[np.ndarray]:
        """The ``test`` drawings of a stroke-3 npz in the sets' layout."""
        return read_drawings(path, ("test",))["test"]

    @torch.no_grad()
    def sample(self, count: int = 1, length: int | None = None, bias: float = 0.0, temperature: float = 1.0,
               seed: int | None = None) -> list[np.ndarray]:
        """``count`` drawings, each ``float [n, 3]`` in the data's units: a training drawing's first
        point, then points drawn one at a time (``n`` = ``length``, or a training drawing's length)."""
        if temperature <= 0:
            raise RecurError("--temperature must be above 0 for strokes (the mixture is sampled)")
        if count < 1:
            raise RecurError(f"{count} drawings: sample at least one")
        generator = torch.Generator()
        if seed is None:
            generator.seed()  # a fresh seed of its own; the global generator is left alone
        else:
            generator.manual_seed(seed)
        starts = torch.tensor(self.stats.starts, dtype=torch.float32)
        lengths = torch.tensor(self.stats.lengths, dtype=torch.float64)
        first = starts[torch.randint(len(starts), (count,), generator=generator)]
        ns = ([length] * count if length is not None
              else torch.multinomial(lengths, count, replacement=True, generator=generator).clamp(min=2).tolist())
        scale = torch.tensor([self.stats.scale, self.stats.scale, 1.0])
        points = [first / scale]
        with evaluation_mode(self.model):
            state, x = None, points[0][:, None].to(self.device)
            for _ in range(max(ns) - 1):
                raw, state = self.model(x, state)
                x = sample_point(mixture(raw[:, -1], bias, temperature),
                                 generator if self.device.type == "cpu" else None).cpu()
                points.append(x)
                x = x[:, None].to(self.device)
        drawn = (torch.stack(points, dim=1) * scale).numpy()
        return [drawn[i, :n] for i, n in enumerate(ns)]


class StrokeTask(SharesRows):
    """Trainer-facing: whole training drawings each step; the pooled NLL on ``valid`` (under DDP
    every rank draws the batch and trains its own drawings of it)."""

    item_name = "points"

    def __init__(self, config: StrokeConfig, data: StrokeDataConfig, drawings: dict[str, list[np.ndarray]],
                 stats: DrawingStats | None = None):
        self.model_config, self.data = config, data
        self.train_drawings, self.valid = drawings["train"], drawings["valid"]
        self.stats = stats or DrawingStats.of(self.train_drawings)
        ties = np.random.default_rng(data.data_seed).random(len(self.train_drawings))
        self.by_length = np.lexsort((ties, [len(d) for d in self.train_drawings]))  # by length, ties shuffled
        self.model = sized(StrokeMDN, config)
        self.device = torch.device("cpu")
        self.items_per_step = data.batch_size * 30  # updated each step to the points it predicted
        self.rows = RowShare(min(data.batch_size, len(self.train_drawings)))
        self.steps = 0

    def to(self, device) -> None:
        self.device = torch.device(device)

    def train_loss(self) -> torch.Tensor:
        batch = [self.train_drawings[i] for i in self.batch_indices()]
        whole = sum(len(d) - 1 for d in batch)  # a drawing's points after its first are predicted
        points, mask = padded(self.rows.mine(batch), self.stats.scale)
        offset, pen, count = summed_nll(self.model, points.to(self.device), mask.to(self.device))
        self.rows.count(count, whole)
        self.steps, self.items_per_step = self.steps + 1, whole
        return (offset + pen) / max(count, 1)

    def batch_indices(self) -> np.ndarray:
        """The drawings of this step: ``batch_size`` neighbours in length order from a start drawn by
        ``[data_seed, step]``. Drawings of one length are in an order shuffled once by ``data_seed``,
        so a batch holds drawings of like length (little padding) but not of one character."""
        rng = np.random.default_rng([self.data.data_seed, self.steps])
        size = min(self.data.batch_size, len(self.by_length))
        start = int(rng.integers(0, len(self.by_length) - size + 1))
        return self.by_length[start : start + size]

    def evaluate(self) -> dict[str, float]:
        scores = pooled_nll(self.model, self.valid, self.stats.scale, self.device)
        return {"loss": scores["nll"], "offset_nll": scores["offset_nll"], "pen_nll": scores["pen_nll"]}

    def config(self) -> dict:
        return {"task": "strokes", "model": asdict(self.model_config), "data": asdict(self.data),
                "drawing": asdict(self.stats)}

    def state(self):
        return {"steps": self.steps}, {}

    def load_state(self, position: dict, tensors: dict) -> None:
        self.steps = int(position["steps"])


def drawings_of(data: StrokeDataConfig, splits=("train", "valid")) -> dict[str, list[np.ndarray]]:
    return read_drawings(set_path(data.set, data.source or None), splits)


def source_name(data: StrokeDataConfig) -> str:
    return data.source or f"$RECUR_DATA/{SETS[data.set]}"


def new_task(data_path: str | None, data_options: dict, model_options: dict) -> StrokeTask:
    source = data_source(data_path)
    data = StrokeDataConfig(**data_options, source=source)
    return StrokeTask(StrokeConfig(**model_options), data, drawings_of(data))


def resumed_task(config: dict, data_path: str | None) -> StrokeTask:
    data = resumed_data(config, StrokeDataConfig, data_path)
    return StrokeTask(saved_model_config(config, StrokeConfig), data, drawings_of(data), DrawingStats.checked(config))


def held_out(config: dict) -> dict[str, HeldOut]:
    data = StrokeDataConfig(**config["data"])
    drawings = drawings_of(data, ("valid", "test"))
    return {split: HeldOut(drawings[split], f"{source_name(data)} {split} ({len(drawings[split])} drawings)")
            for split in ("valid", "test")}


def untrained_model(config: dict) -> StrokeModel:
    return StrokeModel(StrokeMDN(saved_model_config(config, StrokeConfig)), StrokeDataConfig(**config["data"]),
                       DrawingStats.checked(config))


SPEC = TaskSpec(
    name="strokes", summary="handwriting and sketches as pen strokes, a mixture density network (Graves 2013; "
                            "NLL per point)",
    data_help="a stroke-3 .npz in the sets' layout (default: --set's file under $RECUR_DATA/strokes)",
    DataConfig=StrokeDataConfig, ModelConfig=StrokeConfig, ready_type=StrokeModel,
    new_task=new_task, resumed_task=resumed_task, held_out=held_out, untrained_model=untrained_model,
    verbs=(SAMPLE,), train_defaults=TRAINING)
