"""``recur serve`` over a music model: a button that composes a fresh piece, played in the page (an
audio element, when FluidSynth and a soundfont are installed: ``recur.generate.music_audio``),
drawn as a piano roll on a canvas, and offered as a MIDI file. Self-contained like the other pages;
the same guards (``app.guarded_app``).

    GET  /             the page
    POST /api/sample   {steps, temperature, seed} -> {roll: [[MIDI pitches] per step], step_seconds,
                       midi: base64, wav: base64 or null, audio: null or why there is no WAV}
"""

from __future__ import annotations

import base64
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route

from recur.data.midi_file import write_midi
from recur.data.piano_roll import pitches
from recur.generate.music_audio import audio_unavailable, render_wav
from recur.serve.app import PAGE_POLICY, PLAIN, guarded_app, on_the_model, read_json, worker_lifespan
from recur.serve.limits import MUSIC_SECONDS, Limits, Slots, parse_music
from recur.serve.page import filled_page

MUSIC_POLICY = PAGE_POLICY + "; media-src blob:"  # the WAV plays from a blob: URL made in the page

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>recur serve: @@TITLE@@</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; max-width: 120ch; }
#about { color: #555; margin-top: 0; }
form { display: flex; flex-wrap: wrap; gap: 0.6em 1.2em; align-items: end; margin-bottom: 0.8em; }
input[type=number] { width: 6em; }
.status { color: #555; min-height: 1.2em; } .status.error { color: #b00020; }
#roll { border: 1px solid #ddd; max-width: 100%; image-rendering: pixelated; }
audio { display: block; margin: 0.6em 0; width: 100%; max-width: 60ch; }
</style></head><body>
<h1>recur serve: <span id="name"></span></h1>
<p id="about"></p>
<form id="compose-form" novalidate>
<label>steps <input id="steps" type="number" min="1" step="1"></label>
<label>temperature <input id="temperature" type="number" min="0" max="100" step="0.05" value="1"></label>
<label>seed <input id="seed" type="number" min="0" step="1" placeholder="random"></label>
<button id="compose" type="submit">Compose</button>
</form>
<p id="status" class="status" role="status"></p>
<audio id="player" controls hidden></audio>
<p><a id="midi" download="recur-sample.mid" hidden>the MIDI file</a></p>
<canvas id="roll" hidden></canvas>
<script type="application/json" id="info">@@INFO@@</script>
<script>
const info = JSON.parse(document.getElementById("info").textContent);
const $ = id => document.getElementById(id);
$("name").textContent = info.name;
$("about").textContent = `${info.set}: a ${info.cell} of ${info.layers} × ${info.hidden} units, ${info.output} ` +
  `output; a time step lasts ${info.step_seconds} s`;
$("steps").max = info.max_steps; $("steps").value = Math.min(64, info.max_steps);
const token = new URLSearchParams(location.search).get("token");
function say(text, error = false) { $("status").textContent = text; $("status").classList.toggle("error", error); }
function blobOf(b64, type) {
  const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0)); return new Blob([bytes], { type }); }
function draw(roll) {  // time across, pitch up: 4 px per step, 3 px per key
  const all = roll.flat(), low = Math.min(...all, 60) - 2, high = Math.max(...all, 72) + 2;
  const canvas = $("roll"), w = 4, k = 3;
  canvas.width = roll.length * w; canvas.height = (high - low + 1) * k;
  const g = canvas.getContext("2d");
  g.fillStyle = "#fff"; g.fillRect(0, 0, canvas.width, canvas.height);
  g.fillStyle = "#eee";
  for (let p = low; p <= high; p++) if (p % 12 === 0) g.fillRect(0, (high - p) * k, canvas.width, k);
  g.fillStyle = "#222";
  roll.forEach((step, t) => step.forEach(p => g.fillRect(t * w, (high - p) * k, w, k)));
  canvas.hidden = false;
}
let urls = [];
$("compose-form").addEventListener("submit", async event => {
  event.preventDefault();
  say("composing…"); const started = performance.now();
  const headers = { "Content-Type": "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  const body = { steps: Number($("steps").value), temperature: Number($("temperature").value) };
  if ($("seed").value !== "") body.seed = Number($("seed").value);
  try {
    const response = await fetch("api/sample", { method: "POST", headers, body: JSON.stringify(body) });
    let data;
    try { data = await response.json(); } catch { data = { error: `${response.status} ${response.statusText}` }; }
    if (!response.ok) { say(data.error, true); return; }
    urls.forEach(u => URL.revokeObjectURL(u)); urls = [];
    draw(data.roll);
    const midi = URL.createObjectURL(blobOf(data.midi, "audio/midi")); urls.push(midi);
    $("midi").href = midi; $("midi").hidden = false;
    if (data.wav) {
      const wav = URL.createObjectURL(blobOf(data.wav, "audio/wav")); urls.push(wav);
      $("player").src = wav; $("player").hidden = false;
    } else { $("player").hidden = true; }
    say(`${data.roll.length} steps (${data.seconds} s) composed in ` +
        `${((performance.now() - started) / 1000).toFixed(2)} s` + (data.audio ? `; ${data.audio}` : ""));
  } catch (err) { say(`composing failed: ${err.message}`, true); }
});
</script></body></html>
"""


def music_page(info: dict) -> str:
    return filled_page(PAGE, info)


def composed(composer, steps: int, temperature: float, seed: int | None) -> dict:
    """A fresh piece as the page takes it: its roll, MIDI and (where it can be rendered) WAV."""
    roll = composer.sample(steps, None, temperature, seed)
    with tempfile.TemporaryDirectory(prefix="recur-music-") as folder:
        midi = write_midi(Path(folder) / "sample.mid", roll, composer.step_seconds)
        missing = audio_unavailable()
        wav = None if missing else render_wav(midi, Path(folder) / "sample.wav").read_bytes()
        return {"roll": pitches(roll), "step_seconds": composer.step_seconds,
                "seconds": round(len(roll) * composer.step_seconds, 3),
                "midi": base64.b64encode(midi.read_bytes()).decode("ascii"),
                "wav": None if wav is None else base64.b64encode(wav).decode("ascii"), "audio": missing}


def create_music_app(composer, name: str = "model", limits: Limits = Limits(),
                     allowed_hosts: list[str] | None = None, token: str | None = None):
    """The app over ``composer`` (what ``recur.load`` returns for a music checkpoint)."""
    worker, slots = ThreadPoolExecutor(max_workers=1, thread_name_prefix="recur-model"), Slots(limits.streams)
    config = composer.model.config
    page = music_page({"name": name, "set": composer.data.set, "cell": config.cell, "layers": config.layers,
                       "hidden": config.hidden, "output": config.output, "step_seconds": composer.step_seconds,
                       "max_steps": int(MUSIC_SECONDS / composer.step_seconds)})

    async def index(request: Request) -> HTMLResponse:
        return HTMLResponse(page, headers={"Content-Security-Policy": MUSIC_POLICY, **PLAIN})

    async def sample(request: Request) -> JSONResponse:
        ask = parse_music(await read_json(request, limits.body_bytes), composer.step_seconds)
        work = lambda: composed(composer, ask.steps, ask.temperature, ask.seed)  # noqa: E731
        return JSONResponse(await on_the_model(slots, worker, work), headers=PLAIN)

    return guarded_app([Route("/", index), Route("/api/sample", sample, methods=["POST"])],
                       allowed_hosts, token, worker_lifespan(worker))
