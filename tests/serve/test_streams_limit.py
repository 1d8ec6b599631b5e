"""The limit on requests at the model (``Limits.streams``, ``recur serve --max-streams``), against the
real server (uvicorn in a thread, httpx): past it a request gets 429 at once, JSON naming the limit,
with Retry-After; a stream that ends, or whose client goes away, gives its slot back; a bad request
is still told what is wrong with it while the slots are full."""

import contextlib
import json
import time

import httpx
import pytest

from recur.cli import main
from recur.serve.app import create_app
from recur.serve.limits import Limits, Slots
from tests.conftest import starlette_test_client
from tests.serve.test_app import HeldLM
from tests.serve.test_browser import serving


class SlowLM(HeldLM):
    """``lm`` that writes one token every 10 ms, so a long generation is still writing when cut off."""

    def __init__(self, lm):
        super().__init__(lm)
        self.drawn = 0

    def stream(self, *args):
        for step in self.lm.stream(*args):
            time.sleep(0.01)
            self.drawn += 1
            yield step


@contextlib.contextmanager
def streams(url: str, bodies: list[dict]):
    """One open streaming response per body, each past its headers (so it holds its slot)."""
    with httpx.Client(timeout=10) as client, contextlib.ExitStack() as stack:
        yield client, [stack.enter_context(client.stream("POST", url + "api/generate", json=b)) for b in bodies]


def test_slots_are_taken_up_to_the_size_and_given_back():
    slots = Slots(2)
    assert slots.take() and slots.take() and not slots.take()
    slots.give()
    assert slots.take() and not slots.take()


def test_past_the_limit_a_request_is_refused_at_once_and_the_slots_come_back_when_streams_end(charlm):
    held = HeldLM(charlm)
    with serving(create_app(held, "tiny", Limits(streams=2))) as url, \
            streams(url, [{"length": 30, "seed": 1}, {"length": 30, "seed": 2}]) as (client, (first, second)):
        assert first.status_code == second.status_code == 200
        started = time.perf_counter()
        refused = client.post(url + "api/generate", json={"length": 30})
        assert time.perf_counter() - started < 2  # answered, not queued behind the held streams
        assert refused.status_code == 429 and refused.headers["retry-after"] == "1"
        assert refused.headers["content-type"] == "application/json"
        message = refused.json()["error"]
        assert "2 requests are at the model already" in message and "--max-streams" in message
        assert client.post(url + "api/cells", json={"text": "ab"}).status_code == 429  # the cell viewer too
        held.release.set()
        assert first.read().decode() == charlm.generate("", 30, seed=1)
        assert second.read().decode() == charlm.generate("", 30, seed=2)
        for _ in range(3):  # every slot is free again, and stays so
            assert client.post(url + "api/generate", json={"length": 5, "seed": 3}).text == \
                charlm.generate("", 5, seed=3)
        assert client.post(url + "api/cells", json={"text": "ab"}).status_code == 200
    assert held.waited_out is False


def test_a_client_that_goes_away_frees_its_slot_and_the_worker(charlm):
    slow = SlowLM(charlm)
    with serving(create_app(slow, "tiny", Limits(streams=1))) as url, httpx.Client(timeout=10) as client:
        with client.stream("POST", url + "api/generate", json={"length": 2000}) as cut:  # 20 s if it ran out
            chunks = cut.iter_text()  # kept: httpx closes the connection when this iterator is dropped
            assert cut.status_code == 200 and next(chunks)
            assert client.post(url + "api/generate", json={"length": 5}).status_code == 429
        # the connection is closed with the body unread: the server sees the client go away
        deadline, answer = time.monotonic() + 5, None
        while time.monotonic() < deadline:
            answer = client.post(url + "api/generate", json={"length": 5, "seed": 4})
            if answer.status_code == 200:
                break
            time.sleep(0.05)
        assert answer.status_code == 200 and len(answer.text) == 5
        assert slow.drawn < 1000  # the cut stream stopped drawing long before its 2,000 tokens


class FailingLM(HeldLM):
    """``lm`` whose generation breaks down after its first token, as a bug in the model would."""

    def stream(self, *args):
        yield next(self.lm.stream(*args))
        raise ZeroDivisionError("a fault mid-stream")


def test_a_stream_that_fails_midway_gives_its_slot_back(charlm):
    with serving(create_app(FailingLM(charlm), "tiny", Limits(streams=1))) as url, httpx.Client(timeout=10) as client:
        for _ in range(2):  # the second is answered only if the first gave its slot back
            with client.stream("POST", url + "api/generate", json={"length": 50}) as broken:
                assert broken.status_code == 200
                with pytest.raises(httpx.RemoteProtocolError):  # broken off, not ended as if whole
                    broken.read()


@pytest.mark.parametrize("content, headers, status, field", [
    (json.dumps({"length": 0}), {"content-type": "application/json"}, 400, "length"),
    (json.dumps({"lenght": 5}), {"content-type": "application/json"}, 400, "lenght"),
    ("{not json", {"content-type": "application/json"}, 400, None),
    (json.dumps({"length": 5}), {"content-type": "text/plain"}, 415, None),
    (json.dumps({"prime": "x" * 70_000}), {"content-type": "application/json"}, 413, None),
])
def test_bad_requests_still_get_their_own_refusal_while_the_slots_are_full(charlm, content, headers, status, field):
    held = HeldLM(charlm)
    with serving(create_app(held, "tiny", Limits(streams=1))) as url, \
            streams(url, [{"length": 5}]) as (client, (holding,)):
        answer = client.post(url + "api/generate", content=content, headers=headers)
        assert answer.status_code == status and "error" in answer.json()
        assert answer.json().get("field") == field
        held.release.set()
        assert len(holding.read()) == 5


def test_the_flag_sets_the_limit_and_refuses_a_bad_one(charlm_dir, monkeypatch, capsys):
    assert main(["serve", str(charlm_dir), "--max-streams", "0"]) == 2
    assert "argument --max-streams: must be in [1, 10000], got 0" in capsys.readouterr().err
    apps = []

    class Recording:  # what run_serve hands the app to, instead of uvicorn
        def __init__(self, app):
            apps.append(app)

        def run(self, sockets):
            sockets[0].close()

    monkeypatch.setattr("recur.serve.server.server_for", Recording)
    assert main(["serve", str(charlm_dir), "--port", "0", "--max-streams", "3"]) == 0
    with starlette_test_client()(apps[0], base_url="http://127.0.0.1") as client:  # the loopback Host check
        page = client.get("/").text
    info = json.loads(page.split('<script type="application/json" id="info">')[1].split("</script>")[0])
    assert info["limits"]["streams"] == 3
