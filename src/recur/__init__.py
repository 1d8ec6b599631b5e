"""recur: recurrent neural networks from the lectures' equations, fast and checked.

    import recur
    task = recur.CharLMTask.from_text(open("input.txt").read(), hidden=256, layers=2)
    recur.Trainer(task, recur.TrainConfig(minutes=2), "runs/mine").fit()
    print(recur.load("runs/mine").generate("ROMEO:", length=200, temperature=0.8))
"""

from recur import cells
from recur.cells import CELLS, build_cell
from recur.errors import RecurError
from recur.models import LanguageModel, LanguageModelConfig
from recur.recurrent import Recurrent
from recur.tasks import load
from recur.tasks.charlm import CharDataConfig, CharLM, CharLMTask
from recur.train import TrainConfig, Trainer

__all__ = [
    "CELLS", "CharDataConfig", "CharLM", "CharLMTask", "LanguageModel", "LanguageModelConfig", "RecurError",
    "Recurrent", "TrainConfig", "Trainer", "build_cell", "cells", "load",
]
__version__ = "0.1.0"
