"""The bAbI reader: stories restart at ID 1, questions see the statements above them, supporting IDs
become statement indices; a malformed line is refused naming its file and line; the real files."""

import pytest

from recur.data import WordVocab
from recur.data.babi import parse_babi, read_babi, split_held_out, task_file, training_files, words
from recur.data.vocab import UNK
from recur.errors import RecurError
from recur.tasks.babi import encode

STORY = """1 Mary moved to the bathroom.
2 John went to the hallway.
3 Where is Mary? \tbathroom\t1
4 Daniel went back to the hallway.
5 Where is Daniel? \thallway\t4
1 Sandra journeyed to the garden.
2 Where is Sandra? \tgarden\t1
"""


def test_stories_questions_and_supporting_facts():
    questions = parse_babi(STORY, "qa1.txt", task=1)
    assert [q.question for q in questions] == [("where", "is", "mary"), ("where", "is", "daniel"),
                                               ("where", "is", "sandra")]
    assert [q.answer for q in questions] == ["bathroom", "hallway", "garden"]
    first, second, third = questions
    assert first.story == (("mary", "moved", "to", "the", "bathroom"), ("john", "went", "to", "the", "hallway"))
    assert len(second.story) == 3 and second.supporting == (2,)  # line 4 is the third statement: questions skip
    assert third.story == (("sandra", "journeyed", "to", "the", "garden"),) and third.task == 1  # ID 1: a new story


@pytest.mark.parametrize("line, problem", [
    ("Mary moved.", "expected 'ID text'"),
    ("4 Mary moved.", "ID 4 follows ID 2"),
    ("3 Where is Mary?\tbathroom", "got 2 tab-separated fields"),
    ("3 ?\tbathroom\t1", "the question is empty"),
    ("3 Where is Mary?\t\t1", "the answer must be one word"),
    ("3 Where is Mary?\tbathroom\t7", "supporting fact '7'"),
    ("3", "ID 3 has no words"),
])
def test_a_malformed_line_is_refused_naming_file_and_line(line, problem):
    text = "1 Mary moved to the bathroom.\n2 John went to the hallway.\n" + line + "\n"
    with pytest.raises(RecurError, match="qa9.txt, line 3: .*") as refusal:
        parse_babi(text, "qa9.txt")
    assert problem in str(refusal.value)


def test_a_file_without_questions_is_refused():
    with pytest.raises(RecurError, match="story.txt: no questions"):
        parse_babi("1 Mary moved to the bathroom.\n", "story.txt")


def test_unknown_words_at_question_time_read_as_the_unknown_token():
    vocab = WordVocab(["<pad>", UNK, "where", "is", "mary", "moved", "to", "the", "bathroom"])
    question = parse_babi("1 Mary moved to the attic.\n2 Where is Gandalf?\tattic\t1\n")
    encoded = encode(vocab, question, slots=4, words=5)
    unk = vocab.index[UNK]
    assert encoded.story[0, 0].tolist() == [4, 5, 6, 7, unk]  # mary moved to the attic
    assert encoded.question[0].tolist() == [2, 3, unk, 0, 0] and encoded.answer.tolist() == [unk]
    assert encoded.slots.tolist() == [1]


def test_words_drop_the_closing_punctuation_and_case():
    assert words("Where is the Ring?") == ("where", "is", "the", "ring")
    assert words("Mary moved to the bathroom.") == ("mary", "moved", "to", "the", "bathroom")


def test_the_held_out_part_is_the_tail():
    questions = parse_babi(STORY)
    train, valid = split_held_out(questions, 0.34)
    assert train == questions[:2] and valid == questions[2:]


def test_the_real_files(data_root):
    folder = data_root / "babi"
    if not folder.is_dir():
        pytest.skip(f"{folder} not found")
    questions = read_babi(task_file(folder, "1k", 1, "train"), 1)
    assert len(questions) == 1000 and questions[0].answer == "bathroom"
    assert len(read_babi(task_file(folder, "1k", 19, "test"))) == 1000
    with pytest.raises(RecurError, match="qa3_three-supporting-facts_train.txt .* is missing.*--version 1k"):
        training_files(folder, "10k", (3,))
    files, notes = training_files(folder, "10k", (2, 3))
    assert files[2].name.endswith("_train.txt.gz") and files[3].parent.name == "en" and "task 3" in notes[0]
