"""``recur viz`` end to end on a briefly trained character model: the pictures, the cell viewer's
page (self-contained, its data safe from the text it shows), and the refusals."""

import json
import re

import pytest

from recur.analysis.activations import UnitActivations
from recur.cli import main
from recur.errors import RecurError
from recur.viz.cells_html import cells_page

PNG = b"\x89PNG\r\n\x1a\n"


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
    assert last_json()["evaluations"] == 2 and (tmp_path / "c.png").read_bytes()[:8] == PNG


def test_the_cell_viewer_page(trained, tmp_path, capsys, last_json):
    runs, text = trained
    out = tmp_path / "cells.html"
    assert main(["viz", "cells", str(runs["lstm"]), "--text", str(text), "--out", str(out), "--max-chars", "400",
                 "--unit", "layer1.c[3]"]) == 0
    summary = last_json()
    assert summary["characters"] == 400 and summary["units"] == 64 and "line_position" in summary["top"]
    page = out.read_text()
    data = json.loads(re.search(r'<script type="application/json" id="data">(.*?)</script>', page, re.S).group(1))
    assert data["units"][data["chosen"]] == "layer1.c[3]" and len(data["values"][0]) == 400
    assert "http" not in page.replace("http://www.w3.org", "")  # nothing is fetched from anywhere
    assert main(["viz", "cells", str(runs["lstm"]), "--text", str(text), "--out", str(out), "--max-chars", "400",
                 "--fresh"]) == 0
    assert last_json()["top"] != summary["top"] and "(fresh weights)" in out.read_text()


def test_the_page_cannot_be_broken_by_the_text_it_shows():
    text = '</script><script>alert(1)</script>'
    activations = UnitActivations(["layer1.h[0]"], __import__("torch").zeros(len(text), 1))
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
