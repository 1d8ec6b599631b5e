"""Polyphonic music on the four piano-roll benchmarks (``recur.data.piano_roll``) with a
``recur.models.polyphonic`` model: Bernoulli notes or the RNN-NADE.

The metric is the field's (Boulanger-Lewandowski et al. 2012; locuslab/TCN's ``music_test.py``):
the negative log-likelihood of a time step, summed over the 88 keys, pooled over every predicted
step of every piece of the split (a piece of T steps gives T − 1 predictions: its first step has
nothing before it), in nats:

    NLL = Σ_pieces Σ_{t=2..T} −log p(v_t | v_<t)  /  Σ_pieces (T − 1)

Training reads ``--batch-size`` windows of up to ``--window`` steps at a time, each from a fresh
state, drawn from the seed ``[data_seed, step]`` (a resumed run sees exactly the windows a straight
one would): a piece is picked with probability proportional to its length and a start uniformly,
and with ``--transpose K`` the window is moved by a random −K..K semitones. Validation (and
``best/``) is the NLL on the set's ``valid`` split; ``recur eval`` scores ``valid`` and ``test``.

Sampling starts from ``--prime-from`` steps of a piece, or else from the opening chord of a
training piece (config.json keeps the training set's opening chords, so a model samples without
the data).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import torch

from recur.checks import check_config
from recur.data.batches import RowShare, SharesRows
from recur.data.piano_roll import KEYS, LOWEST, SETS, piece_roll, pitches, read_piano_rolls, set_path, transposed
from recur.errors import RecurError
from recur.models.memory import sized
from recur.models.polyphonic import PolyphonicConfig, PolyphonicRNN
from recur.modes import evaluation_mode
from recur.tasks.sample_verb import SAMPLE
from recur.tasks.spec import HeldOut, Sampler, TaskSpec, data_source, resumed_data, saved_model_config

EVAL_PIECES, EVAL_ROWS = 32, 4096  # pieces run through the RNN at once; (step, piece) rows scored at once
MAX_TRANSPOSE = 12
TRAINING = {"lr": 1e-3, "clip": 1.0, "eval_every": 200}


@dataclass(frozen=True)
class MusicDataConfig:
    set: str = field(default="jsb", metadata={"choices": tuple(SETS), "help": "the piano-roll benchmark"})
    window: int = field(default=128, metadata={"help": "time steps per training window", "at_least": 2})
    batch_size: int = field(default=32, metadata={"help": "windows per step", "at_least": 1})
    transpose: int = field(default=0, metadata={"help": "move each training window by a random -K..K semitones",
                                                "at_least": 0, "at_most": MAX_TRANSPOSE})
    data_seed: int = field(default=0, metadata={"help": "seeds the training windows", "at_least": 0,
                                                "at_most": 2**63 - 1})
    source: str = field(default="", metadata={"flag": False})  # a file given with --data ("" = the set's)

    def __post_init__(self):
        check_config(self)


def pieces_of(data: MusicDataConfig, splits=("train", "valid", "test")) -> dict[str, list[np.ndarray]]:
    return read_piano_rolls(set_path(data.set, data.source or None), splits)


def source_name(data: MusicDataConfig) -> str:
    return data.source or f"$RECUR_DATA/{SETS[data.set][0]}"


def training_windows(pieces: list[np.ndarray], count: int, window: int, transpose: int,
                     seed) -> tuple[torch.Tensor, torch.Tensor]:
    """``[count, L, 88]`` windows (L = the longest drawn, at most ``window``) and their masks
    ``[count, L]`` (1 where a step is real), drawn from ``seed``."""
    rng = np.random.default_rng(seed)
    lengths = np.array([len(p) for p in pieces], dtype=np.float64)
    chosen = rng.choice(len(pieces), size=count, p=lengths / lengths.sum())
    cuts = []
    for i in chosen:
        piece = pieces[i]
        start = int(rng.integers(0, max(1, len(piece) - window + 1)))
        cut = piece[start : start + window]
        shift = int(rng.integers(-transpose, transpose + 1)) if transpose else 0
        cuts.append(transposed(cut, shift) if shift else cut)
    return padded(cuts)


def padded(rolls: list[np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
    """``(rolls [N, L, 88] float32 zero-padded, mask [N, L])``."""
    L = max(map(len, rolls))
    out = np.zeros((len(rolls), L, KEYS), dtype=np.float32)
    mask = np.zeros((len(rolls), L), dtype=np.float32)
    for i, roll in enumerate(rolls):
        out[i, : len(roll)], mask[i, : len(roll)] = roll, 1
    return torch.from_numpy(out).to(torch.get_default_dtype()), torch.from_numpy(mask)


def predicted(mask: torch.Tensor) -> torch.Tensor:
    """``[N, L-1]``: step t + 1 of a row is predicted (from ``h_t``) when steps t and t + 1 are both real."""
    return mask[:, 1:].bool()


def summed_nll(model: PolyphonicRNN, rolls: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, int]:
    """``(Σ −log p(v_t | v_<t) over every predicted step, the number of those steps)``: step t of
    a row is predicted from ``h_{t−1}`` when steps t−1 and t are both real."""
    h, _ = model(rolls[:, :-1])
    keep = predicted(mask)
    h, target = h[keep], rolls[:, 1:][keep]
    rows = max(1, len(h) if torch.is_grad_enabled() else EVAL_ROWS)  # scored in slices when nothing is trained
    total = sum((model.step_nll(h[s : s + rows], target[s : s + rows]).sum() for s in range(0, len(h), rows)),
                rolls.new_zeros(()))
    return total, int(keep.sum())


@torch.no_grad()
def pooled_nll(model: PolyphonicRNN, pieces: list[np.ndarray], device: torch.device) -> tuple[float, int]:
    """``(NLL per predicted step, predicted steps)`` over ``pieces``, in evaluation mode."""
    order = sorted(range(len(pieces)), key=lambda i: len(pieces[i]))  # like lengths together: little padding
    total, steps = 0.0, 0
    with evaluation_mode(model):
        for start in range(0, len(order), EVAL_PIECES):
            rolls, mask = padded([pieces[i] for i in order[start : start + EVAL_PIECES]])
            if rolls.shape[1] < 2:
                continue
            loss, count = summed_nll(model, rolls.to(device), mask.to(device))
            total, steps = total + float(loss), steps + count
    if steps == 0:
        raise RecurError("no piece has two or more time steps: there is nothing to predict")
    return total / steps, steps


def opening_chords(pieces: list[np.ndarray]) -> list[list[int]]:
    """The distinct first time steps of ``pieces``, as MIDI pitches (silent openings left out)."""
    seen = {tuple(chord) for chord in pitches(np.stack([p[0] for p in pieces]))}
    return [list(chord) for chord in sorted(seen) if chord]


class MusicModel(Sampler):
    """A trained polyphonic model: ``evaluate`` pieces (pooled NLL), ``sample`` new ones."""

    item_name, kind = "steps", "music"

    def __init__(self, model: PolyphonicRNN, data: MusicDataConfig, openings: list[list[int]]):
        self.model, self.data, self.openings = model, data, openings

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    @property
    def step_seconds(self) -> float:
        return SETS[self.data.set][1]

    def evaluate(self, pieces: list[np.ndarray]) -> dict:
        nll, _ = pooled_nll(self.model, pieces, self.device)
        return {"nll": nll, "pieces": len(pieces)}

    def count(self, pieces: list[np.ndarray]) -> int:
        return sum(len(p) - 1 for p in pieces)

    def evaluation_data(self, path: str) -> list[np.ndarray]:
        """The ``test`` pieces of a piano-roll file in the benchmark layout."""
        return read_piano_rolls(path, ("test",))["test"]

    def held_out_piece(self, split: str, index: int) -> np.ndarray:
        """Piece ``index`` of ``split`` of the set the model was trained on (read from $RECUR_DATA)."""
        if split not in ("train", "valid", "test"):
            raise RecurError(f"{split!r}: a split is train, valid or test")
        pieces = pieces_of(self.data, (split,))[split]
        if not 0 <= index < len(pieces):
            raise RecurError(f"{split}:{index}: the {split} split has {len(pieces)} pieces (0 to {len(pieces) - 1})")
        return pieces[index]

    @torch.no_grad()
    def sample(self, steps: int, prime: np.ndarray | None = None, temperature: float = 1.0,
               seed: int | None = None) -> np.ndarray:
        """``uint8 [P + steps, 88]``: the ``P`` steps of ``prime`` (default: one opening chord of the
        training set, picked by ``seed``), then ``steps`` drawn one at a time."""
        generator = torch.Generator()
        if seed is None:
            generator.seed()  # a fresh seed of its own; the global generator is left alone
        else:
            generator.manual_seed(seed)
        if prime is None:
            if not self.openings:
                raise RecurError("this model keeps no opening chord; give a prime (--prime-from)")
            chord = self.openings[int(torch.randint(len(self.openings), (1,), generator=generator))]
            prime = piece_roll([chord], "an opening chord")
        if prime.ndim != 2 or prime.shape[1] != KEYS or len(prime) == 0:
            raise RecurError(f"a prime is a piano roll [steps >= 1, {KEYS}], got {list(prime.shape)}")
        rows = [torch.as_tensor(prime, dtype=torch.float32)]
        with evaluation_mode(self.model):
            h, state = self.model(rows[0][None].to(self.device))
            h = h[:, -1]
            for _ in range(steps):
                notes = self.model.sample_step(h, temperature, generator if self.device.type == "cpu" else None)
                rows.append(notes.cpu())
                out, state = self.model(notes[:, None], state)
                h = out[:, -1]
        return torch.cat(rows).to(torch.uint8).numpy()


class MusicTask(SharesRows):
    """Trainer-facing: windows of training pieces each step; the pooled NLL on ``valid`` (under DDP
    every rank draws the windows and trains its own rows of them)."""

    item_name = "steps"

    def __init__(self, config: PolyphonicConfig, data: MusicDataConfig, pieces: dict[str, list[np.ndarray]]):
        self.model_config, self.data = config, data
        self.train_pieces, self.valid = pieces["train"], pieces["valid"]
        self.model = sized(PolyphonicRNN, config)
        self.device = torch.device("cpu")
        self.items_per_step = data.batch_size * data.window  # updated each step to the steps it predicted
        self.openings = opening_chords(self.train_pieces)
        self.rows = RowShare(data.batch_size)
        self.steps = 0

    def to(self, device) -> None:
        self.device = torch.device(device)

    def train_loss(self) -> torch.Tensor:
        rolls, mask = training_windows(self.train_pieces, self.data.batch_size, self.data.window,
                                       self.data.transpose, [self.data.data_seed, self.steps])
        whole = int(predicted(mask).sum())
        rolls, mask = self.rows.mine(rolls), self.rows.mine(mask)
        total, count = summed_nll(self.model, rolls.to(self.device), mask.to(self.device))
        self.rows.count(count, whole)
        self.steps, self.items_per_step = self.steps + 1, whole
        return total / max(count, 1)

    def evaluate(self) -> dict[str, float]:
        nll, _ = pooled_nll(self.model, self.valid, self.device)
        return {"loss": nll}

    def config(self) -> dict:
        return {"task": "music", "model": asdict(self.model_config), "data": asdict(self.data),
                "openings": self.openings}

    def state(self):
        return {"steps": self.steps}, {}

    def load_state(self, position: dict, tensors: dict) -> None:
        self.steps = int(position["steps"])


def checked_openings(config: dict) -> list[list[int]]:
    openings = config.get("openings")
    if not isinstance(openings, list) or not all(
            isinstance(chord, list) and all(isinstance(p, int) and LOWEST <= p < LOWEST + KEYS for p in chord)
            for chord in openings):
        raise RecurError("config.json: \"openings\" is not a list of chords of MIDI pitches 21..108")
    return openings


def new_task(data_path: str | None, data_options: dict, model_options: dict) -> MusicTask:
    source = data_source(data_path)
    data = MusicDataConfig(**data_options, source=source)
    return MusicTask(PolyphonicConfig(**model_options), data, pieces_of(data, ("train", "valid")))


def resumed_task(config: dict, data_path: str | None) -> MusicTask:
    data = resumed_data(config, MusicDataConfig, data_path)
    return MusicTask(saved_model_config(config, PolyphonicConfig), data, pieces_of(data, ("train", "valid")))


def held_out(config: dict) -> dict[str, HeldOut]:
    data = MusicDataConfig(**config["data"])
    pieces = pieces_of(data, ("valid", "test"))
    return {split: HeldOut(pieces[split], f"{source_name(data)} {split} ({len(pieces[split])} pieces)")
            for split in ("valid", "test")}


def untrained_model(config: dict) -> MusicModel:
    return MusicModel(PolyphonicRNN(saved_model_config(config, PolyphonicConfig)),
                      MusicDataConfig(**config["data"]), checked_openings(config))


SPEC = TaskSpec(
    name="music", summary="polyphonic music on the piano-roll benchmarks (JSB, Nottingham, MuseData, Piano-midi; "
                          "NLL per time step)",
    data_help="a piano-roll JSON file in the benchmark layout (default: --set's file under $RECUR_DATA/music)",
    DataConfig=MusicDataConfig, ModelConfig=PolyphonicConfig, ready_type=MusicModel,
    new_task=new_task, resumed_task=resumed_task, held_out=held_out, untrained_model=untrained_model,
    verbs=(SAMPLE,), train_defaults=TRAINING)
