"""The one page ``recur serve`` serves: a generation playground and the cell viewer, self-contained
(no fonts, scripts or styles from anywhere else; the machine it runs on may have no network).

The model's description rides in the page as JSON (``info``) and reaches the document only through
``textContent``. Generated text is read from ``fetch``'s body stream as it arrives; the cell viewer
is ``recur.viz.cells_html``'s own renderer, fed by ``/api/cells``.
"""

from __future__ import annotations

import html

from recur.viz.cells_html import CELLS_SCRIPT, CELLS_STYLE, CELLS_VIEWER, script_json

PAGE = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>recur serve: @@TITLE@@</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body {{ font-family: system-ui, sans-serif; margin: 1.5em; color: #222; max-width: 120ch; }}
h1 {{ margin-bottom: 0.2em; }} #about {{ color: #555; margin-top: 0; }}
section {{ border-top: 1px solid #ccc; margin-top: 1.5em; }}
form {{ display: flex; flex-wrap: wrap; gap: 0.6em 1.2em; align-items: end; }}
textarea {{ width: 100%; box-sizing: border-box; font-family: ui-monospace, monospace; }}
input[type=number] {{ width: 7em; }}
#output {{ font-family: ui-monospace, monospace; white-space: pre-wrap; border: 1px solid #ddd; padding: 0.8em;
          min-height: 4em; max-width: 110ch; }}
#out-prime {{ color: #777; }}
.status {{ color: #555; min-height: 1.2em; }} .status.error {{ color: #b00020; }}
{CELLS_STYLE}</style></head><body>
<h1>recur serve: <span id="name"></span></h1>
<p id="about"></p>

<section>
<h2>Generate</h2>
<form id="generate-form">
<textarea id="prime" rows="3" placeholder="prime text (empty: start as after a line break)"></textarea>
<label>length <input id="length" type="number" min="1" step="1"></label>
<label>temperature <input id="temperature" type="number" min="0" step="0.05"></label>
<label>top-k <input id="top-k" type="number" min="1" step="1" placeholder="all"></label>
<label>seed <input id="seed" type="number" min="0" step="1" placeholder="random"></label>
<button id="generate" type="submit">Generate</button> <button id="stop" type="button" disabled>Stop</button>
</form>
<p id="generate-status" class="status" role="status"></p>
<div id="output"><span id="out-prime"></span><span id="out-text"></span></div>
</section>

<section>
<h2>Cell viewer</h2>
<p id="cells-note"></p>
<form id="cells-form"><fieldset id="cells-fields" style="border: 0; padding: 0; margin: 0; width: 100%">
<textarea id="paste" rows="6" placeholder="paste a text: each character is coloured by a unit's activation"></textarea>
<label>units per feature <input id="top-count" type="number" min="1" step="1" value="5"></label>
<button id="show-cells" type="submit">Show the cells</button>
</fieldset></form>
<p id="cells-status" class="status" role="status"></p>
<div id="viewer" hidden>
{CELLS_VIEWER}
</div>
</section>

<script type="application/json" id="info">@@INFO@@</script>
<script>{CELLS_SCRIPT}
const info = JSON.parse(document.getElementById("info").textContent);
const $ = id => document.getElementById(id);
$("name").textContent = info.name;
$("about").textContent = `a ${{info.unit}} model: ${{info.cell}}, ${{info.layers}} × ${{info.hidden}} units, ` +
  `${{info.vocab}} ${{info.unit}}s in its vocabulary`;
$("prime").maxLength = $("paste").maxLength = info.limits.text_chars;
$("length").max = info.limits.length; $("top-count").max = info.limits.top; $("top-k").max = info.vocab;
$("temperature").max = info.temperatures[1];
$("length").value = info.defaults.length; $("temperature").value = info.defaults.temperature;

function say(id, text, error = false) {{ $(id).textContent = text; $(id).classList.toggle("error", error); }}
function numberOrNull(input) {{ return input.value.trim() === "" ? null : Number(input.value); }}
const token = new URLSearchParams(location.search).get("token");  // a server started with --token
async function post(path, body, signal) {{
  const headers = {{ "Content-Type": "application/json" }};
  if (token) headers.Authorization = `Bearer ${{token}}`;
  return fetch(path, {{ method: "POST", headers, body: JSON.stringify(body), signal }});
}}
async function refusal(response) {{  // the server's JSON message, else the status line
  try {{ return (await response.json()).error; }} catch {{ return `${{response.status}} ${{response.statusText}}`; }}
}}

let writing = null;  // the AbortController of the generation in progress
$("stop").addEventListener("click", () => writing && writing.abort());
$("generate-form").addEventListener("submit", async event => {{
  event.preventDefault();
  if (writing) writing.abort();
  const mine = writing = new AbortController();
  const prime = $("prime").value, started = performance.now();
  $("out-prime").textContent = prime; $("out-text").textContent = "";
  $("stop").disabled = false; say("generate-status", "writing…");
  let received = 0;
  try {{
    const response = await post("api/generate", {{ prime, length: numberOrNull($("length")),
      temperature: numberOrNull($("temperature")), top_k: numberOrNull($("top-k")), seed: numberOrNull($("seed")) }},
      mine.signal);
    if (!response.ok) {{ say("generate-status", await refusal(response), true); return; }}
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {{
      const {{ value, done }} = await reader.read();
      if (done) break;
      $("out-text").append(value); received += value.length;
      say("generate-status", `writing… ${{received}} characters`);
    }}
    const seconds = (performance.now() - started) / 1000;
    say("generate-status", `${{received}} characters in ${{seconds.toFixed(2)}} s`);
  }} catch (err) {{
    if (err.name === "AbortError") say("generate-status", `stopped after ${{received}} characters`);
    else say("generate-status", `generation broke off: ${{err.message}}`, true);
  }} finally {{
    if (writing === mine) {{ writing = null; $("stop").disabled = true; }}
  }}
}});

if (!info.cells) {{
  $("cells-note").textContent = `This is a ${{info.unit}} model. The cell viewer colours a text character by ` +
    "character, so it needs a character model (recur train charlm).";
  $("cells-fields").disabled = true;
}}
$("cells-form").addEventListener("submit", async event => {{
  event.preventDefault();
  say("cells-status", "reading the text…");
  try {{
    const response = await post("api/cells", {{ text: $("paste").value, top: numberOrNull($("top-count")) }});
    if (!response.ok) {{ say("cells-status", await refusal(response), true); return; }}
    const data = await response.json();
    $("viewer").hidden = false;
    cells.render(data);
    say("cells-status", `${{data.text.length}} characters, ${{data.units.length}} units shown`);
  }} catch (err) {{
    say("cells-status", `the cell viewer failed: ${{err.message}}`, true);
  }}
}});
</script></body></html>
"""


def filled_page(template: str, info: dict) -> str:
    """A page template with ``info`` as its JSON data (at ``@@INFO@@``) and ``info["name"]`` as its
    title (at ``@@TITLE@@``): the one way every ``recur serve`` page is made."""
    head, tail = template.split("@@INFO@@")  # the title goes only into the part before the data
    return head.replace("@@TITLE@@", html.escape(info["name"])) + script_json(info) + tail


def playground_page(info: dict) -> str:
    """The page's HTML for a model described by ``info`` (see ``app.model_info``)."""
    return filled_page(PAGE, info)
