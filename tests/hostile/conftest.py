"""The hostile-input section: every bad input a user could give ends in a non-zero exit and one line
that names the problem, never a traceback. Each task and face adds its own file here
(``test_train_inputs.py``, ``test_verb_inputs.py``, ``test_page_inputs.py``, ...).

    refused(argv, "must be", "--lr")   runs ``recur ARGV`` in-process and returns its error line
"""

import pytest

from recur.cli import main


def error_line(stderr: str) -> str:
    """The one error line of a refusal (argparse prints its usage lines above it)."""
    assert "Traceback" not in stderr, stderr
    errors = [line for line in stderr.splitlines() if "error:" in line]
    assert len(errors) == 1, f"expected one error line, got:\n{stderr}"
    return errors[0]


@pytest.fixture
def refused(capsys):
    """``refused(argv, *fragments)``: ``recur ARGV`` exits non-zero with one error line holding every
    fragment (case-insensitive); returns that line."""
    def run(argv: list[str], *fragments: str) -> str:
        code = main([str(a) for a in argv])
        stderr = capsys.readouterr().err
        assert code not in (0, None), f"recur {' '.join(map(str, argv))} was accepted:\n{stderr}"
        line = error_line(stderr)
        for fragment in fragments:
            assert fragment.lower() in line.lower(), f"{fragment!r} not in {line!r}"
        return line
    return run
