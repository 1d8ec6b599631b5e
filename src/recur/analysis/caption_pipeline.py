"""The captioner's yardstick: a per-digit classifier and a template, the pipeline a practitioner
would build without an RNN. It is handed each digit's position (its columns and top row, known
from composing the strip), so it never mis-segments: its exact accuracy on ``spell`` captions is the
practical ceiling. The classifier is scikit-learn's ``SVC`` (RBF kernel, its defaults) on the raw
64 pixels of the training digits: the same images the captioner trains on.
"""

from __future__ import annotations

import numpy as np

from recur.data.digit_strips import DIGIT, Strips, caption


def digit_classifier(images: np.ndarray, labels: np.ndarray):
    """An ``SVC`` fitted to ``images [N, 8, 8]``."""
    from sklearn.svm import SVC
    return SVC().fit(images.reshape(len(images), -1), labels)


def pipeline_captions(classifier, strips: Strips, style: str) -> list[str]:
    """Each strip's caption from the classifier's reading of each digit, cut out where it lies."""
    crops = [strip[top:top + DIGIT, start:end] for strip, spans, tops in zip(strips.images, strips.columns, strips.tops)
             for (start, end), top in zip(spans, tops)]
    predicted = iter(classifier.predict(np.stack(crops).reshape(len(crops), -1)).tolist())
    return [caption([next(predicted) for _ in digits], style) for digits in strips.digits]
