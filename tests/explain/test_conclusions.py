"""`recur explain`: every topic ends with the sentences that say what its numbers show, written from
those numbers and quoted by docs/explain.md; lectures are named by speaker and title, never by their
file's number (which reads like the --seed option); a size is counted before anything is built."""

import re
import resource
from pathlib import Path

import pytest

from recur.cli import main
from recur.explain import TOPICS, explain
from recur.explain.lectures import LECTURES
from recur.explain.topic import MAX_BYTES

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "explain.md"
SEEDS = ROOT.parent / "shared" / "seeds"
SEED_NUMBER = re.compile(r"\bseeds? ?0\d\d\b", re.IGNORECASE)  # "seed 003", "Seed 002's"


@pytest.fixture(scope="module")
def defaults():
    """Every topic run with its defaults, as docs/explain.md shows it (a few seconds for all seven)."""
    return {name: explain(name) for name in TOPICS}


def flat(text: str) -> str:
    return " ".join(text.split())


def sentences(text: str) -> int:
    return len(re.findall(r"[.!?](?:\s|$)", text))


@pytest.mark.parametrize("topic", list(TOPICS))
def test_every_topic_ends_with_its_conclusion(defaults, topic):
    result = defaults[topic]
    assert result.conclusion and 1 <= sentences(result.conclusion) <= 3, result.conclusion
    last_paragraph = result.text.rsplit("\n\n", 1)[-1]
    assert flat(last_paragraph) == result.conclusion


@pytest.mark.parametrize("topic", list(TOPICS))
def test_docs_quote_each_topics_conclusion(defaults, topic):
    assert defaults[topic].conclusion in flat(DOCS.read_text(encoding="utf-8")), \
        f"docs/explain.md does not quote {topic}'s conclusion: rerun its block"


def test_cli_prints_the_conclusion_before_the_json(capsys):
    assert main(["explain", "onehot"]) == 0
    *text, json_line = capsys.readouterr().out.strip().splitlines()
    assert json_line.startswith('{"topic": "onehot"')
    assert flat(" ".join(text)).endswith(explain("onehot").conclusion)


@pytest.mark.parametrize("topic, options, says", [
    ("hello", {"steps": "1", "hidden": "2"}, "has not learned the sequence"),
    ("eigen", {"steps": "2"}, "only begun to turn"),
    ("clipping", {"scale": "0.9"}, "nothing is clipped"),
    ("clipping", {"threshold": "1e-9"}, "even the calm net"),
])
def test_a_conclusion_follows_the_numbers_not_the_default_run(topic, options, says):
    assert says in explain(topic, options=options).conclusion


def test_no_lecture_is_named_by_its_file_number(defaults, capsys):
    assert main(["explain", "--help"]) == 0
    help_text = capsys.readouterr().out
    shown = [help_text, DOCS.read_text(encoding="utf-8"), *(r.text for r in defaults.values())]
    for topic in TOPICS.values():
        shown += [topic.summary, *(option.help for option in topic.options.values())]
        if topic.lecture is not None:
            assert str(topic.lecture) in help_text
    for text in shown:
        assert not SEED_NUMBER.search(text), SEED_NUMBER.search(text).group()
    assert {topic.lecture for topic in TOPICS.values()} == set(LECTURES)


@pytest.mark.skipif(not SEEDS.is_dir(), reason=f"the lectures' texts are not at {SEEDS}")
@pytest.mark.parametrize("lecture", LECTURES, ids=lambda lecture: lecture.file)
def test_each_lecture_is_named_as_its_text_opens(lecture):
    opening = [line.strip() for line in (SEEDS / lecture.file).read_text(encoding="utf-8").splitlines()
               if line.strip()][:6]
    assert lecture.title in opening
    if not lecture.speaker.startswith("the "):
        assert any(lecture.speaker.split()[-1] in line for line in opening)


def test_params_counts_a_big_model_on_the_meta_device_without_allocating_it():
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    numbers = explain("params", options={"cell": "lstm", "hidden": "8000"}).numbers
    assert numbers["total"] == numbers["model_total"] == 4 * 8000 * (5 + 8000) + 5 * 8000
    assert 4 * numbers["total"] <= MAX_BYTES  # just inside the bound: a real build would take 1 GB
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak < 200 * 1024


def test_integers_from_python_read_like_the_command_lines_text():
    assert explain("params", options={"hidden": 4, "bias": True}).numbers["total"] == 4 * 9 + 5 * 4 + 2 * 4 + 5
