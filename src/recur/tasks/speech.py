"""Spoken digits on the Free Spoken Digit Dataset (``recur.data.fsdd``): one digit per recording
(``--output digit``, a recurrent classifier, accuracy) or strings of 2-7 digits transcribed with
CTC (``--output ctc``, a bidirectional RNN, the digit error rate).

Features (``recur.data.audio_features``, through librosa: torchaudio has no release for the
installed torch): ``--features mfcc`` (default, 13) or ``logmel``, ``--feature-size`` of them, every
16 ms of the recording without its edges more than ``--trim-db`` (30 dB) below its loudest window, normalised
per utterance; ``--stack k`` joins k frames into one step. Training augments each
recording by default (the recipe of ``bench/speech.py``): a random speed in 1 ± 0.15, white noise at
10-40 dB SNR, two time masks of up to 8 frames and a band of up to 4 zeroed channels; ``0`` turns
each off.

Protocols: the official split (test: index 0-4 of every speaker, 300 recordings) or, with
``--held-out-speaker NAME``, leave-one-speaker-out (test: all 500 of NAME). Validation is never
test data (``recur.data.fsdd.split``); ``best/`` keeps the highest validation accuracy or the
lowest validation digit error rate.

The CTC model trains on ``--batch-size`` strings each step, joined from training recordings with
short pauses, drawn from the seed ``[data_seed, step]`` (a resumed run sees the strings a straight
one would). Its held-out strings (``--valid-strings``, ``--test-strings``) are drawn once from a
fixed seed, each in one voice; a held-out speaker's strings use only that speaker's recordings.
The digit error rate is Σ edit distance / Σ reference length over the strings, read by greedy
decoding (``der``) and by prefix beam search (``der_beam``, ``recur eval`` only).

A WAV at another sample rate is resampled to 8 kHz (``recur transcribe`` says so in its output).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

from recur.checks import check_config
from recur.data import fsdd
from recur.data.audio_features import FEATURES, frames, stacked, trimmed
from recur.data.batches import EpochOrder, RowShare
from recur.errors import RecurError
from recur.generate.ctc_decode import error_rate, greedy_decode, prefix_beam_search
from recur.models.memory import sized
from recur.models.speech_rnn import BLANK, SpeechConfig, SpeechRNN
from recur.modes import evaluation_mode
from recur.tasks.spec import HeldOut, TaskSpec, Verb, data_source, resumed_data, saved_model_config
from recur.tasks.speech_verb import run_transcribe, transcribe_arguments
from recur.train.task import Selection

EVAL_BATCH = 64
HELD_OUT_SEED = 2**31 - 1  # the held-out strings' seed, beside data_seed: [data_seed, HELD_OUT_SEED, split]
DEFAULT_BEAM = 8
TIME_MASKS = 2  # spans per recording with --time-mask
NOISE_SNR_SPAN = 30.0  # dB: --noise-snr S draws each training recording's SNR from [S, S + 30]
TRAINING = {"eval_every": 100}


@dataclass(frozen=True)
class SpeechDataConfig:
    held_out_speaker: str = field(default="", metadata={
        "help": "leave this speaker out (test: all their recordings); empty: the official split (test: index 0-4)"})
    features: str = field(default="mfcc", metadata={"choices": FEATURES, "help": "log-mel energies or MFCCs"})
    feature_size: int = field(default=13, metadata={"help": "mel bands (logmel) or coefficients (mfcc)",
                                                    "at_least": 1, "at_most": 128})
    stack: int = field(default=1, metadata={"help": "frames joined into one step (k times fewer steps; "
                                                    "2: 32 ms a step)", "at_least": 1, "at_most": 8})
    trim_db: float = field(default=30.0, metadata={
        "help": "cut the leading and trailing stretches more than this many dB below the recording's loudest "
                "32 ms before computing features (training, evaluation and transcription alike); 0: keep them",
        "at_least": 0, "at_most": 120})
    batch_size: int = field(default=32, metadata={"help": "recordings (digit) or strings (ctc) per step",
                                                  "at_least": 1})
    speed_perturb: float = field(default=0.15, metadata={
        "help": "train on each recording (string) at a random speed in 1 ± this, resampled, so pitch and formants "
                "move as another speaker's would (Ko et al. 2015)", "at_least": 0, "at_most": 0.3})
    noise_snr: float = field(default=10.0, metadata={
        "help": "train with white noise added at a random signal-to-noise ratio between this and this + 30 dB "
                "(each recording or string its own); 0: none", "at_least": 0, "at_most": 60})
    freq_mask: int = field(default=4, metadata={
        "help": "train with a random band of up to this many feature channels set to 0 (SpecAugment, Park et al. "
                "2019)", "at_least": 0, "at_most": 64})
    time_mask: int = field(default=8, metadata={
        "help": "train with two random spans of up to this many frames (at most a quarter of the recording each) "
                "set to 0 (SpecAugment's time masks)", "at_least": 0, "at_most": 100})
    min_digits: int = field(default=2, metadata={"help": "ctc: the fewest digits in a string", "at_least": 1})
    max_digits: int = field(default=7, metadata={"help": "ctc: the most digits in a string", "at_least": 1,
                                                 "at_most": 50})
    valid_strings: int = field(default=200, metadata={"help": "ctc: validation strings", "at_least": 1})
    test_strings: int = field(default=300, metadata={"help": "ctc: test strings", "at_least": 1})
    data_seed: int = field(default=0, metadata={"help": "seeds the order of recordings and the strings",
                                                "at_least": 0, "at_most": 2**31 - 1})
    source: str = field(default="", metadata={"flag": False})  # --data's FSDD folder ("" = $RECUR_DATA's), for resume and eval

    def __post_init__(self):
        check_config(self)
        if self.min_digits > self.max_digits:
            raise RecurError(f"min-digits ({self.min_digits}) is more than max-digits ({self.max_digits})")


def features_of(utterance: fsdd.Utterance, data: SpeechDataConfig) -> torch.Tensor:
    samples = trimmed(utterance.samples, data.trim_db)
    return torch.from_numpy(stacked(frames(samples, data.features, data.feature_size), data.stack))


def augmented(utterance: fsdd.Utterance, data: SpeechDataConfig, rng: np.random.Generator) -> torch.Tensor:
    """A training utterance's frames with ``data``'s augmentations drawn from ``rng``: the silence
    around it cut (``trim_db``, before anything is added), a new speed (``speed_perturb``), white
    noise at a random SNR (``noise_snr``: noise power = mean(x²) / 10^(SNR/10)), then a band of
    zeroed channels (``freq_mask``) and two spans of zeroed frames (``time_mask``)."""
    samples = trimmed(utterance.samples, data.trim_db)
    if data.speed_perturb:
        import librosa
        speed = rng.uniform(1 - data.speed_perturb, 1 + data.speed_perturb)
        samples = librosa.resample(samples, orig_sr=fsdd.RATE, target_sr=round(fsdd.RATE / speed)).astype(np.float32)
    if data.noise_snr:
        snr = rng.uniform(data.noise_snr, data.noise_snr + NOISE_SNR_SPAN)
        scale = np.sqrt(np.mean(samples.astype(np.float64) ** 2) / 10 ** (snr / 10))
        samples = (samples + rng.normal(0.0, scale, len(samples))).astype(np.float32)
    x = frames(samples, data.features, data.feature_size)
    if data.freq_mask:
        width = int(rng.integers(0, data.freq_mask + 1))
        start = int(rng.integers(0, data.feature_size - width + 1))
        x[:, start : start + width] = 0
    for _ in range(TIME_MASKS if data.time_mask else 0):
        width = int(rng.integers(0, min(data.time_mask, len(x) // 4) + 1))
        start = int(rng.integers(0, len(x) - width + 1))
        x[start : start + width] = 0
    return torch.from_numpy(stacked(x, data.stack))


def padded(items: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """``(frames [B, T, D] zero-padded, lengths [B])``."""
    lengths = torch.tensor([len(x) for x in items])
    out = torch.zeros(len(items), int(lengths.max()), items[0].shape[1])
    for row, x in enumerate(items):
        out[row, : len(x)] = x
    return out, lengths


def ctc_nll(log_probs: torch.Tensor, lengths: torch.Tensor, digits: list[tuple[int, ...]]) -> torch.Tensor:
    """Σ over the batch of −log p(digits | frames) (CTC, torch's forward-backward), from
    ``log_probs [B, T, 11]``; digit d is class d + 1."""
    targets = torch.tensor([d + 1 for string in digits for d in string], dtype=torch.long)
    return F.ctc_loss(log_probs.transpose(0, 1), targets, lengths, torch.tensor([len(s) for s in digits]),
                      blank=BLANK, reduction="sum", zero_infinity=True)  # [B, T, C] -> [T, B, C], as torch wants


@torch.no_grad()
def score(model: SpeechRNN, feats: list[torch.Tensor], digits: list[tuple[int, ...]], device: torch.device,
          beam: int = 0) -> dict[str, float]:
    """Digit model: mean cross-entropy and accuracy. CTC model: mean −log p(string), the digit error
    rate of greedy decoding (``der``), of beam search when ``beam`` (``der_beam``), and the share of
    strings read exactly."""
    order = sorted(range(len(feats)), key=lambda i: len(feats[i]))
    loss, correct, greedy, beamed = 0.0, 0, {}, {}
    with evaluation_mode(model):
        for start in range(0, len(order), EVAL_BATCH):
            rows = order[start : start + EVAL_BATCH]
            x, lengths = padded([feats[i] for i in rows])
            out = model(x.to(device), lengths.to(device)).cpu()
            if model.config.output == "digit":
                labels = torch.tensor([digits[i][0] for i in rows])
                loss += float(F.cross_entropy(out, labels, reduction="sum"))
                correct += int((out.argmax(-1) == labels).sum())
                continue
            loss += float(ctc_nll(out, lengths, [digits[i] for i in rows]))
            for row, i in enumerate(rows):
                table = out[row, : lengths[row]].numpy()
                greedy[i] = [k - 1 for k in greedy_decode(table, BLANK)]
                if beam:
                    beamed[i] = [k - 1 for k in prefix_beam_search(table, beam, BLANK)]
    n = len(feats)
    if model.config.output == "digit":
        return {"loss": loss / n, "accuracy": correct / n}
    scores = {"loss": loss / n, "der": error_rate(digits, [greedy[i] for i in range(n)]),
              "string_accuracy": sum(list(digits[i]) == greedy[i] for i in range(n)) / n}
    if beam:
        scores["der_beam"] = error_rate(digits, [beamed[i] for i in range(n)])
    return scores


def checked_labels(utterances: list[fsdd.Utterance], output: str) -> None:
    if output == "digit" and any(len(u.digits) != 1 for u in utterances):
        raise RecurError("a digit model scores single recordings; these hold strings of digits")


class SpeechModel:
    """A trained speech model: ``transcribe`` a recording, ``evaluate`` utterances."""

    def __init__(self, model: SpeechRNN, data: SpeechDataConfig):
        self.model, self.data = model, data
        self.item_name = "recordings" if model.config.output == "digit" else "strings"

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    @torch.no_grad()
    def transcribe(self, samples: np.ndarray, beam: int | None = None) -> dict:
        """``{"digits": "427"}`` (CTC; prefix beam search of width ``beam``, 1: greedy) or
        ``{"digits": "4", "probability": p}`` (a digit model) for float32 samples at 8 kHz."""
        x = features_of(fsdd.Utterance("", samples, ()), self.data)
        with evaluation_mode(self.model):
            out = self.model(x[None].to(self.device), torch.tensor([len(x)]).to(self.device))[0].cpu()
        if self.model.config.output == "digit":
            probs = out.softmax(-1)
            best = int(probs.argmax())
            return {"digits": str(best), "probability": round(float(probs[best]), 4)}
        width = DEFAULT_BEAM if beam is None else beam
        labels = greedy_decode(out.numpy(), BLANK) if width == 1 else prefix_beam_search(out.numpy(), width, BLANK)
        return {"digits": "".join(str(k - 1) for k in labels)}

    def evaluate(self, utterances: list[fsdd.Utterance]) -> dict:
        checked_labels(utterances, self.model.config.output)
        feats = [features_of(u, self.data) for u in utterances]
        return score(self.model, feats, [u.digits for u in utterances], self.device, beam=DEFAULT_BEAM)

    def count(self, utterances: list[fsdd.Utterance]) -> int:
        return len(utterances)

    def evaluation_data(self, path: str) -> list[fsdd.Utterance]:
        """Every recording of an FSDD folder (or of a folder holding ``recordings/``-style names): one
        digit each; a CTC model reads them as strings of one digit."""
        folder = Path(path)
        if not (folder / "recordings").is_dir() and folder.is_dir():
            folder = folder.parent if folder.name == "recordings" else folder
        return fsdd.utterances(fsdd.recordings(fsdd.fsdd_folder(folder)))


class SpeechTask:
    """Trainer-facing: shuffled recordings (digit) or freshly joined strings (ctc) each step."""

    def __init__(self, config: SpeechConfig, data: SpeechDataConfig, parts: dict[str, list[fsdd.Utterance]]):
        self.model_config, self.data = config, data
        self.model = sized(SpeechRNN, config)
        self.device = torch.device("cpu")
        self.items_per_step = data.batch_size
        self.steps = 0
        self.rows = RowShare(data.batch_size)  # DDP: this rank's strings are rows rank::world of each step's
        self.train_pool = parts["train"]
        self.augments = bool(data.speed_perturb or data.noise_snr or data.freq_mask or data.time_mask)
        if config.output == "digit":
            self.item_name, self.selection = "recordings", Selection("accuracy", higher_is_better=True)
            self.train_feats = [] if self.augments else [features_of(u, data) for u in parts["train"]]
            self.order = EpochOrder(len(self.train_pool), data.batch_size, data.data_seed)
            valid = parts["valid"]
        else:
            self.item_name, self.selection = "strings", Selection("der", higher_is_better=False)
            valid = held_out_strings(parts["valid"], data, "valid")
        self.valid_feats, self.valid_digits = [features_of(u, data) for u in valid], [u.digits for u in valid]

    def to(self, device) -> None:
        self.device = torch.device(device)

    def shard(self, rank: int, world: int) -> None:
        """DDP: recordings through the shared order (digit), or rows ``rank::world`` of each step's
        strings (ctc), drawn from the same seed on every rank."""
        self.rows.shard(rank, world)
        if self.model_config.output == "digit":
            self.order.shard(rank, world)

    @property
    def share(self) -> tuple[int, int]:
        return self.order.share if self.model_config.output == "digit" else self.rows.share

    def training_frames(self, utterances: list[fsdd.Utterance], rows: list[int] | None = None) -> list[torch.Tensor]:
        """The frames of this step's utterances: precomputed, or augmented from the seed
        ``[data_seed, step]`` (a resumed run draws what a straight one would)."""
        if not self.augments:
            return [self.train_feats[i] for i in rows] if rows is not None else \
                [features_of(u, self.data) for u in utterances]
        rank = [self.rows.rank] if self.rows.world > 1 else []  # DDP: each rank its own draws for its own rows
        rng = np.random.default_rng([self.data.data_seed, self.steps, 1, *rank])
        return [augmented(u, self.data, rng) for u in utterances]

    def train_loss(self) -> torch.Tensor:
        if self.model_config.output == "digit":
            rows = self.order.next_batch()
            x, lengths = padded(self.training_frames([self.train_pool[i] for i in rows], rows))
            self.steps += 1
            labels = torch.tensor([self.train_pool[i].digits[0] for i in rows], device=self.device)
            return F.cross_entropy(self.model(x.to(self.device), lengths.to(self.device)), labels)
        strings = fsdd.digit_strings(self.train_pool, self.data.batch_size, [self.data.data_seed, self.steps],
                                     self.data.min_digits, self.data.max_digits)
        mine = self.rows.mine(strings)
        self.rows.count(len(mine), len(strings))
        strings = mine
        x, lengths = padded(self.training_frames(strings))
        self.steps += 1
        log_probs = self.model(x.to(self.device), lengths.to(self.device))
        return ctc_nll(log_probs.cpu(), lengths, [u.digits for u in strings]) / len(strings)

    def evaluate(self) -> dict[str, float]:
        return score(self.model, self.valid_feats, self.valid_digits, self.device)

    def config(self) -> dict:
        return {"task": "speech", "model": asdict(self.model_config), "data": asdict(self.data)}

    def state(self):
        return {**(self.order.state() if self.model_config.output == "digit" else {}), "steps": self.steps}, {}

    def load_state(self, position: dict, tensors: dict) -> None:
        if self.model_config.output == "digit":
            self.order.load_state(position)
        self.steps = int(position["steps"])


def held_out_strings(pool: list[fsdd.Utterance], data: SpeechDataConfig, split: str) -> list[fsdd.Utterance]:
    count = data.valid_strings if split == "valid" else data.test_strings
    return fsdd.digit_strings(pool, count, [data.data_seed, HELD_OUT_SEED, ("valid", "test").index(split)],
                              data.min_digits, data.max_digits)


def read_parts(data: SpeechDataConfig, names=("train", "valid", "test")) -> dict[str, list[fsdd.Utterance]]:
    """The protocol's splits of the FSDD folder ``data.source``, read."""
    parts = fsdd.split(fsdd.recordings(fsdd.fsdd_folder(data.source or None)), data.held_out_speaker)
    return {name: fsdd.utterances(parts[name]) for name in names}


def new_task(data_path: str | None, data_options: dict, model_options: dict) -> SpeechTask:
    """A fresh task on the FSDD folder ``data_path`` (None: ``$RECUR_DATA/speech/fsdd``)."""
    data = SpeechDataConfig(**data_options, source=data_source(data_path))
    model = SpeechConfig(**model_options, input_size=data.feature_size * data.stack)
    return SpeechTask(model, data, read_parts(data, ("train", "valid")))


def saved_speech_config(config: dict) -> SpeechConfig:
    """The model settings of a checkpoint's config.json; one saved before ``pool`` existed read out
    its final states."""
    model = config.get("model")
    if isinstance(model, dict) and "pool" not in model:
        config = {**config, "model": {**model, "pool": "final"}}
    return saved_model_config(config, SpeechConfig)


# A checkpoint saved before these settings existed trained (and reads its recordings) without them.
ADDED_LATER = {"noise_snr": 0.0, "time_mask": 0, "trim_db": 0.0}


def with_added_later(config: dict) -> dict:
    """A checkpoint's config with the data settings it predates filled in as it was trained (no
    noise, no time masks, recordings whole), not with today's defaults."""
    if isinstance(config.get("data"), dict):
        return {**config, "data": {**ADDED_LATER, **config["data"]}}
    return config


def resumed_task(config: dict, data_path: str | None) -> SpeechTask:
    config = with_added_later(config)
    data = resumed_data(config, SpeechDataConfig, data_path)
    return SpeechTask(saved_speech_config(config), data, read_parts(data, ("train", "valid")))


def held_out(config: dict) -> dict[str, HeldOut]:
    """Validation and test: recordings (digit) or strings (ctc) of the protocol the model trained on."""
    config = with_added_later(config)
    data, output = SpeechDataConfig(**config["data"]), config["model"].get("output", "digit")
    parts = read_parts(data, ("valid", "test"))
    protocol = f"held-out speaker {data.held_out_speaker}" if data.held_out_speaker else "official split"
    out = {}
    for split, utterances in parts.items():
        if output == "ctc":
            utterances = held_out_strings(utterances, data, split)
        items = "strings" if output == "ctc" else "recordings"
        out[split] = HeldOut(utterances, f"{data.source or '$RECUR_DATA/' + fsdd.FSDD_FOLDER} {split}, {protocol} "
                                         f"({len(utterances)} {items})")
    return out


def untrained_model(config: dict) -> SpeechModel:
    config = with_added_later(config)
    return SpeechModel(SpeechRNN(saved_speech_config(config)), SpeechDataConfig(**config["data"]))


TRANSCRIBE = Verb("transcribe", "read the digits spoken in WAV files with a trained speech model: a JSON line per file",
                  SpeechModel, transcribe_arguments, run_transcribe)

SPEC = TaskSpec(
    name="speech", summary="spoken digits (FSDD): one digit per recording (accuracy) or digit strings by CTC "
                           "(digit error rate)",
    data_help=f"the FSDD folder holding recordings/ (default: $RECUR_DATA/{fsdd.FSDD_FOLDER})",
    DataConfig=SpeechDataConfig, ModelConfig=SpeechConfig, ready_type=SpeechModel,
    new_task=new_task, resumed_task=resumed_task, held_out=held_out, untrained_model=untrained_model,
    verbs=(TRANSCRIBE,), train_defaults=TRAINING)
