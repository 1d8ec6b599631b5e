"""``relay``: text from the model's worker thread reaches the response in order, a failure breaks the
stream off, and a stream closed early (the client went away) stops the worker."""

import asyncio
import itertools
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from recur.errors import RecurError
from recur.serve.relay import relay


async def collect(stream) -> list[str]:
    return [chunk async for chunk in stream]


def test_every_piece_arrives_in_order():
    with ThreadPoolExecutor(1) as worker:
        chunks = asyncio.run(collect(relay(lambda: (str(i % 10) for i in range(500)), worker)))
    assert "".join(chunks) == "".join(str(i % 10) for i in range(500))


def test_a_failure_in_the_worker_breaks_the_stream_off():
    def pieces():
        yield "ab"
        raise RecurError("the model broke")

    async def read():
        stream, got = relay(pieces, worker), []
        with pytest.raises(RecurError, match="the model broke"):
            async for chunk in stream:
                got.append(chunk)
        return got

    with ThreadPoolExecutor(1) as worker:
        assert asyncio.run(read()) == ["ab"]  # what came before the failure is still sent


def test_a_stream_closed_early_stops_the_worker():
    drawn = []

    def endless():
        for i in itertools.count():
            drawn.append(i)
            time.sleep(0.001)
            yield "x"

    async def first_chunk():
        stream = relay(endless, worker)
        chunk = await anext(stream)
        await stream.aclose()  # what the server does when the client goes away
        return chunk

    with ThreadPoolExecutor(1) as worker:
        assert set(asyncio.run(first_chunk())) == {"x"}
        worker.submit(lambda: None).result(timeout=5)  # the worker is free again: the writer stopped
        count = len(drawn)
        time.sleep(0.05)
        assert len(drawn) == count
