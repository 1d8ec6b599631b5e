"""Application models, each a thin composition of cells and the Recurrent layer."""

from recur.models.classifier import ClassifierConfig, SequenceClassifier
from recur.models.echo_state import EchoStateConfig, EchoStateNetwork
from recur.models.language_model import LanguageModel, LanguageModelConfig

__all__ = ["ClassifierConfig", "EchoStateConfig", "EchoStateNetwork", "LanguageModel", "LanguageModelConfig",
           "SequenceClassifier"]
