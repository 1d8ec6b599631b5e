"""The interpretable-cells viewer: a self-contained HTML page (no network, no external files) that
shows a text coloured character by character by one unit's activation, with a unit picker and the
units most correlated with each text feature (click one to show it).

Colour: red for positive, blue for negative activations, scaled by the unit's largest |a| over the
text (an LSTM memory cell is not bounded by 1). The data rides in the page as JSON; the text is
put into the page with ``textContent``, never as HTML.

Two pages draw it: the static one written here (``recur viz cells``) and the one ``recur serve``
serves, which fetches the same data (``cells_data``) for a pasted text. Both use ``CELLS_STYLE``,
``CELLS_VIEWER`` (the markup) and ``CELLS_SCRIPT`` (the renderer), so there is one renderer.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from recur.analysis.activations import Correlation, UnitActivations
from recur.atomic import write_atomically
from recur.errors import RecurError

MAX_VALUES = 200_000  # characters × units carried in one page (about 1.5 MB of JSON)

CELLS_STYLE = """
#text { font-family: ui-monospace, monospace; white-space: pre-wrap; line-height: 1.5; border: 1px solid #ddd;
        padding: 0.8em; max-width: 110ch; }
#text span { padding: 0 0.5px; }
table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.9em; }
td, th { padding: 0.15em 0.6em; border-bottom: 1px solid #eee; text-align: left; }
tr.unit { cursor: pointer; } tr.unit:hover { background: #f3f3f3; }
"""

CELLS_VIEWER = """<p><label>unit <select id="unit"></select></label> <span id="range"></span></p>
<div id="text"></div>
<h2>Units most correlated with each feature</h2>
<div id="top"></div>"""

# ``cells.render(data)`` draws (and redraws) the viewer from ``cells_data``'s layout.
CELLS_SCRIPT = """
const cells = (() => {
  const picker = document.getElementById("unit"), box = document.getElementById("text");
  const range = document.getElementById("range"), top = document.getElementById("top");
  let data = null, spans = [];
  function colour(v, scale) {
    const a = scale > 0 ? Math.min(Math.abs(v) / scale, 1) : 0;
    return v >= 0 ? `rgba(214, 39, 40, ${a.toFixed(3)})` : `rgba(31, 119, 180, ${a.toFixed(3)})`;
  }
  function show(i) {
    picker.value = i;
    const values = data.values[i];
    let low = Infinity, high = -Infinity;  // a loop, not Math.max(...values): long texts overflow the stack
    for (const v of values) { low = Math.min(low, v); high = Math.max(high, v); }
    const scale = Math.max(Math.abs(low), Math.abs(high));
    values.forEach((v, t) => { spans[t].style.background = colour(v, scale); spans[t].title = v.toFixed(3); });
    range.textContent = `activation from ${low.toFixed(3)} to ${high.toFixed(3)}`;
  }
  function render(next) {
    data = next;
    box.replaceChildren(); picker.replaceChildren(); top.replaceChildren();
    spans = Array.from(data.text, ch => { const s = document.createElement("span"); s.textContent = ch; return s; });
    box.append(...spans);
    data.units.forEach((name, i) => { const o = document.createElement("option"); o.value = i; o.textContent = name; picker.appendChild(o); });
    for (const [feature, rows] of Object.entries(data.top)) {
      const table = document.createElement("table");
      table.innerHTML = "<tr><th></th><th>unit</th><th>r</th></tr>";
      table.rows[0].cells[0].textContent = feature;
      for (const [unit, r] of rows) {
        const row = table.insertRow(); row.className = "unit"; row.dataset.unit = unit;
        row.insertCell().textContent = ""; row.insertCell().textContent = unit; row.insertCell().textContent = r.toFixed(3);
        row.addEventListener("click", () => show(data.units.indexOf(unit)));
      }
      top.appendChild(table);
    }
    show(data.chosen);
  }
  picker.addEventListener("change", () => show(Number(picker.value)));
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


def carried_units(activations: UnitActivations, top: dict[str, list[Correlation]], first: str) -> list[int]:
    """The units the page carries: ``first``, every top-correlated unit, then the others in order
    while the page stays under ``MAX_VALUES`` numbers."""
    index = {name: i for i, name in enumerate(activations.units)}
    if first not in index:
        raise RecurError(f"unknown unit {first!r}; units are named like {activations.units[0]!r} "
                         f"(layer, state field, index)")
    chosen = list(dict.fromkeys([index[first], *(index[c.unit] for rows in top.values() for c in rows)]))
    room = max(MAX_VALUES // max(len(activations.values), 1), len(chosen))
    taken = set(chosen)
    rest = [i for i in range(len(activations.units)) if i not in taken]
    return chosen + rest[: room - len(chosen)]


def cells_data(text: str, activations: UnitActivations, top: dict[str, list[Correlation]],
               unit: str | None = None) -> dict:
    """What ``CELLS_SCRIPT`` draws: the text, the carried units' names and values (one list per unit,
    one value per character), the one shown first (``unit``, default: the best-correlated unit found)
    and the top units per feature as ``[name, r]``."""
    first = unit or next((rows[0].unit for rows in top.values() if rows), activations.units[0])
    carried = carried_units(activations, top, first)
    names = [activations.units[i] for i in carried]
    return {"text": text, "units": names, "chosen": names.index(first),
            "values": [[round(v, 3) for v in activations.values[:, i].tolist()] for i in carried],
            "top": {feature: [[c.unit, round(c.r, 4)] for c in rows] for feature, rows in top.items()}}


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
