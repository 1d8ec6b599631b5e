"""Carry text from the model's worker thread to a streamed response, piece by piece.

The model runs in one worker thread (``app.create_app`` makes it), never on the event loop, so the
page stays responsive while it writes. The worker puts each piece on an asyncio queue through the
loop's thread-safe door; the response takes whatever has arrived since its last write as one chunk.
When the client goes away the response is cancelled, and ``stop`` tells the worker to quit at its
next piece instead of writing the rest for nobody.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Iterable
from concurrent.futures import Executor

END = object()  # the worker is done


async def relay(pieces: Callable[[], Iterable[str]], worker: Executor) -> AsyncIterator[str]:
    """The text of ``pieces()``, iterated on ``worker``, in chunks as it comes."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue = asyncio.Queue()
    stop = threading.Event()

    def put(item) -> None:
        try:
            loop.call_soon_threadsafe(queue.put_nowait, item)
        except RuntimeError:  # the loop has closed: nobody is listening any more
            stop.set()

    def produce() -> None:
        try:
            for piece in pieces():
                if stop.is_set():
                    return
                put(piece)
        except Exception as err:  # handed to the response, which breaks off
            put(err)
        finally:
            put(END)

    loop.run_in_executor(worker, produce)
    try:
        while True:
            items = [await queue.get()]
            while not queue.empty():
                items.append(queue.get_nowait())
            chunk = "".join(item for item in items if isinstance(item, str))
            if chunk:
                yield chunk
            failure = next((item for item in items if isinstance(item, Exception)), None)
            if failure is not None:
                raise failure
            if items[-1] is END:
                return
    finally:
        stop.set()
