"""Yardsticks for SST-2 on recur's split: the majority class, and a bag-of-words logistic regression
(scikit-learn: unigram and bigram counts, lower-cased like recur's classifier; C picked on dev).

Both train on the same training set as ``recur train classify`` (``--train-set sentences`` or
``phrases``) and report accuracy on the 872 dev and 1,821 test sentences.

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="the SST folder (default: $RECUR_DATA/sst)")
    parser.add_argument("--train-set", choices=list(TRAIN_SETS), default="phrases")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    try:
        from sklearn.feature_extraction.text import CountVectorizer
        from sklearn.linear_model import LogisticRegression
    except ImportError:
        raise SystemExit("bench/sst2_baselines.py needs scikit-learn: pip install scikit-learn") from None
    folder = sst_folder(args.data)
    train = read_labelled(folder / TRAIN_SETS[args.train_set])
    held = {name: read_labelled(folder / relative) for name, relative in HELD_OUT.items()}
    majority = max((0, 1), key=[label for label, _ in train].count)
    rows = [{"model": f"majority class ({majority})", **{
        name: sum(label == majority for label, _ in examples) / len(examples) for name, examples in held.items()}}]
    vectorizer = CountVectorizer(lowercase=True, ngram_range=(1, 2), token_pattern=r"\S+")
    features = vectorizer.fit_transform([s for _, s in train])
    labels = [label for label, _ in train]
    best = None
    for c in (0.1, 0.3, 1.0, 3.0):
        model = LogisticRegression(C=c, max_iter=2000).fit(features, labels)
        dev = model.score(vectorizer.transform([s for _, s in held["dev"]]), [y for y, _ in held["dev"]])
        if best is None or dev > best[0]:
            best = (dev, c, model)
    dev, c, model = best
    test = model.score(vectorizer.transform([s for _, s in held["test"]]), [y for y, _ in held["test"]])
    rows.append({"model": f"bag of words + bigrams, logistic regression (C={c}, picked on dev)", "dev": dev,
                 "test": test})
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
