"""The trivial yardstick for word-level Penn Treebank: a unigram model fitted on the training split.

    p(w) = count_train(w) / N_train,   perplexity = exp( −(1/N) Σ_t log p(w_t) )

over the validation and test streams (``<eos>`` per line counted as a token, as for recur's
``wordlm``). Every PTB word occurs in training, so no smoothing is needed.

    RECUR_DATA=../shared/data python bench/ptb_unigram.py     # writes bench/results/ptb_unigram.json
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from results_file import write_results

from recur.data import WordVocab
from recur.models.unigram import unigram_loss
from recur.tasks.wordlm import ptb_folder, read_split

RESULTS = Path(__file__).resolve().parent / "results"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="folder of ptb.{train,valid,test}.txt[.gz] (default: $RECUR_DATA/ptb)")
    parser.add_argument("--out", type=Path, default=RESULTS / "ptb_unigram.json")
    args = parser.parse_args()
    folder = ptb_folder(args.data)
    train = read_split(folder, "train")
    vocab = WordVocab.from_text(train)
    train_ids = vocab.encode(train).tolist()
    rows = []
    for split in ("valid", "test"):
        ids = vocab.encode(read_split(folder, split), f"the {split} split").tolist()
        loss = unigram_loss(train_ids, ids)
        rows.append({"split": split, "words": len(ids), "loss": loss, "perplexity": math.exp(loss)})
        print(f"unigram {split}: perplexity {math.exp(loss):.1f} over {len(ids):,} words")
    write_results({"benchmark": "PTB unigram perplexity", "vocabulary": len(vocab), "train_words": len(train_ids),
                   "rows": rows}, args.out)


if __name__ == "__main__":
    main()
