"""The interpretable-cells viewer: a self-contained HTML page (no network, no external files) that
shows a text coloured character by character by one unit's activation, with the units ranked so
that a user finds the interesting ones among a thousand (Karpathy, Johnson & Fei-Fei 2015).

Colour: red for positive, blue for negative activations, the shade |a_u(t)| / max_t |a_u(t)| (scaled
by the unit's largest |a| over the text: an LSTM memory cell is not bounded by 1); a legend bar under
the picker gives the two ends in numbers. The data rides in the page as JSON; the text is put into
the page with ``textContent``, never as HTML.

Ranking: every unit the page carries has a score per ranking, and the picker lists the units best
first, narrowed by a filter box (``layer2.c`` keeps the second layer's memory cells):

    variance    Var_t a_u(t), how much the unit moves over this text
    FEATURE     r(u, f), Pearson's correlation with a text feature (``recur.analysis.activations``),
                ranked by |r|

A page carries at most ``MAX_VALUES`` activations: the unit shown first, the top units per feature,
then the best units of each ranking in turn, so each ranking's head is in the page.

Two pages draw it: the static one written here (``recur viz cells``) and the one ``recur serve``
serves, which fetches the same data (``cells_data``) for a pasted text. Both use ``CELLS_STYLE``,
``CELLS_VIEWER`` (the markup) and ``CELLS_SCRIPT`` (the renderer), so there is one renderer.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import torch

from recur.analysis.activations import Correlation, UnitActivations, correlations
from recur.analysis.text_features import FEATURES
from recur.atomic import write_atomically
from recur.errors import RecurError

MAX_VALUES = 200_000  # characters × units carried in one page (about 1.5 MB of JSON)

CELLS_STYLE = """
#text { font-family: ui-monospace, monospace; white-space: pre-wrap; line-height: 1.5; border: 1px solid #ddd;
        padding: 0.8em; max-width: 110ch; }
#text span { padding: 0 0.5px; }
#pick label { margin-right: 1em; } #pick select, #pick input { font: inherit; }
#legend { display: flex; align-items: center; gap: 0.5em; margin: 0.5em 0; font-size: 0.9em; }
#legend .bar { width: 16em; height: 0.9em; border: 1px solid #ccc;
               background: linear-gradient(to right, rgb(31, 119, 180), #fff, rgb(214, 39, 40)); }
#legend .note { color: #555; }
table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.9em; }
td, th { padding: 0.15em 0.6em; border-bottom: 1px solid #eee; text-align: left; }
tr.unit { cursor: pointer; } tr.unit:hover { background: #f3f3f3; } tr.shown { background: #fff4d6; }
"""

CELLS_VIEWER = """<p id="pick"><label>rank units by <select id="rank"></select></label>
<label>filter <input id="filter" type="search" size="14" placeholder="e.g. layer2.c"></label>
<label>unit <select id="unit"></select></label> <span id="count"></span></p>
<div id="legend"><span id="low"></span><span class="bar"></span><span id="high"></span>
<span class="note">blue negative, white 0, red positive; shaded by |a| over the unit's largest |a| here.</span>
<span id="range"></span></div>
<div id="text"></div>
<h2>Units ranked</h2>
<table id="ranked"></table>
<h2>Units most correlated with each feature</h2>
<div id="top"></div>"""

# ``cells.render(data)`` draws (and redraws) the viewer from ``cells_data``'s layout.
CELLS_SCRIPT = """
const cells = (() => {
  const $ = id => document.getElementById(id);
  const picker = $("unit"), box = $("text"), rank = $("rank"), filter = $("filter"), ranked = $("ranked");
  const SHOWN_RANKED = 12;  // rows of the ranked table
  let data = null, spans = [], current = 0;
  function colour(v, scale) {
    const a = scale > 0 ? Math.min(Math.abs(v) / scale, 1) : 0;
    return v >= 0 ? `rgba(214, 39, 40, ${a.toFixed(3)})` : `rgba(31, 119, 180, ${a.toFixed(3)})`;
  }
  function score(i) {  // the value the units are ranked by: variance, or |r| with a feature
    const v = data.scores[rank.value][i];
    return rank.value === "variance" ? v : Math.abs(v);
  }
  function order() {  // the carried units matching the filter, best first
    const words = filter.value.trim().toLowerCase();
    const found = data.units.map((name, i) => i).filter(i => data.units[i].toLowerCase().includes(words));
    return found.sort((a, b) => score(b) - score(a));
  }
  function describe(i) {
    return rank.value === "variance" ? `variance ${data.scores.variance[i].toFixed(4)}`
                                     : `r = ${data.scores[rank.value][i].toFixed(3)}`;
  }
  function list() {
    const units = order(), listed = units.includes(current) ? units : [current, ...units];
    picker.replaceChildren(...listed.map(i => {
      const o = document.createElement("option"); o.value = i; o.textContent = data.units[i]; return o; }));
    picker.value = current;
    $("count").textContent = `${units.length} of ${data.units.length} units listed` +
      (data.total > data.units.length ? ` (the page carries ${data.units.length} of the model's ${data.total})` : "");
    ranked.replaceChildren();
    const head = ranked.insertRow();
    for (const name of ["rank", "unit", rank.options[rank.selectedIndex].textContent]) {
      const th = document.createElement("th"); th.textContent = name; head.appendChild(th); }
    units.slice(0, SHOWN_RANKED).forEach((i, place) => {
      const row = ranked.insertRow(); row.className = "unit" + (i === current ? " shown" : ""); row.dataset.unit = data.units[i];
      row.insertCell().textContent = place + 1; row.insertCell().textContent = data.units[i];
      row.insertCell().textContent = describe(i);
      row.addEventListener("click", () => show(i));
    });
  }
  function show(i) {
    current = i;
    const values = data.values[i];
    let low = Infinity, high = -Infinity;  // a loop, not Math.max(...values): long texts overflow the stack
    for (const v of values) { low = Math.min(low, v); high = Math.max(high, v); }
    const scale = Math.max(Math.abs(low), Math.abs(high));
    values.forEach((v, t) => { spans[t].style.background = colour(v, scale); spans[t].title = v.toFixed(3); });
    $("low").textContent = (-scale).toFixed(3); $("high").textContent = `+${scale.toFixed(3)}`;
    $("range").textContent = `${data.units[i]}: activation from ${low.toFixed(3)} to ${high.toFixed(3)}`;
    list();
  }
  function render(next) {
    data = next;
    box.replaceChildren(); $("top").replaceChildren();
    spans = Array.from(data.text, ch => { const s = document.createElement("span"); s.textContent = ch; return s; });
    box.append(...spans);
    rank.replaceChildren(...Object.keys(data.scores).map(key => {
      const o = document.createElement("option"); o.value = key;
      o.textContent = key === "variance" ? "activation variance" : `|r| with ${key}`; return o; }));
    const first = data.units[data.chosen], features = Object.keys(data.top);  // ranked first: the shown unit's
    rank.value = features.find(f => data.top[f].some(([unit]) => unit === first)) || features[0] || "variance";
    for (const [feature, rows] of Object.entries(data.top)) {
      const table = document.createElement("table");
      table.innerHTML = "<tr><th></th><th>unit</th><th>r</th></tr>";
      table.rows[0].cells[0].textContent = feature;
      for (const [unit, r] of rows) {
        const row = table.insertRow(); row.className = "unit"; row.dataset.unit = unit;
        row.insertCell().textContent = ""; row.insertCell().textContent = unit; row.insertCell().textContent = r.toFixed(3);
        row.addEventListener("click", () => show(data.units.indexOf(unit)));
      }
      $("top").appendChild(table);
    }
    show(data.chosen);
  }
  picker.addEventListener("change", () => show(Number(picker.value)));
  rank.addEventListener("change", list);
  filter.addEventListener("input", list);
  return { render, show };
})();
"""

PAGE = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>recur: cells of @@TITLE@@</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }}{CELLS_STYLE}</style></head><body>
<h1>Cells of @@TITLE@@</h1>
{CELLS_VIEWER}
<script type="application/json" id="data">@@DATA@@</script>
<script>{CELLS_SCRIPT}
cells.render(JSON.parse(document.getElementById("data").textContent));
</script></body></html>
"""


def unit_scores(text: str, activations: UnitActivations, features: list[str]) -> dict[str, torch.Tensor]:
    """Per ranking, one score per unit ``[U]``: ``variance`` and the correlation r with each of
    ``features`` (those that vary over ``text``)."""
    scores = {"variance": activations.values.double().var(dim=0, unbiased=False)}
    for name in features:
        scores[name] = correlations(activations.values, FEATURES[name](text))
    return scores


def carried_units(activations: UnitActivations, top: dict[str, list[Correlation]], first: str,
                  scores: dict[str, torch.Tensor]) -> list[int]:
    """The units the page carries: ``first``, every top-correlated unit, then the best of each
    ranking in turn (variance, then |r| per feature) while the page stays under ``MAX_VALUES`` numbers."""
    index = {name: i for i, name in enumerate(activations.units)}
    if first not in index:
        raise RecurError(f"unknown unit {first!r}; units are named like {activations.units[0]!r} "
                         f"(layer, state field, index)")
    chosen = [index[first], *(index[c.unit] for rows in top.values() for c in rows)]
    room = max(MAX_VALUES // max(len(activations.values), 1), len(set(chosen)))
    rankings = [score.abs().argsort(descending=True, stable=True).tolist() for score in scores.values()]
    for place in range(len(activations.units)):  # round robin: each ranking's next best unit
        chosen += [ranking[place] for ranking in rankings]
        if len(set(chosen)) >= room:
            break
    return list(dict.fromkeys(chosen))[:room]


def cells_data(text: str, activations: UnitActivations, top: dict[str, list[Correlation]],
               unit: str | None = None) -> dict:
    """What ``CELLS_SCRIPT`` draws: the text, the carried units' names and values (one list per unit,
    one value per character), the one shown first (``unit``, default: the best-correlated unit found),
    the top units per feature as ``[name, r]``, each carried unit's ``scores`` per ranking, and the
    model's ``total`` number of units."""
    first = unit or next((rows[0].unit for rows in top.values() if rows), activations.units[0])
    scores = unit_scores(text, activations, list(top))
    carried = carried_units(activations, top, first, scores)
    names = [activations.units[i] for i in carried]
    return {"text": text, "units": names, "chosen": names.index(first), "total": len(activations.units),
            "values": [[round(v, 3) for v in activations.values[:, i].tolist()] for i in carried],
            "top": {feature: [[c.unit, round(c.r, 4)] for c in rows] for feature, rows in top.items()},
            "scores": {key: [round(v, 4) for v in score[carried].tolist()] for key, score in scores.items()}}


def script_json(data) -> str:
    """``data`` as JSON that can sit inside a ``<script>`` element: it never closes the element."""
    return json.dumps(data, ensure_ascii=True).replace("</", "<\\/")


def cells_page(text: str, activations: UnitActivations, top: dict[str, list[Correlation]], title: str,
               unit: str | None = None) -> str:
    """The page's HTML; ``unit`` is shown first (default: the best-correlated unit found)."""
    payload = script_json(cells_data(text, activations, top, unit))
    head, tail = PAGE.split("@@DATA@@")  # the title goes only into the part before the data
    return head.replace("@@TITLE@@", html.escape(title)) + payload + tail


def write_cells_page(path: str | Path, page: str) -> Path:
    return write_atomically(path, lambda tmp: tmp.write_text(page, encoding="utf-8"))
