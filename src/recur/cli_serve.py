"""``recur serve DIR``: the face of ``recur.serve``, a local page over a trained language model
(a generation playground, and the cell viewer for character models) or a translation model (a
translation box with its attention). Starlette and uvicorn are an
optional extra, imported only when the command runs."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from recur.checks import number_flag
from recur.errors import RecurError
from recur.generate.kernels import set_threads, usable_cores
from recur.serve.limits import Limits
from recur.tasks import load
from recur.tasks.stream_lm import StreamLM
from recur.tasks.music import MusicModel
from recur.tasks.translate import Translator

OPTIONAL = ("starlette", "uvicorn")  # the extra 'recur[serve]'
MAX_STREAMS = 10_000  # a slot costs little, but every waiting request is an open connection


def add_serve_command(subparsers) -> None:
    """Add ``serve`` to the ``recur`` command's subparsers."""
    command = subparsers.add_parser(
        "serve", help="a local web page for a model: generate text and view its cells, translate, or compose",
        description="Serve a page for a translate checkpoint (a translation box and its attention), a music "
                    "checkpoint (a fresh piece played in the page, its piano roll and MIDI), or a charlm or "
                    "wordlm checkpoint: generation streamed as it is drawn, and "
                    "(character models) the cell viewer over a pasted text. Ctrl-C stops it.")
    command.add_argument("checkpoint", metavar="DIR", help="a checkpoint of recur train charlm, wordlm, translate or music")
    command.add_argument("--host", default="127.0.0.1",
                         help="address to listen on (default 127.0.0.1: this machine only; any other "
                              "address prints a warning, and --token is then advised)")
    command.add_argument("--port", type=number_flag(int, at_least=0, at_most=65535), default=8000,
                         help="port (default 8000; 0 picks a free one)")
    command.add_argument("--token", metavar="TEXT",
                         help="require TEXT with every request (open the page as URL?token=TEXT); at least 16 "
                              "printable ASCII characters. The environment variable RECUR_SERVE_TOKEN does the "
                              "same and stays out of the process list")
    command.add_argument("--max-streams", metavar="N", type=number_flag(int, at_least=1, at_most=MAX_STREAMS),
                         default=Limits.streams,
                         help=f"requests at the model at once, those waiting their turn included (default "
                              f"{Limits.streams}); more are answered at once with 429 and Retry-After")
    command.set_defaults(run=run_serve)


def run_serve(args) -> int:
    try:
        from recur.serve.access import (
            TOKEN_ENV,
            allowed_hosts,
            check_token,
            exposure_warning,
        )
        from recur.serve.app import create_app
        from recur.serve.music import create_music_app
        from recur.serve.translation import create_translation_app
        from recur.serve.server import listen, server_for, url_of
    except ModuleNotFoundError as err:
        missing = (err.name or "").split(".")[0]
        if missing not in OPTIONAL:
            raise
        raise RecurError(f"recur serve needs {missing}, which is not installed: pip install 'recur[serve]'") from None
    if args.token is not None:
        token = check_token(args.token)
    else:  # an empty variable counts as unset, as `export RECUR_SERVE_TOKEN=` is how a shell clears one
        token = check_token(os.environ.get(TOKEN_ENV) or None, TOKEN_ENV)
    model = load(args.checkpoint, (StreamLM, Translator, MusicModel), "'recur serve'")  # the models a page exists for
    set_threads(min(2, usable_cores()))
    sock = listen(args.host, args.port)
    address, port = sock.getsockname()[:2]
    make_app = (create_translation_app if isinstance(model, Translator) else
                create_music_app if isinstance(model, MusicModel) else create_app)
    app = make_app(model, Path(args.checkpoint).resolve().name, Limits(streams=args.max_streams),
                   allowed_hosts=allowed_hosts(address), token=token)
    warning = exposure_warning(address, port, token)
    if warning:
        print(warning, file=sys.stderr, flush=True)
    needs = " (needs the token: add ?token=...)" if token else ""
    kind = (f"{model.direction} translation" if isinstance(model, Translator) else
            f"{model.data.set} music" if isinstance(model, MusicModel) else f"{model.unit}")
    print(f"recur serve: {url_of(sock)}{needs} ({kind} model {args.checkpoint}; Ctrl-C stops)", flush=True)
    try:
        server_for(app).run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn has shut down cleanly, then re-raised the Ctrl-C: stopping is the way out
        pass
    print("recur serve: stopped", file=sys.stderr)
    return 0
