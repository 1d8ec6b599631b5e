"""The task seam: a new task is one module and one registry entry. A toy task (the parity of a bit
string, the classic test of an RNN's memory) is defined here and registered, and everything a task
gets comes with it unchanged: ``recur train TASK`` with flags from its configs, ``--help``,
foreign flags refused, ``--resume``, ``recur eval`` on typed held-out splits, ``recur info``, its
own verb, and refusals by the other tasks' verbs. docs/architecture.md walks through the same steps."""

import json
from dataclasses import asdict, dataclass, field

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from recur.cli import build_parser, main
from recur.models.encoder import EncoderConfig
from recur.tasks import TASKS
from recur.tasks.spec import HeldOut, TaskSpec, Verb, saved_model_config


@dataclass(frozen=True)
class ParityData:
    length: int = field(default=6, metadata={"help": "bits per string"})
    examples: int = 512
    seed: int = field(default=0, metadata={"flag": False})


@dataclass(frozen=True, kw_only=True)
class ParityModelConfig(EncoderConfig):
    hidden: int = 16
    layers: int = 1


class ParityNet(nn.Module):
    """bits [B, T] -> logits [B, 2] from the final state."""

    def __init__(self, config: ParityModelConfig):
        super().__init__()
        self.config = config
        self.rnn = config.build_encoder(1)
        self.head = nn.Linear(config.hidden, 2)

    def forward(self, bits):
        _, state = self.rnn(bits[..., None].float())
        return self.head(state.h[-1])


def bit_strings(data: ParityData, seed: int):
    generator = torch.Generator().manual_seed(seed)
    bits = torch.randint(0, 2, (data.examples, data.length), generator=generator)
    return bits, bits.sum(1) % 2


class ParityModel:
    """The ready model: scores (bits, labels), and answers the ``parity`` verb."""
    item_name = "strings"

    def __init__(self, model: ParityNet):
        self.model = model

    @torch.no_grad()
    def evaluate(self, data) -> dict[str, float]:
        bits, labels = data
        logits = self.model(bits)
        return {"loss": float(F.cross_entropy(logits, labels)),
                "accuracy": float((logits.argmax(-1) == labels).float().mean())}

    def count(self, data) -> int:
        return len(data[0])

    def evaluation_data(self, path: str):
        bits = torch.tensor([[int(b) for b in line.strip()] for line in open(path) if line.strip()])
        return bits, bits.sum(1) % 2


class ParityTask:
    item_name, items_per_step = "strings", 32

    def __init__(self, model_config: ParityModelConfig, data: ParityData):
        self.model_config, self.data, self.model = model_config, data, ParityNet(model_config)
        self.bits, self.labels = bit_strings(data, data.seed)
        self.held_out = bit_strings(data, data.seed + 1)
        self.position = 0

    def train_loss(self):
        rows = slice(self.position * 32 % len(self.bits), self.position * 32 % len(self.bits) + 32)
        self.position += 1
        return F.cross_entropy(self.model(self.bits[rows]), self.labels[rows])

    def evaluate(self):
        return ParityModel(self.model).evaluate(self.held_out)

    def config(self):
        return {"task": "parity", "model": asdict(self.model_config), "data": asdict(self.data)}

    def state(self):
        return {"position": self.position}, {}

    def load_state(self, position, tensors):
        self.position = position["position"]


def run_parity(model: ParityModel, args) -> int:
    bits = torch.tensor([[int(b) for b in args.bits]])
    print(json.dumps({"parity": int(model.model(bits).argmax(-1))}))
    return 0


SPEC = TaskSpec(
    name="parity", summary="parity of a bit string (a toy)", data_help="unused",
    DataConfig=ParityData, ModelConfig=ParityModelConfig, ready_type=ParityModel,
    new_task=lambda path, data, model: ParityTask(ParityModelConfig(**model), ParityData(**data)),
    resumed_task=lambda config, path: ParityTask(ParityModelConfig(**config["model"]),
                                                 ParityData(**config["data"])),
    held_out=lambda config: {"test": HeldOut(bit_strings(ParityData(**config["data"]), 99), "seed 99")},
    untrained_model=lambda config: ParityModel(ParityNet(saved_model_config(config, ParityModelConfig))),
    verbs=(Verb("parity", "the parity of a bit string", ParityModel,
                lambda parser: parser.add_argument("bits"), run_parity),))


@pytest.fixture
def registered(monkeypatch):
    monkeypatch.setitem(TASKS, "parity", SPEC)


def test_a_task_registered_in_one_line_gets_every_command(registered, tmp_path, capsys, last_json):
    out = tmp_path / "parity"
    assert main(["train", "parity", "--help"]) == 0
    shown = capsys.readouterr().out
    assert "--length LENGTH" in shown and "bits per string; default: 6" in shown and "--hidden" in shown
    assert "--seed" in shown and "--embedding" not in shown and "--examples" in shown

    train = ["train", "parity", "--out", str(out), "--length", "4", "--cell", "gru", "--lr", "0.02"]
    assert main([*train, "--max-steps", "10", "--eval-every", "5"]) == 0
    assert main(["train", "parity", "--out", str(out), "--resume", "--max-steps", "20"]) == 0
    assert last_json()["step"] == 20

    assert main(["eval", str(out)]) == 0
    scores = last_json()
    assert scores["strings"] == 512 and scores["data"] == "seed 99" and 0 <= scores["accuracy"] <= 1
    strings = tmp_path / "bits.txt"
    strings.write_text("0110\n1110\n")
    assert main(["eval", str(out), "--data", str(strings)]) == 0 and last_json()["strings"] == 2

    assert main(["info", str(out), "--json"]) == 0
    summary = last_json()
    assert summary["task"] == "parity" and summary["model"]["cell"] == "gru" and summary["data"]["length"] == 4
    assert [s["to_step"] for s in summary["sessions"]] == [10, 20]

    assert main(["parity", str(out), "0111"]) == 0 and last_json()["parity"] in (0, 1)
    assert main(["sample", str(out)]) == 2
    assert "a parity model; 'recur sample' needs a model of charlm or wordlm" in capsys.readouterr().err
    assert main(["train", "parity", "--out", str(tmp_path / "x"), "--embedding", "4"]) == 2
    assert "unrecognized arguments: --embedding 4" in capsys.readouterr().err


def test_two_tasks_cannot_bring_different_verbs_of_one_name(registered, monkeypatch):
    clash = Verb("sample", "another sample", ParityModel, lambda parser: None, run_parity)
    monkeypatch.setitem(TASKS, "parity", TaskSpec(**{**SPEC.__dict__, "verbs": (clash,)}))
    with pytest.raises(ValueError, match="two different commands are named 'sample'"):
        build_parser()


def test_every_tasks_training_defaults_are_training_settings(capsys):
    from dataclasses import fields

    from recur.cli import main
    from recur.tasks import TASKS
    from recur.train.trainer import TrainConfig
    names = {f.name for f in fields(TrainConfig)}
    for spec in TASKS.values():
        assert set(spec.train_defaults) <= names - {"max_steps", "minutes"}, spec.name  # a budget is the user's
        TrainConfig(**spec.train_defaults, max_steps=1)  # valid values
    assert main(["train", "babi", "--help"]) == 0
    shown = " ".join(capsys.readouterr().out.split())
    assert "default: sgd" in shown and "default: 0.16" in shown  # the help shows the task's own defaults
