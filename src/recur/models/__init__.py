"""Application models, each a thin composition of cells and the Recurrent layer."""

from recur.models.language_model import LanguageModel, LanguageModelConfig

__all__ = ["LanguageModel", "LanguageModelConfig"]
