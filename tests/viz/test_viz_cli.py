"""``recur viz`` end to end on a briefly trained character model: the pictures, the cell viewer's
page (self-contained, its data safe from the text it shows), and the refusals."""

import json
import re
import subprocess
from pathlib import Path

import pytest
import torch

from recur.analysis.activations import UnitActivations, top_units
from recur.analysis.text_features import FEATURES
from recur.cli import main
from recur.errors import RecurError
from recur.viz.cells_html import MAX_VALUES, cells_data, cells_page

PNG = b"\x89PNG\r\n\x1a\n"
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def trained(tmp_path_factory, tiny_charlm_dir, train_tiny_charlm, shakespeare_file):
    elman = train_tiny_charlm(tmp_path_factory.mktemp("viz") / "elman", "--cell", "elman")
    return {"lstm": tiny_charlm_dir, "elman": elman}, shakespeare_file



def test_gradients_spectrum_and_curves_pictures(trained, tmp_path, capsys, last_json):
    runs, text = trained
    out = tmp_path / "g.png"
    assert main(["viz", "gradients", str(runs["lstm"]), str(runs["elman"]), "--text", str(text), "--out", str(out),
                 "--span", "20", "--windows", "4"]) == 0
    summary = last_json()
    assert out.read_bytes()[:8] == PNG and [c["model"] for c in summary["curves"]] == ["tiny (lstm)", "elman (elman)"]
    assert set(summary["curves"][0]["surviving"]) == {"h", "c"} and 0 < summary["curves"][1]["surviving"]["h"] < 1
    assert main(["viz", "gradients", str(runs["elman"]), "--text", str(text), "--out", str(out), "--span", "20",
                 "--windows", "4", "--radii", "0.5,1.5", "--clip", "0.01"]) == 0
    scaled = last_json()["curves"]
    assert [c["model"] for c in scaled] == ["elman (elman), ρ(W) = 0.5", "elman (elman), ρ(W) = 1.5"]
    assert scaled[1]["clip_factor"] == pytest.approx(0.01 / scaled[1]["gradient_norm"])
    assert main(["viz", "gradients", str(runs["elman"]), "--text", str(text), "--out", str(out), "--span", "20",
                 "--windows", "4", "--fresh"]) == 0
    fresh = last_json()["curves"][0]
    assert fresh["model"] == "elman (elman, fresh)" and fresh["loss"] != summary["curves"][1]["loss"]
    assert main(["viz", "spectrum", str(runs["lstm"]), "--out", str(tmp_path / "s.png")]) == 0
    assert [s["block"] for s in last_json()["spectra"]] == ["i", "f", "g", "o"]
    assert main(["viz", "curves", str(runs["lstm"]), "--out", str(tmp_path / "c.png")]) == 0
    single = last_json()
    assert single["evaluations"] == 2 and single["loss"] == "cross-entropy (nats/char)"
    assert (tmp_path / "c.png").read_bytes()[:8] == PNG


def test_several_runs_compared_on_one_plot(trained, tmp_path, capsys, last_json):
    runs, _ = trained
    out = tmp_path / "compare.png"
    assert main(["viz", "curves", str(runs["lstm"]), str(runs["elman"]), "--out", str(out)]) == 0
    summary = last_json()
    assert [r["run"] for r in summary["runs"]] == ["tiny", "elman"] and summary["loss"] == "cross-entropy (nats/char)"
    assert all(r["evaluations"] == 2 and r["best_val_loss"] > 0 for r in summary["runs"])
    assert out.read_bytes()[:8] == PNG


def test_the_cell_viewer_page(trained, tmp_path, capsys, last_json):
    runs, text = trained
    out = tmp_path / "cells.html"
    assert main(["viz", "cells", str(runs["lstm"]), "--text", str(text), "--out", str(out), "--max-chars", "400",
                 "--unit", "layer1.c[3]"]) == 0
    summary = last_json()
    assert summary["characters"] == 400 and summary["units"] == 64 and "line_position" in summary["top"]
    page = out.read_text()
    data = json.loads(re.search(r'<script type="application/json" id="data">(.*?)</script>', page, re.DOTALL).group(1))
    assert data["units"][data["chosen"]] == "layer1.c[3]" and len(data["values"][0]) == 400
    assert "http" not in page.replace("http://www.w3.org", "")  # nothing is fetched from anywhere
    assert data["total"] == 64 and set(data["scores"]) == {"variance", *summary["top"]}
    assert all(len(column) == len(data["units"]) for column in data["scores"].values())
    line = data["scores"]["line_position"]  # the page's ranking by |r| agrees with the top units found
    assert data["units"][max(range(len(line)), key=lambda i: abs(line[i]))] == summary["top"]["line_position"][0]["unit"]
    assert 'id="filter"' in page and 'id="legend"' in page and 'id="rank"' in page
    assert main(["viz", "cells", str(runs["lstm"]), "--text", str(text), "--out", str(out), "--max-chars", "400",
                 "--fresh"]) == 0
    assert last_json()["top"] != summary["top"] and "(fresh weights)" in out.read_text()


def test_the_page_carries_each_rankings_best_units():
    text = "ab\ncd\n" * 400  # position in the line varies; 200 units, room for 83 of them
    values = torch.randn(len(text), 200) * torch.linspace(0.01, 1, 200)  # unit 199 moves most
    values[:, 7] = torch.tensor(FEATURES["line_position"](text))  # unit 7: a perfect line-position cell
    activations = UnitActivations([f"layer1.h[{j}]" for j in range(200)], values)
    carried = cells_data(text, activations, {}, "layer1.h[0]")
    assert carried["units"][:1] == ["layer1.h[0]"] and "layer1.h[199]" in carried["units"]
    ranked = cells_data(text, activations, top_units(activations, text, 1))
    assert ranked["units"][ranked["chosen"]] == "layer1.h[7]"
    assert len(ranked["units"]) * len(text) <= MAX_VALUES < len(activations.units) * len(text)


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} not found (apt-get install chromium)")
def test_the_page_draws_its_legend_and_ranking_in_a_browser(trained, tmp_path, capsys):
    runs, text = trained
    out = tmp_path / "cells.html"
    assert main(["viz", "cells", str(runs["lstm"]), "--text", str(text), "--out", str(out), "--max-chars", "300"]) == 0
    dom = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tmp_path}/p",
                          "--dump-dom", out.as_uri()], check=True, capture_output=True, text=True, timeout=120).stdout
    scale = re.search(r'<span id="high">\+([0-9.]+)</span>', dom)
    assert scale and float(scale.group(1)) > 0 and f'<span id="low">-{scale.group(1)}</span>' in dom
    assert re.search(r"<span id=\"count\">\d+ of \d+ units listed", dom)
    ranks = [int(r) for r in re.findall(r'<tr class="unit[^"]*" data-unit="[^"]+"><td>(\d+)</td>', dom)]
    assert ranks[:3] == [1, 2, 3]  # the ranked table, best first


def test_the_page_cannot_be_broken_by_the_text_it_shows():
    text = '</script><script>alert(1)</script>'
    activations = UnitActivations(["layer1.h[0]"], torch.zeros(len(text), 1))
    page = cells_page(text, activations, {}, "<b>title</b>")
    assert page.count("</script>") == 2 and "<b>title" not in page  # only the page's own two scripts close
    with pytest.raises(RecurError, match="unknown unit 'layer9.h\\[0\\]'"):
        cells_page(text, activations, {}, "t", "layer9.h[0]")


def test_refusals(trained, tmp_path, capsys):
    runs, text = trained
    for argv, message in (
        (["viz", "gradients", str(runs["lstm"]), "--text", str(text), "--radii", "1"], "'lstm' has gated blocks"),
        (["viz", "gradients", str(runs["elman"]), "--text", str(text), "--radii", "a,b"], "--radii: expected"),
        (["viz", "gradients", str(runs["elman"]), "--text", str(tmp_path / "none.txt")], "none.txt: no such file"),
        (["viz", "cells", str(runs["lstm"]), "--text", str(text), "--unit", "c[1]"], "unknown unit 'c[1]'"),
        (["viz", "cells", str(runs["lstm"]), "--text", str(text), "--top", "0"], "argument --top: must be >= 1"),
        (["viz", "curves", str(tmp_path)], "holds metrics.jsonl"),
    ):
        assert main(argv) == 2, argv
        assert message in capsys.readouterr().err


def test_the_text_defaults_to_the_models_held_out_text(trained, tmp_path, capsys, last_json):
    from recur.data import split_validation
    runs, text = trained
    tail = tmp_path / "tail.txt"
    tail.write_text(split_validation(text.read_text(encoding="utf-8"), 0.1)[1], encoding="utf-8")
    results = []
    for given in ([], ["--text", str(tail)]):
        assert main(["viz", "cells", str(runs["lstm"]), "--out", str(tmp_path / "c.html"), "--max-chars", "300",
                     *given]) == 0
        cells = last_json()
        assert main(["viz", "gradients", str(runs["elman"]), "--out", str(tmp_path / "g.png"), "--span", "20",
                     "--windows", "2", *given]) == 0
        results.append((cells["top"], last_json()["curves"][0]["loss"]))
    assert results[0] == results[1]  # the default is the validation split, as if given as a file
