"""``recur serve`` over a music model, through Starlette's TestClient: the page, a composed piece
with its roll, MIDI and WAV (where FluidSynth is installed), the same piece as the library's, and bad
requests refused as JSON naming the field."""

import base64
import io

import pytest

import recur
from tests.conftest import starlette_test_client
from recur.data.midi_file import read_midi
from recur.data.piano_roll import pitches
from recur.generate.music_audio import audio_unavailable
from recur.serve.music import create_music_app

TestClient = starlette_test_client()


@pytest.fixture(scope="module")
def composer(tiny_music_dir):
    return recur.load(tiny_music_dir)


@pytest.fixture(scope="module")
def client(composer):
    with TestClient(create_music_app(composer, "chords")) as client:
        yield client


def test_the_page_describes_the_model_and_may_play_blobs(client):
    page = client.get("/")
    assert page.status_code == 200 and "media-src blob:" in page.headers["content-security-policy"]
    assert "<title>recur serve: chords</title>" in page.text and '"output": "bernoulli"' in page.text


def test_a_piece_comes_with_its_roll_midi_and_audio(client, composer, tmp_path):
    answer = client.post("/api/sample", json={"steps": 10, "temperature": 1.0, "seed": 5})
    assert answer.status_code == 200, answer.text
    data = answer.json()
    assert data["roll"] == pitches(composer.sample(10, None, 1.0, 5)) and len(data["roll"]) == 11
    midi = tmp_path / "piece.mid"
    midi.write_bytes(base64.b64decode(data["midi"]))
    assert pitches(read_midi(midi, composer.step_seconds)) == data["roll"][:len(read_midi(midi, composer.step_seconds))]
    if audio_unavailable() is None:
        assert data["audio"] is None and base64.b64decode(data["wav"])[:4] == b"RIFF"
    else:
        assert data["wav"] is None and "apt install fluidsynth" in data["audio"]


@pytest.mark.parametrize("body, field, fragment", [
    ({"steps": 0}, "steps", "in [1, 128], got 0"),
    ({"steps": 129}, "steps", "got 129"),
    ({"steps": "8"}, "steps", "an integer"),
    ({"temperature": -1}, "temperature", "got -1"),
    ({"seed": -3}, "seed", "got -3"),
    ({"step": 8}, "step", "unknown field"),
])
def test_bad_requests_are_refused_naming_the_field(client, body, field, fragment):
    answer = client.post("/api/sample", json=body)
    assert answer.status_code == 400 and answer.json()["field"] == field and fragment in answer.json()["error"]
