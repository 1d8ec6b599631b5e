"""``recur serve``'s app through Starlette's TestClient: the page, generation streamed exactly as
``lm.generate`` writes it, the cell viewer's data, every refusal as JSON, and the command itself."""

import json
import os
import signal
import subprocess
import sys
import threading
import urllib.request

import pytest
import torch

from recur.analysis.activations import record_units, top_units
from recur.cli import main
from recur.data import WordVocab
from recur.models import LanguageModel, LanguageModelConfig
from recur.serve.app import create_app
from recur.serve.limits import Limits
from recur.tasks.wordlm import WordLM
from recur.viz.cells_html import cells_data
from tests.conftest import starlette_test_client

TestClient = starlette_test_client()

PASTED = "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n"


@pytest.fixture(scope="module")
def client(charlm):
    with TestClient(create_app(charlm, "tiny")) as client:
        yield client


def streamed(client, body) -> tuple[int, list[str]]:
    with client.stream("POST", "/api/generate", json=body) as response:
        return response.status_code, list(response.iter_text())


def test_the_page_loads_and_is_self_contained(client):
    response = client.get("/")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    page = response.text
    assert "<title>recur serve: tiny</title>" in page and 'id="generate-form"' in page and 'id="unit"' in page
    assert "http" not in page and "src=" not in page  # nothing is fetched from anywhere
    assert "default-src 'none'" in response.headers["content-security-policy"]
    info = json.loads(page.split('<script type="application/json" id="info">')[1].split("</script>")[0])
    assert info["unit"] == "character" and info["cells"] and info["limits"]["length"] == 2000


@pytest.mark.parametrize("settings", [{"temperature": 1.0, "seed": 3}, {"temperature": 0.7, "top_k": 5, "seed": 11},
                                      {"temperature": 0}])
def test_generation_streams_what_generate_writes(client, charlm, settings):
    body = {"prime": "ROMEO:", "length": 300, **settings}
    status, chunks = streamed(client, body)
    text = "".join(chunks)
    assert status == 200 and len(text) == 300
    assert text == charlm.generate("ROMEO:", 300, settings["temperature"], settings.get("top_k"),
                                   seed=settings.get("seed"))
    assert "".join(streamed(client, body)[1]) == text  # the same seed, the same text


def test_long_generations_arrive_in_pieces_and_different_seeds_differ(client):
    status, chunks = streamed(client, {"length": 2000, "seed": 1})
    assert status == 200 and sum(map(len, chunks)) == 2000 and len(chunks) > 1
    assert "".join(chunks) != "".join(streamed(client, {"length": 2000, "seed": 2})[1])


class HeldLM:
    """``lm`` whose generation waits for ``release`` (at most 5 s) before it writes."""

    def __init__(self, lm):
        self.lm, self.started, self.release, self.waited_out = lm, threading.Event(), threading.Event(), None

    def __getattr__(self, name):
        return getattr(self.lm, name)

    def stream(self, *args):
        self.started.set()
        self.waited_out = not self.release.wait(5)
        yield from self.lm.stream(*args)


def test_the_page_answers_while_the_model_writes(charlm):
    held = HeldLM(charlm)
    with TestClient(create_app(held)) as client:
        answer = {}
        writer = threading.Thread(target=lambda: answer.update(
            text=client.post("/api/generate", json={"length": 20, "seed": 1}).text))
        writer.start()
        assert held.started.wait(5)
        assert client.get("/").status_code == 200  # the event loop is free while the model's thread waits
        held.release.set()
        writer.join(10)
    assert held.waited_out is False and answer["text"] == charlm.generate("", 20, seed=1)


def test_the_cell_viewer_data(client, charlm):
    response = client.post("/api/cells", json={"text": PASTED, "top": 3})
    assert response.status_code == 200
    data = response.json()
    assert {"text", "units", "chosen", "values", "top"} <= set(data) and data["text"] == PASTED
    assert len(data["units"]) == 64 and all(len(v) == len(PASTED) for v in data["values"])  # 32 h + 32 c
    assert all(len(rows) == 3 for rows in data["top"].values()) and "line_position" in data["top"]
    activations = record_units(charlm.model, charlm.vocab.encode(PASTED))
    assert data == json.loads(json.dumps(cells_data(PASTED, activations, top_units(activations, PASTED, 3))))


@pytest.mark.parametrize("path, body, field, message", [
    ("/api/generate", {"length": 0}, "length", "length must be in [1, 2000], got 0"),
    ("/api/generate", {"length": 2001}, "length", "length must be in [1, 2000], got 2001"),
    ("/api/generate", {"length": "ten"}, "length", 'length must be an integer, got "ten"'),
    ("/api/generate", {"length": None}, "length", "length must be an integer, got null"),
    ("/api/generate", {"length": 2.5}, "length", "length must be an integer, got 2.5"),
    ("/api/generate", {"prime": "x" * 5001}, "prime", "prime has 5,001 characters; at most 5,000"),
    ("/api/generate", {"prime": 7}, "prime", "prime must be a string"),
    ("/api/generate", {"prime": "ROMEO\u00e9\u20ac:"}, "prime",
     "the prime has 2 character(s) the model never saw: 'é', '€'"),
    ("/api/generate", {"temperature": -0.5}, "temperature", "0 (greedy) or in [0.01, 100], got -0.5"),
    ("/api/generate", {"temperature": "hot"}, "temperature", "temperature must be a number"),
    ("/api/generate", {"temperature": True}, "temperature", "temperature must be a number"),
    ("/api/generate", {"top_k": 0}, "top_k", "is the model's number of tokens; null keeps them all"),
    ("/api/generate", {"seed": -1}, "seed", "seed must be in [0, "),
    ("/api/generate", {"lenght": 5}, "lenght", 'unknown field(s) "lenght"'),
    ("/api/cells", {}, "text", "text must be a string, and is missing"),
    ("/api/cells", {"text": "a"}, "text", "text must have at least 2 characters"),
    ("/api/cells", {"text": "x" * 5001}, "text", "text has 5,001 characters; at most 5,000"),
    ("/api/cells", {"text": "caf\u00e9 au lait"}, "text", "the text has 1 character(s) the model never saw: 'é'"),
    ("/api/cells", {"text": PASTED, "top": 21}, "top", "top must be in [1, 20], got 21"),
])
def test_bad_fields_are_refused_naming_the_field(client, path, body, field, message):
    response = client.post(path, json=body)
    assert response.status_code == 400
    assert response.json()["field"] == field and message in response.json()["error"]


def test_bodies_over_the_limit_are_refused_before_they_are_read(client):
    big = json.dumps({"prime": "a" * 70_000}).encode()
    response = client.post("/api/generate", content=big, headers={"content-type": "application/json"})
    assert response.status_code == 413 and "65,536 bytes" in response.json()["error"]
    unsized = client.post("/api/cells", content=iter([big[:40_000], big[40_000:]]),  # chunked: no length given
                          headers={"content-type": "application/json"})
    assert unsized.status_code == 413 and "limit" in unsized.json()["error"]


@pytest.mark.parametrize("content, content_type, status, message", [
    (b"{", "application/json", 400, "not valid JSON"),
    (b"\xff\xfe", "application/json", 400, "not UTF-8"),
    (b"[1, 2]", "application/json", 400, "must be a JSON object"),
    (b"length=5", "application/x-www-form-urlencoded", 415, "as JSON"),
])
def test_bodies_that_are_not_a_json_object_are_refused(client, content, content_type, status, message):
    response = client.post("/api/generate", content=content, headers={"content-type": content_type})
    assert response.status_code == status and message in response.json()["error"]


def test_unknown_routes_and_methods(client):
    missing = client.get("/etc/passwd")
    assert missing.status_code == 404 and missing.json() == {"error": "no such page: /etc/passwd"}
    wrong = client.get("/api/generate")
    assert wrong.status_code == 405 and "error" in wrong.json()


def test_limits_are_the_apps_own(charlm):
    with TestClient(create_app(charlm, limits=Limits(body_bytes=100, length=10, text_chars=20))) as client:
        assert client.post("/api/generate", json={"length": 11}).json()["error"] == \
            "length must be in [1, 10], got 11"
        assert client.post("/api/cells", json={"text": "a" * 21}).json()["field"] == "text"
        assert client.post("/api/generate", json={"prime": "a" * 90}).status_code == 413


def test_only_the_allowed_hosts_are_answered(charlm):
    with TestClient(create_app(charlm, allowed_hosts=["127.0.0.1", "localhost"])) as client:
        refused = client.get("/")  # Host: testserver
        assert refused.status_code == 400 and "Host header said testserver" in refused.json()["error"]
        assert client.get("/", headers={"host": "localhost:8000"}).status_code == 200
    with TestClient(create_app(charlm, allowed_hosts=["[::1]"])) as client:
        assert client.get("/", headers={"host": "[::1]:8000"}).status_code == 200
        assert client.post("/api/generate", json={}, headers={"host": "evil.example:8000"}).status_code == 400


def test_a_word_model_generates_but_has_no_cell_viewer():
    vocab = WordVocab.from_text("the cat sat on the mat\nthe dog sat\n")
    torch.manual_seed(0)
    lm = WordLM(LanguageModel(LanguageModelConfig(vocab_size=len(vocab), hidden=8, layers=1, embedding=8)), vocab)
    with TestClient(create_app(lm, "words")) as client:
        page = client.get("/").text
        assert '"cells": false' in page and "needs a character model" in page
        refused = client.post("/api/cells", json={"text": "the cat sat"})
        assert refused.status_code == 400 and "this is a word model" in refused.json()["error"]
        assert "".join(streamed(client, {"prime": "the cat", "length": 12, "seed": 5})[1]) == \
            lm.generate("the cat", 12, seed=5)


def test_serve_needs_a_language_model_and_its_extra(charlm_dir, tmp_path, monkeypatch, capsys):
    assert main(["serve", str(tmp_path)]) == 2
    assert "not a recur checkpoint" in capsys.readouterr().err
    assert main(["serve", str(charlm_dir), "--port", "70000"]) == 2
    assert "argument --port: must be in [0, 65535], got 70000" in capsys.readouterr().err
    monkeypatch.delitem(sys.modules, "recur.serve.app")
    monkeypatch.setitem(sys.modules, "starlette.applications", None)  # as if Starlette were not installed
    assert main(["serve", str(charlm_dir)]) == 2
    assert "pip install 'recur[serve]'" in capsys.readouterr().err


def test_the_command_prints_its_url_and_serves_until_interrupted(charlm_dir):
    command = [sys.executable, "-m", "recur.cli", "serve", str(charlm_dir), "--port", "0"]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env={**os.environ, "OMP_NUM_THREADS": "1"})
    try:
        line = server.stdout.readline()
        assert line.startswith("recur serve: http://127.0.0.1:"), (line, server.stderr.read() if server.poll() else "")
        url = line.split()[2]
        with urllib.request.urlopen(url, timeout=10) as response:
            assert response.status == 200 and b"recur serve: tiny" in response.read()
        ask = urllib.request.Request(url + "api/generate", data=b'{"length": 40, "seed": 1}',
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(ask, timeout=10) as response:
            assert len(response.read().decode()) == 40
    finally:
        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=10) == 0


class BrokenLM(HeldLM):
    """``lm`` whose prime check fails as a bug would, not as a refusal."""

    def context(self, prime):
        raise ZeroDivisionError("a fault of the server's own")


def test_a_fault_of_the_server_is_a_json_500_not_plain_text(charlm):
    with TestClient(create_app(BrokenLM(charlm)), raise_server_exceptions=False) as client:
        response = client.post("/api/generate", json={"length": 5})
    assert response.status_code == 500 and response.headers["content-type"] == "application/json"
    assert "the server failed" in response.json()["error"]
