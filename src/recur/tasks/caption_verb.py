"""``recur caption DIR strip.png``: the caption of each picture given, one line each;
``--show-attention out.png`` draws where each word of the first picture's caption looked."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from recur.checks import number_flag, output_file
from recur.data.strip_image import read_strip, write_strip
from recur.errors import RecurError
from recur.generate.beam import add_beam_flags
from recur.viz.caption_attention import plot_caption_attention


def caption_arguments(parser) -> None:
    parser.add_argument("images", nargs="*", metavar="IMAGE", help="pictures of digits (PNG, or any Pillow reads)")
    parser.add_argument("--test-strip", type=number_flag(int, at_least=0), action="append", default=[], metavar="N",
                        help="also caption strip N of the model's test set (repeatable); --save-strips writes them")
    parser.add_argument("--save-strips", metavar="FOLDER", help="write each --test-strip as FOLDER/test_strip_N.png")
    add_beam_flags(parser)
    parser.add_argument("--show-attention", type=output_file(".png"), metavar="PNG",
                        help="draw where each word of the first caption looked")
    parser.add_argument("--json", action="store_true", help="one JSON line per image: image, caption")


def run_caption(captioner, args) -> int:
    if not args.images and not args.test_strip:
        raise RecurError("nothing to caption: give an image, or --test-strip N")
    names, strips = list(args.images), [read_strip(path) for path in args.images]
    if args.test_strip:
        test = captioner.test_strips()
        for n in args.test_strip:
            if n >= len(test):
                raise RecurError(f"--test-strip {n}: the test set has {len(test)} strips (0 to {len(test) - 1})")
            names.append(f"test strip {n}")
            strips.append(test.images[n])
            if args.save_strips:
                Path(args.save_strips).mkdir(parents=True, exist_ok=True)
                write_strip(Path(args.save_strips) / f"test_strip_{n}.png", test.images[n], scale=4)
    strips = np.stack(strips)
    texts, attention = captioner.caption(strips, args.beam, args.alpha, with_attention=True)
    if args.show_attention:
        if attention[0] is None:
            raise RecurError("this model has no attention (trained with --attention none); nothing to draw")
        plot_caption_attention(args.show_attention, strips[0], [*texts[0].split(), "</s>"], attention[0],
                               captioner.grid, f"beam {args.beam}: {texts[0] or '(empty)'}")
    for name, text in zip(names, texts):
        print(json.dumps({"image": name, "caption": text}) if args.json else text)
    return 0
