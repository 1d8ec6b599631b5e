"""``recur serve`` over a translation model: a box to type a sentence in, its translation, and the
attention matrix drawn as a grid (source subwords across, output subwords down, darker = more
weight). Self-contained like the playground page (``page.py``); the same guards (``app.guarded_app``).

    GET  /               the page
    POST /api/translate  {text, beam} -> {translation, source, target, attention [len(target)][len(source)]}
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route

from recur.serve.app import PAGE_POLICY, PLAIN, guarded_app, on_the_model, read_json, worker_lifespan
from recur.serve.limits import MAX_BEAM, SENTENCE_CHARS, Limits, Slots, parse_translate
from recur.serve.page import filled_page

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>recur serve: @@TITLE@@</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; max-width: 120ch; }
#about { color: #555; margin-top: 0; }
form { display: flex; flex-wrap: wrap; gap: 0.6em 1.2em; align-items: end; }
#text { width: 100%; box-sizing: border-box; font-size: 1.1em; padding: 0.3em; }
#translation { font-size: 1.3em; min-height: 1.5em; margin: 0.8em 0; }
.status { color: #555; min-height: 1.2em; } .status.error { color: #b00020; }
#grid { border-collapse: collapse; font-family: ui-monospace, monospace; font-size: 0.85em; }
#grid td { width: 1.6em; height: 1.6em; border: 1px solid #eee; }
#grid th { font-weight: normal; padding: 0 0.3em; }
#grid thead th { writing-mode: vertical-rl; transform: rotate(180deg); text-align: left; }
#grid tbody th { text-align: right; }
</style></head><body>
<h1>recur serve: <span id="name"></span></h1>
<p id="about"></p>
<form id="translate-form">
<input id="text" type="text" placeholder="a sentence to translate">
<label>beam <input id="beam" type="number" min="1" step="1"></label>
<button id="translate" type="submit">Translate</button>
</form>
<p id="translation" lang=""></p>
<p id="status" class="status" role="status"></p>
<table id="grid" hidden><thead></thead><tbody></tbody></table>
<script type="application/json" id="info">@@INFO@@</script>
<script>
const info = JSON.parse(document.getElementById("info").textContent);
const $ = id => document.getElementById(id);
$("name").textContent = info.name;
$("about").textContent = `${info.source} → ${info.target}: a ${info.cell} encoder-decoder, ${info.layers} × ` +
  `${info.hidden} units, ${info.attention} attention`;
$("text").maxLength = info.sentence_chars; $("beam").max = info.max_beam; $("beam").value = 5;
$("translation").lang = info.target;
const token = new URLSearchParams(location.search).get("token");
function say(text, error = false) { $("status").textContent = text; $("status").classList.toggle("error", error); }
function cell(tag, text) { const c = document.createElement(tag); c.textContent = text; return c; }
function draw(data) {  // one row per output subword, one column per source subword
  const head = document.createElement("tr"), body = $("grid").tBodies[0];
  head.append(cell("th", ""), ...data.source.map(p => cell("th", p)));
  $("grid").tHead.replaceChildren(head);
  body.replaceChildren(...data.target.map((piece, t) => {
    const row = document.createElement("tr");
    row.append(cell("th", piece), ...data.attention[t].map(w => {
      const c = cell("td", ""); c.title = w.toFixed(3);
      c.style.background = `rgba(0, 0, 0, ${w.toFixed(3)})`; return c; }));
    return row; }));
  $("grid").hidden = false;
}
$("translate-form").addEventListener("submit", async event => {
  event.preventDefault();
  say("translating…"); const started = performance.now();
  const headers = { "Content-Type": "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  try {
    const response = await fetch("api/translate", { method: "POST", headers,
      body: JSON.stringify({ text: $("text").value, beam: Number($("beam").value) }) });
    let data;
    try { data = await response.json(); } catch { data = { error: `${response.status} ${response.statusText}` }; }
    if (!response.ok) { say(data.error, true); return; }
    $("translation").textContent = data.translation;
    if (data.attention) draw(data); else $("grid").hidden = true;
    say(`translated in ${((performance.now() - started) / 1000).toFixed(2)} s` +
        (data.attention ? "" : " (this model has no attention to draw)"));
  } catch (err) { say(`the translation failed: ${err.message}`, true); }
});
</script></body></html>
"""


def translation_page(info: dict) -> str:
    return filled_page(PAGE, info)


def create_translation_app(translator, name: str = "model", limits: Limits = Limits(),
                           allowed_hosts: list[str] | None = None, token: str | None = None):
    """The app over ``translator`` (what ``recur.load`` returns for a translate checkpoint)."""
    worker, slots = ThreadPoolExecutor(max_workers=1, thread_name_prefix="recur-model"), Slots(limits.streams)
    config = translator.model.config
    page = translation_page({"name": name, "source": translator.data.source_language,
                             "target": translator.data.target_language, "cell": config.cell,
                             "layers": config.layers, "hidden": config.hidden, "attention": config.attention,
                             "sentence_chars": SENTENCE_CHARS, "max_beam": MAX_BEAM})

    async def index(request: Request) -> HTMLResponse:
        return HTMLResponse(page, headers={"Content-Security-Policy": PAGE_POLICY, **PLAIN})

    async def translate(request: Request) -> JSONResponse:
        ask = parse_translate(await read_json(request, limits.body_bytes))

        def work() -> dict:
            texts, attention = translator.translate([ask.text], ask.beam, with_attention=True)
            weights = attention[0]
            return {"translation": texts[0], "source": translator.source_pieces(ask.text),
                    "target": translator.target_pieces(texts[0]),
                    "attention": None if weights is None else [[round(float(w), 4) for w in row] for row in weights]}

        return JSONResponse(await on_the_model(slots, worker, work), headers=PLAIN)

    return guarded_app([Route("/", index), Route("/api/translate", translate, methods=["POST"])],
                       allowed_hosts, token, worker_lifespan(worker))
