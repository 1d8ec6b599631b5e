"""``recur caption DIR strip.png``: the caption of each picture given, one line each;
``--show-attention out.png`` draws where each word of the first picture's caption looked."""

from __future__ import annotations

import json

import numpy as np

from recur.checks import number_flag, output_file
from recur.data.strip_image import read_strip
from recur.errors import RecurError
from recur.generate.beam import MAX_ALPHA
from recur.viz.caption_attention import plot_caption_attention


def caption_arguments(parser) -> None:
    parser.add_argument("images", nargs="+", metavar="IMAGE", help="pictures of digits (PNG, or any Pillow reads)")
    parser.add_argument("--beam", type=number_flag(int, at_least=1, at_most=100), default=5,
                        help="beam width; 1 is greedy (default 5)")
    parser.add_argument("--alpha", type=number_flag(float, at_least=0, at_most=MAX_ALPHA), default=0.6,
                        help="length normalisation of beam search, GNMT's alpha (default 0.6)")
    parser.add_argument("--show-attention", type=output_file(".png"), metavar="PNG",
                        help="draw where each word of the first caption looked")
    parser.add_argument("--json", action="store_true", help="one JSON line per image: image, caption")


def run_caption(captioner, args) -> int:
    strips = np.stack([read_strip(path) for path in args.images])
    texts, attention = captioner.caption(strips, args.beam, args.alpha, with_attention=True)
    if args.show_attention:
        if attention[0] is None:
            raise RecurError("this model has no attention (trained with --attention none); nothing to draw")
        plot_caption_attention(args.show_attention, strips[0], [*texts[0].split(), "</s>"], attention[0],
                               captioner.grid, f"beam {args.beam}: {texts[0] or '(empty)'}")
    for path, text in zip(args.images, texts):
        print(json.dumps({"image": path, "caption": text}) if args.json else text)
    return 0
