"""The lectures the topics reproduce, named as a reader would look for them: by title and speaker.

The lectures come as numbered files (``shared/seeds/00N_*.txt``), but "seed 003" in a printout reads
like the ``--seed`` option, so what a user sees names the lecture instead. ``file`` keeps the link
to the text for whoever checks a number against it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Lecture:
    title: str
    speaker: str  # how the text calls the lecture when it names no speaker: "the video lecture"
    file: str  # its file in shared/seeds/, which opens with the title

    def __str__(self) -> str:
        owner = self.speaker if self.speaker.startswith("the ") else f"{self.speaker}'s lecture"
        return f'{owner} "{self.title}"'


BABU = Lecture("Recurrent Neural Networks (RNN)", "R. Venkatesh Babu", "002_c7f6e70bd6c1e375.txt")
PARK = Lecture("DL: Recurrent Neural Networks", "Saerom Park", "003_34ce87a38630062e.txt")
VIDEO = Lecture("Recurrent Neural Networks", "the video lecture", "004_fd15c8a36a83f73b.txt")  # a script, no name

LECTURES = (BABU, PARK, VIDEO)
