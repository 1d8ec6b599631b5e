"""Yardsticks for SST-2 on recur's split: the majority class, and a bag-of-words logistic regression
(scikit-learn: unigram and bigram counts, lower-cased like recur's classifier; C picked on dev).

Both train on the same training set as ``recur train classify`` (``--train-set sentences`` or
``phrases``) and report accuracy on the 872 dev and 1,821 test sentences. ``bench/classify.py``
runs the same yardsticks beside a recur model, in one run.

    pip install scikit-learn
    RECUR_DATA=../shared/data python bench/sst2_baselines.py --train-set phrases   # bench/results/sst2_baselines.json
"""

from __future__ import annotations

import argparse
from pathlib import Path

from recur.data.labelled import read_labelled
from recur.tasks.classify import HELD_OUT, TRAIN_SETS, sst_folder
from results_file import write_results

RESULTS = Path(__file__).resolve().parent / "results"
BOW_C = (0.1, 0.3, 1.0, 3.0)


def require_sklearn(script: str) -> None:
    try:
        import sklearn  # noqa: F401
    except ImportError:
        raise SystemExit(f"{script} needs scikit-learn for the bag-of-words yardstick: pip install scikit-learn") from None


def sst_splits(data: str | None, train_set: str) -> tuple[list, dict[str, list]]:
    """``(training examples, {"dev": ..., "test": ...})`` as ``(label, sentence)`` pairs."""
    folder = sst_folder(data)
    return (read_labelled(folder / TRAIN_SETS[train_set]),
            {name: read_labelled(folder / relative) for name, relative in HELD_OUT.items()})


def yardsticks(train: list, held: dict[str, list]) -> list[dict]:
    """Accuracy of the majority class and of the bag-of-words model on each held-out split."""
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression

    majority = max((0, 1), key=[label for label, _ in train].count)
    rows = [{"model": f"majority class ({majority})", **{
        name: sum(label == majority for label, _ in examples) / len(examples) for name, examples in held.items()}}]
    vectorizer = CountVectorizer(lowercase=True, ngram_range=(1, 2), token_pattern=r"\S+")
    features = vectorizer.fit_transform([s for _, s in train])
    labels = [label for label, _ in train]

    def accuracy(model, split):
        return model.score(vectorizer.transform([s for _, s in held[split]]), [y for y, _ in held[split]])

    fitted = [(c, LogisticRegression(C=c, max_iter=2000).fit(features, labels)) for c in BOW_C]
    c, model = max(fitted, key=lambda pair: accuracy(pair[1], "dev"))  # the first of equals
    rows.append({"model": f"bag of words + bigrams, logistic regression (C={c}, picked on dev)",
                 **{split: accuracy(model, split) for split in held}})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="the SST folder (default: $RECUR_DATA/sst)")
    parser.add_argument("--train-set", choices=list(TRAIN_SETS), default="phrases")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    require_sklearn("bench/sst2_baselines.py")
    train, held = sst_splits(args.data, args.train_set)
    rows = yardsticks(train, held)
    for row in rows:
        print(f"{row['model']}: dev {100 * row['dev']:.1f} %, test {100 * row['test']:.1f} %")
    seen = {s.lower() for _, s in train}  # held-out sentences that also appear verbatim in training
    overlap = {name: sum(s.lower() in seen for _, s in examples) for name, examples in held.items()}
    print("held-out sentences found verbatim in the training set: "
          + ", ".join(f"{name} {n} of {len(held[name])}" for name, n in overlap.items()))
    out = args.out or RESULTS / f"sst2_baselines_{args.train_set}.json"
    write_results({"benchmark": "SST-2 yardsticks", "train_set": args.train_set, "train_examples": len(train),
                   "held_out_in_training": overlap, "rows": rows}, out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
