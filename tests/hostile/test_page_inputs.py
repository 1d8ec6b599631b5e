"""The page's hostile requests: every bad body or field of ``recur serve``'s routes is a 400 (or
413/415) with a JSON error naming the field where one is wrong; never a 500, a plain-text answer or
a 200 that breaks off. Starlette's TestClient re-raises any fault of the server's, so a test that
would have ended in a 500 fails here with its traceback."""

import json

import pytest

import recur
from tests.conftest import starlette_test_client
from recur.serve.app import create_app

TestClient = starlette_test_client()

GENERATE, CELLS = "/api/generate", "/api/cells"
DEEP = "[" * 3000 + "]" * 3000


@pytest.fixture(scope="module")
def charlm(tiny_charlm_dir):
    return recur.load(tiny_charlm_dir)


@pytest.fixture(scope="module")
def client(charlm):
    with TestClient(create_app(charlm, "tiny")) as client:
        yield client


def ask(client, path: str, body: str | bytes):
    """POST ``body`` as it is (not re-encoded) to ``path``."""
    content = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
    return client.post(path, content=content, headers={"content-type": "application/json"})


def refusal(response, status: int = 400) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    answer = response.json()
    assert isinstance(answer["error"], str) and answer["error"] and len(answer["error"]) < 300
    return answer


@pytest.mark.parametrize("body, message", [
    (DEEP, "nested too deeply"),
    ('{"a":' * 3000 + "1" + "}" * 3000, "nested too deeply"),
    ('{"prime": ' + DEEP + "}", "nested too deeply"),
    (b'{"length": 5, "prime": "\xff"}', "not UTF-8"),
    ('{"length": 5}'.encode("utf-16"), "not UTF-8"),
    (b"\xef\xbb\xbf{}", "not valid JSON"),  # a byte-order mark
    ("", "not valid JSON"),
    ('{"length": 5', "not valid JSON"),
    ("null", "must be a JSON object"),
    ('"prime"', "must be a JSON object"),
])
def test_bodies_that_are_not_one_flat_object(client, body, message):
    for path in (GENERATE, CELLS):
        assert message in refusal(ask(client, path, body))["error"]


@pytest.mark.parametrize("body, field, message", [
    # top_k: 2**63 was a 200 and then a dropped connection (OverflowError in the kernel)
    ({"top_k": 2**63}, "top_k", "top_k must be in [1, "),
    ('{"top_k": ' + "9" * 5000 + "}", "top_k", "top_k must be an integer, got inf"),
    ({"top_k": 1e30}, "top_k", "got 1e+30"),
    ({"top_k": 10_000}, "top_k", "the model's number of tokens"),
    ({"top_k": 0}, "top_k", "top_k must be in [1, "),
    ({"top_k": -1}, "top_k", "top_k must be in [1, "),
    ({"top_k": 2.5}, "top_k", "must be an integer"),
    ({"top_k": True}, "top_k", "got true"),
    ({"top_k": "5"}, "top_k", 'got "5"'),
    ('{"top_k": NaN}', "top_k", "must be an integer"),
    ('{"top_k": -Infinity}', "top_k", "must be an integer"),
    # temperature: nan printed "zzzz", 1e-320 drew garbage where greedy was meant
    ('{"temperature": NaN}', "temperature", "finite"),
    ('{"temperature": Infinity}', "temperature", "finite"),
    ({"temperature": 1e308}, "temperature", "0 (greedy) or in [0.01, 100]"),
    ({"temperature": 1e-320}, "temperature", "0 (greedy) or in [0.01, 100]"),
    ({"temperature": -1}, "temperature", "0 (greedy) or in [0.01, 100]"),
    ({"temperature": False}, "temperature", "got false"),
    ({"temperature": None}, "temperature", "got null"),
    ({"temperature": [1]}, "temperature", "got a JSON list"),
    ({"temperature": "x" * 50_000}, "temperature", "must be a number"),
    ('{"temperature": ' + "9" * 5000 + "}", "temperature", "finite"),
    # length
    ({"length": 0}, "length", "in [1, 2000]"),
    ({"length": -5}, "length", "in [1, 2000]"),
    ({"length": 2**64}, "length", "in [1, 2000]"),
    ({"length": 1e300}, "length", "in [1, 2000], got 1e+300"),
    ({"length": 1e17}, "length", "in [1, 2000], got 1e+17"),
    ('{"length": 1e999}', "length", "must be an integer"),
    ({"length": True}, "length", "got true"),
    ({"length": {"a": 1}}, "length", "got a JSON object"),
    ('{"length": ' + "[" * 900 + "]" * 900 + "}", "length", "got a JSON list"),
    # seed
    ({"seed": -1}, "seed", "seed must be in [0, "),
    ({"seed": 2**32}, "seed", "seed must be in [0, "),
    ({"seed": 2**63}, "seed", "got 9223372036854775808"),
    ({"seed": 1.5}, "seed", "must be an integer"),
    ('{"seed": NaN}', "seed", "must be an integer"),
    ({"seed": "7"}, "seed", 'got "7"'),
    # prime: too long, not text, characters the model never saw (a lone surrogate, NUL, emoji)
    ({"prime": "a" * 5001}, "prime", "at most 5,000"),
    ({"prime": None}, "prime", "must be a string, got null"),
    ({"prime": ["a"]}, "prime", "got a JSON list"),
    ({"prime": "\ud800"}, "prime", "never saw"),
    ({"prime": "\x00"}, "prime", "never saw"),
    ({"prime": "\U0001f600" * 5000}, "prime", "never saw"),
    ({"prime": "é" * 5000}, "prime", "never saw"),
    # names: unknown, repeated, unprintable, huge, very many
    ({"lenght": 5}, "lenght", "unknown field(s)"),
    ('{"length": 5, "length": 6}', "length", "more than once"),
    ({"\ud800": 1}, "\\ud800", "unknown field(s)"),
    ({"k" * 30_000: 1}, "k" * 36 + "...", "unknown field(s)"),
    ({f"k{i}": 1 for i in range(5000)}, "k0", "and 4,997 more"),
])
def test_bad_generation_fields_are_refused_naming_them(client, body, field, message):
    raw = body if isinstance(body, str) else json.dumps(body)
    answer = refusal(ask(client, GENERATE, raw))
    assert answer["field"] == field and message in answer["error"]


@pytest.mark.parametrize("body, field, message", [
    ({"text": ""}, "text", "at least 2 characters"),
    ({"text": "a" * 5001}, "text", "at most 5,000"),
    ({"text": 12}, "text", "must be a string, got 12"),
    ({"text": "\ud800\ud800"}, "text", "never saw"),
    ({"text": "ab", "top": 0}, "top", "in [1, 20]"),
    ({"text": "ab", "top": 2**63}, "top", "in [1, 20]"),
    ('{"text": "ab", "top": Infinity}', "top", "must be an integer"),
    ({"text": "ab", "top": None}, "top", "got null"),
    ({"text": "ab", "top": True}, "top", "got true"),
    ({"text": "ab", "prime": "x"}, "prime", "unknown field(s)"),
])
def test_bad_cell_viewer_fields_are_refused_naming_them(client, body, field, message):
    raw = body if isinstance(body, str) else json.dumps(body)
    answer = refusal(ask(client, CELLS, raw))
    assert answer["field"] == field and message in answer["error"]


def test_bodies_over_the_limit_and_of_another_type(client):
    assert "limit" in refusal(ask(client, GENERATE, json.dumps({"prime": "a" * 70_000})), 413)["error"]
    form = client.post(GENERATE, content=b"length=5", headers={"content-type": "text/plain"})
    assert "as JSON" in refusal(form, 415)["error"]


def test_greedy_extremes_that_are_allowed_still_write(client, charlm):
    """The edges of each range are answered in full: -0 is greedy, top_k may be the whole vocabulary."""
    vocab = len(charlm.vocab)
    for body in ({"temperature": -0.0, "length": 5}, {"temperature": 0.01, "length": 5, "seed": 1},
                 {"temperature": 100, "length": 5, "seed": 1}, {"top_k": vocab, "length": 5, "seed": 1},
                 {"seed": 2**32 - 1, "length": 5}, {"length": 5.0, "seed": 0}):
        response = client.post(GENERATE, json=body)
        assert response.status_code == 200 and len(response.text) == 5, (body, response.text)
