"""One rule for the prime: the library's ``generate``, ``generate_many``, ``stream`` and ``beam``
return only the text generated after it; ``recur sample`` prints the prime, then that text."""

from recur import load
from recur.cli import main
from recur.tasks.stream_lm_verbs import SAMPLE_HEADER

PRIME, LENGTH = "Th", 30


def test_the_library_returns_the_continuation_and_the_command_prints_the_prime_first(tiny_charlm_dir, capsys):
    lm = load(tiny_charlm_dir)
    text = lm.generate(PRIME, LENGTH, seed=3)
    assert len(text) == LENGTH  # the prime is not in it
    assert all(len(t) == LENGTH for t in lm.generate_many(PRIME, LENGTH, seed=3, samples=2))
    assert "".join(pieces[0] for pieces in lm.stream(PRIME, LENGTH, seed=3)) == text
    best = lm.beam(PRIME, LENGTH, width=3)
    assert len(best) == LENGTH
    capsys.readouterr()

    def sample(*flags: str) -> str:
        assert main(["sample", str(tiny_charlm_dir), "--prime", PRIME, "--length", str(LENGTH), "--threads", "1",
                     *flags]) == 0
        return capsys.readouterr().out

    assert sample("--seed", "3") == PRIME + text
    assert sample("--seed", "3", "--stream") == PRIME + text
    assert sample("--beam", "3") == PRIME + best


def test_several_samples_are_numbered_not_separated_by_a_blank_line(tiny_charlm_dir, capsys):
    """A blank line can be part of a text (Shakespeare's are full of them); a numbered header line,
    as head(1) writes between files, cannot be confused with one."""
    texts = load(tiny_charlm_dir).generate_many(PRIME, LENGTH, seed=2, samples=3)
    capsys.readouterr()
    assert main(["sample", str(tiny_charlm_dir), "--prime", PRIME, "--length", str(LENGTH), "--seed", "2",
                 "--samples", "3", "--threads", "1"]) == 0
    assert capsys.readouterr().out == "".join(
        f"{SAMPLE_HEADER.format(number=i, count=3)}\n{PRIME}{text}\n" for i, text in enumerate(texts, start=1))
    assert SAMPLE_HEADER.format(number=1, count=3) == "==> sample 1 of 3 <=="
