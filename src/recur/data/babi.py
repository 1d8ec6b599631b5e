"""bAbI question answering (Weston et al. 2015, arXiv:1502.05698): stories, questions, answers.

A bAbI file is a run of stories. Each line is ``ID text``; IDs count 1, 2, ... within a story and a
line with ID 1 starts a new one. A question line is ``ID question<TAB>answer<TAB>supporting IDs``;
the story a question is asked about is every statement above it in its story (questions are not
statements). Words are lower-cased and a sentence's closing ``.`` or ``?`` is dropped, as the
authors' code reads them: "Where is Mary?" is ``where is mary``. An answer is one token (task 8's
``apple,football`` and task 19's ``n,w`` are single tokens).

Files, under the data root's ``babi/`` folder (laid out like shared/data/babi):

    en/qaN_<name>_train.txt, en/qaN_<name>_test.txt      bAbI 1k: 1,000 questions per file
    en-10k/qaN_<name>_train.txt.gz                        bAbI 10k training files; the 10k test
                                                          files equal the 1k ones, so en/ is read

The 10k training file of task 3 is missing from the shared copy (over its size limit): a single-task
run of task 3 at 10k is refused naming the file; a joint 10k run trains task 3 on its 1k file and
says so (``training_files`` returns the substitution).

A malformed line is refused with one line naming the file, the line number and the problem.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from recur.data.text import read_text
from recur.errors import RecurError

TASK_IDS = tuple(range(1, 21))
VERSIONS = {"1k": "en", "10k": "en-10k"}
ID = re.compile(r"[0-9]{1,6}")
MISSING_10K = {3: "en-10k/qa3_three-supporting-facts_train.txt (git blob 9b2b35ca4357ea8ee44692c71ec71892edf51399)"}


@dataclass(frozen=True)
class Question:
    """One question with its story: the statements before it, oldest first, each a tuple of words."""
    story: tuple[tuple[str, ...], ...]
    question: tuple[str, ...]
    answer: str
    supporting: tuple[int, ...]  # indices into ``story`` of the supporting facts
    task: int  # 1..20, 0 when unknown (a user's file)


def words(sentence: str) -> tuple[str, ...]:
    """Lower-cased words of a bAbI sentence without its closing full stop or question mark."""
    return tuple(sentence.lower().replace("?", " ").replace(".", " ").split())


def parse_babi(text: str, source: str = "text", task: int = 0) -> list[Question]:
    """Every question of a bAbI file's ``text``; ``source`` names the file in refusals."""
    questions: list[Question] = []
    story: list[tuple[str, ...]] = []
    statement_of_line: dict[int, int] = {}  # the story's line IDs -> index of that statement in ``story``
    previous = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{source}, line {number}"
        head, _, rest = line.strip().partition(" ")
        if not ID.fullmatch(head):
            raise RecurError(f"{where}: expected 'ID text' with a positive integer ID, got {line[:60]!r}")
        line_id = int(head)
        if line_id == 1:
            story, statement_of_line = [], {}
        elif line_id != previous + 1:
            raise RecurError(f"{where}: ID {line_id} follows ID {previous}; IDs count up by one and 1 starts "
                             "a story")
        previous = line_id
        fields = rest.split("\t")
        if len(fields) == 1:
            sentence = words(rest)
            if not sentence:
                raise RecurError(f"{where}: ID {line_id} has no words")
            statement_of_line[line_id] = len(story)
            story.append(sentence)
            continue
        if len(fields) != 3:
            raise RecurError(f"{where}: a question line is 'ID question<TAB>answer<TAB>supporting IDs', "
                             f"got {len(fields)} tab-separated fields")
        question, answer, support = (field.strip() for field in fields)
        if not words(question):
            raise RecurError(f"{where}: the question is empty")
        if not answer or len(answer.split()) != 1:
            raise RecurError(f"{where}: the answer must be one word, got {answer!r}")
        supporting = []
        for item in support.split():
            if not ID.fullmatch(item) or int(item) not in statement_of_line:
                raise RecurError(f"{where}: supporting fact {item!r} is not the ID of a statement above it in "
                                 "its story")
            supporting.append(statement_of_line[int(item)])
        questions.append(Question(tuple(story), words(question), answer.lower(), tuple(supporting), task))
    if not questions:
        raise RecurError(f"{source}: no questions (a bAbI file has 'ID question<TAB>answer<TAB>supporting IDs' "
                         "lines)")
    return questions


def read_babi(path: str | Path, task: int = 0) -> list[Question]:
    """The questions of a bAbI file (``.gz`` is read too)."""
    return parse_babi(read_text(path), str(path), task)


def task_file(folder: Path, version: str, task: int, split: str) -> Path:
    """``folder/en/qa{task}_*_{split}.txt`` (10k training: ``en-10k/qa{task}_*_train.txt.gz``)."""
    subfolder = VERSIONS[version] if split == "train" else VERSIONS["1k"]
    found = sorted((folder / subfolder).glob(f"qa{task}_*_{split}.txt*"))
    if not found:
        missing = MISSING_10K.get(task) if version == "10k" and split == "train" else None
        raise RecurError(f"{folder / subfolder}: no qa{task}_*_{split}.txt file"
                         + (f"; {missing} is missing from the shared copy: train task {task} with --version 1k"
                            if missing else ""))
    return found[0]


def training_files(folder: Path, version: str, tasks: tuple[int, ...]) -> tuple[dict[int, Path], list[str]]:
    """The training file of each task, and notes on substitutions: a joint 10k run reads task 3's
    1k file, whose 10k file is missing; a single-task run of it is refused."""
    files, notes = {}, []
    for task in tasks:
        if version == "10k" and task in MISSING_10K and len(tasks) > 1:
            files[task] = task_file(folder, "1k", task, "train")
            notes.append(f"task {task}: {MISSING_10K[task]} is missing; trained on its 1k file {files[task].name}")
        else:
            files[task] = task_file(folder, version, task, "train")
    return files, notes


def split_held_out(questions: list[Question], fraction: float) -> tuple[list[Question], list[Question]]:
    """``(train, valid)``: the last ``fraction`` of the questions is held out, as the authors' code does
    for a single task (config_babi.m: the first 90 % train, the rest validate)."""
    keep = len(questions) - max(1, round(fraction * len(questions))) if fraction > 0 else len(questions)
    if keep < 1:
        raise RecurError(f"{len(questions)} questions leave none to train on after holding out {fraction:g}")
    return questions[:keep], questions[keep:]
