"""Captioning strips of handwritten digits: the captioner against its floor and its ceiling, measured
in one run.

Rows (each ``recur train caption`` with the flags shown, ``--minutes`` of training, ``--threads``
each; two rows at a time, each trained and then scored in its own process):

    spell / count / largest         the default captioner (CNN + LSTM with soft attention) per style
    spell, no attention             the image reaches the decoder only through s_0 (the mean feature)
    spell, blind / count, blind     the same decoder with the image zeroed: a caption language model,
                                    the floor

and, fitted here in seconds, the pipeline (``recur.analysis.caption_pipeline``): an SVC per digit
on the training digits, told where each digit lies, and the caption template: the ceiling.

Each row's ``best/`` (the highest greedy val exact accuracy) is scored on val and test at beam 5 and
on test greedily: exact-caption accuracy, sacreBLEU BLEU-4, token accuracy, and (spell) how often
the attention's arg-max lies on the digit being named. The spell model's attention on test strips
is drawn into ``docs/caption_attention.png``.

    python bench/caption.py --minutes 8          # bench/results/caption.json
    python bench/caption.py --markdown bench/results/caption.json
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

import recur
from recur.analysis.caption_pipeline import digit_classifier, pipeline_captions
from recur.analysis.caption_scores import caption_scores
from recur.data.digit_strips import STYLES
from recur.data.strip_image import write_strip
from recur.machine import machine_info
from recur.tasks import caption as caption_task
from recur.tasks import checkpoint_folder
from recur.viz.caption_attention import plot_caption_attention
from results_file import write_results
from row_runner import row_benchmark, row_folders, train_row, training_record

RESULTS = Path(__file__).resolve().parent / "results"
DOCS = Path(__file__).resolve().parent.parent / "docs"
ROWS = {
    "spell": ["--style", "spell"],
    "spell, blind": ["--style", "spell", "--blind"],
    "spell, no attention": ["--style", "spell", "--attention", "none"],
    "count": ["--style", "count"],
    "count, blind": ["--style", "count", "--blind"],
    "largest": ["--style", "largest"],
}
SAMPLES = 6  # test strips whose captions are kept


def train_and_score(name: str, out: Path, minutes: float, threads: int) -> None:
    """One row, in its own process: train (unless ``best/`` exists), score, write ``out.json``."""
    command = ["train", "caption", "--out", str(out), "--minutes", str(minutes), "--threads", str(threads),
               *ROWS[name]]
    train_row(out, command)
    torch.set_num_threads(threads)
    write_results(scored(name, out, "recur " + " ".join(command)), out.with_suffix(".json"))


def scored(name: str, out: Path, command: str) -> dict:
    captioner = recur.load(out)
    config = json.loads((checkpoint_folder(out) / "config.json").read_text())
    splits = caption_task.held_out(config)
    row = {"model": name, "flags": ROWS[name], "command": command,
           **training_record(out, {"loss": "val_loss", "exact": "val_exact"})}
    for split, beam in (("val", 5), ("test", 5), ("test", 1)):
        captioner.beam = beam
        row[f"{split}_beam{beam}"] = captioner.evaluate(splits[split].data)
    test = splits["test"].data.subset(range(SAMPLES))
    row["samples"] = [{"reference": r, "caption": c} for r, c in
                      zip(test.captions(captioner.data.style), captioner.caption(test.images))]
    return row


def pipeline_rows() -> list[dict]:
    images, labels, splits = caption_task.Digits.get()
    classifier = digit_classifier(images[splits["train"]], labels[splits["train"]])
    digit_accuracy = float((classifier.predict(images[splits["test"]].reshape(len(splits["test"]), -1))
                            == labels[splits["test"]]).mean())
    rows = []
    for style in STYLES:
        data = caption_task.CaptionDataConfig(style=style)
        row = {"model": f"{style}, pipeline (SVC per digit, positions given, template)", "style": style,
               "test_digit_accuracy": round(100 * digit_accuracy, 4)}
        for split in ("val", "test"):
            strips = caption_task.held_out_strips(data, split)
            row[f"{split}_beam5"], _ = caption_scores(pipeline_captions(classifier, strips, style),
                                                      strips.captions(style))
        rows.append(row)
    return rows


def draw_attention(out: Path, strips: int = 3) -> list[Path]:
    """The spell model's look for each word of the first test strips: docs/caption_attention_K.png."""
    captioner = recur.load(out)
    test = caption_task.held_out(json.loads((checkpoint_folder(out) / "config.json").read_text()))["test"].data
    texts, attention = captioner.caption(test.images[:strips], with_attention=True)
    pictures = []
    for k in range(strips):
        pictures.append(plot_caption_attention(DOCS / f"caption_attention_{k}.png", test.images[k],
                                               [*texts[k].split(), "</s>"], attention[k], captioner.grid,
                                               f"test strip {k}, beam 5: {texts[k]}"))
    write_strip(DOCS / "caption_strip_0.png", test.images[0], scale=4)
    return pictures


def markdown(rows: list[dict]) -> str:
    lines = ["| model | training | val exact | test exact, beam 5 / greedy | test BLEU-4 | test token acc. | "
             "attention on the digit |", "| --- | --- | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        test = r["test_beam5"]
        greedy = f" / {r['test_beam1']['exact']:.1f}" if "test_beam1" in r else ""
        training = f"{r['training_minutes']:.0f} min, {r['steps']:,} steps" if "steps" in r else "fitted in seconds"
        looked = f"{test['attention_accuracy']:.1f} %" if "attention_accuracy" in test else "—"
        lines.append(f"| {r['model']} | {training} | {r['val_beam5']['exact']:.1f} | {test['exact']:.1f}{greedy} | "
                     f"{test['bleu']:.1f} | {test['token_accuracy']:.1f} | {looked} |")
    return "\n".join(lines)


def main() -> None:
    done = row_benchmark(__doc__, __file__, ROWS, train_and_score, markdown, minutes=8.0, runs="runs/caption",
                         out=RESULTS / "caption.json")
    if done is None:
        return
    rows, args = done
    draw_attention(row_folders(ROWS, args.runs)["spell"])
    rows += pipeline_rows()
    write_results({"machine": machine_info(), "minutes": args.minutes, "rows": rows}, args.out)
    print(markdown(rows))


if __name__ == "__main__":
    main()
