"""``recur sample DIR --out drawing.svg`` (or ``.png``) on a stroke model: new drawings, ``--samples
16`` of them as a grid, drawn with Graves' ``--bias`` (0: the trained distribution; larger: neater,
less varied) and ``--temperature``. One JSON line says what was written."""

from __future__ import annotations

import json
from pathlib import Path

from recur.checks import number_flag
from recur.errors import RecurError
from recur.viz.strokes_plot import WRITERS, write_drawings

MAX_POINTS, MAX_BIAS = 2_000, 10.0
DRAWING_FLAGS = ("out", "samples", "bias")  # the flags a stroke model reads (--out and --samples are shared)


def drawing_sample_arguments(group) -> None:
    group.add_argument("--bias", type=number_flag(float, at_least=0, at_most=MAX_BIAS), default=0.0,
                       help="strokes: Graves' sampling bias (0: as trained; 1 to 3: neater, less varied)")


def run_drawing_sample(model, args) -> int:
    if not args.out or Path(args.out).suffix.lower() not in WRITERS:
        raise RecurError(f"a stroke model draws: give --out drawing.svg (or .png){'' if not args.out else f', not {args.out}'}")
    if args.length is not None and not 2 <= args.length <= MAX_POINTS:
        raise RecurError(f"--length {args.length}: a drawing has 2 to {MAX_POINTS:,} points")
    drawings = model.sample(args.samples, args.length, args.bias, args.temperature, args.seed)
    path = write_drawings(args.out, drawings)
    print(json.dumps({"drawing": str(path), "drawings": len(drawings), "points": [len(d) for d in drawings],
                      "bias": args.bias, "temperature": args.temperature}))
    return 0
