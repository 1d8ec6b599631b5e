"""The sequence classifier reads each sentence's final state at its true end."""

import pytest
import torch

from recur.models import ClassifierConfig, SequenceClassifier
from recur.tasks import classify


@pytest.mark.parametrize("bidirectional", [False, True])
def test_padding_never_reaches_the_answer(bidirectional):
    model = SequenceClassifier(ClassifierConfig(vocab_size=20, hidden=8, embedding=6, dropout=0.0,
                                                bidirectional=bidirectional, layers=2)).eval()
    sentences = [torch.tensor([3, 4, 5, 6, 7]), torch.tensor([8, 9]), torch.tensor([10, 11, 12])]
    ids, lengths, _ = classify.padded([(0, s) for s in sentences])
    together = model(ids, lengths)
    alone = torch.cat([model(s[None], torch.tensor([len(s)])) for s in sentences])
    torch.testing.assert_close(together, alone)
