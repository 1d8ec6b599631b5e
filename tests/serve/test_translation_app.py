"""``recur serve`` over a translation model, through Starlette's TestClient: the page, a translation
with its attention grid, the same answer as ``recur translate``, and bad requests refused as JSON."""


import pytest

import recur
from tests.conftest import starlette_test_client
from recur.serve.translation import create_translation_app

TestClient = starlette_test_client()


@pytest.fixture(scope="module")
def translator(tiny_translator_dir):
    return recur.load(tiny_translator_dir)


@pytest.fixture(scope="module")
def client(translator):
    with TestClient(create_translation_app(translator, "reverser")) as client:
        yield client


def test_the_page_describes_the_model(client):
    page = client.get("/")
    assert page.status_code == 200 and "default-src 'none'" in page.headers["content-security-policy"]
    assert "<title>recur serve: reverser</title>" in page.text and '"attention": "bahdanau"' in page.text


def test_a_translation_comes_with_its_attention(client, translator):
    answer = client.post("/api/translate", json={"text": "3 1 4 1", "beam": 3})
    assert answer.status_code == 200, answer.text
    data = answer.json()
    assert data["translation"] == translator.translate(["3 1 4 1"], beam=3)[0] == "1 4 1 3"
    assert data["source"] == translator.source_pieces("3 1 4 1") and data["target"][-1] == "</s>"
    assert len(data["attention"]) == len(data["target"]) and {len(r) for r in data["attention"]} == {len(data["source"])}
    assert all(abs(sum(row) - 1) < 1e-3 for row in data["attention"])


@pytest.mark.parametrize("body, field, fragment", [
    ({"text": ""}, "text", "empty"),
    ({"text": "   "}, "text", "empty"),
    ({"text": 7}, "text", "must be a string"),
    ({}, "text", "missing"),
    ({"text": "1 2\n3 4"}, "text", "one sentence"),
    ({"text": "1" * 1001}, "text", "at most 1,000"),
    ({"text": "1 2", "beam": 0}, "beam", "in [1, 10], got 0"),
    ({"text": "1 2", "beam": 11}, "beam", "in [1, 10], got 11"),
    ({"text": "1 2", "beam": "5"}, "beam", "an integer"),
    ({"text": "1 2", "beams": 5}, "beams", "unknown field"),
])
def test_bad_requests_are_refused_naming_the_field(client, body, field, fragment):
    answer = client.post("/api/translate", json=body)
    assert answer.status_code == 400 and answer.json()["field"] == field and fragment in answer.json()["error"]


def test_a_body_that_is_not_json_is_refused(client):
    answer = client.post("/api/translate", content=b"text=1", headers={"content-type": "text/plain"})
    assert answer.status_code == 415 and "JSON" in answer.json()["error"]
