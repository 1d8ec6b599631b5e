"""The readers under fuzzing, shared by ``test_fuzz_readers.py`` and ``bench/fuzz.py``.

Each ``Reader`` says which files it reads, how its hostile inputs are made (``fuzz_inputs``, from
small valid seeds cut from the real files under the data root), how to read them and what a
well-formed result is. ``judge(reader, contents)`` writes one input to a fresh folder, reads it
and returns a ``Verdict``: read to a well-formed result, refused in one line naming the file, or a
failure (with what went wrong).
"""

from __future__ import annotations

import functools
import gzip
import io
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from hypothesis import strategies as st

from recur.assets import tiny_shakespeare
from recur.data import read_text
from recur.data.babi import read_babi
from recur.data.fsdd import read_wav
from recur.data.labelled import read_labelled
from recur.data.parallel import read_pairs
from recur.data.piano_roll import KEYS, SPLITS as MUSIC_SPLITS, read_piano_rolls
from recur.data.strokes import SPLITS as STROKE_SPLITS, read_drawings
from recur.data.table import read_table
from recur.errors import RecurError
from tests.hostile.fuzz_inputs import gzipped, hostile_bytes, hostile_json, hostile_npz, hostile_text, maybe_gzipped
from tests.hostile.fuzz_verdict import FAILURE, READ, Verdict, crash, refusal, time_limit

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def fuzz_data_root() -> Path:
    """Where the seeds are cut from: ``$RECUR_DATA``, else ``../shared/data``."""
    return Path(os.environ.get("RECUR_DATA") or SHARED_DATA)


def head(path: Path, lines: int) -> str:
    """The first ``lines`` lines of a (gzipped) text file, each with its line end."""
    return "".join(read_text(path).splitlines(keepends=True)[:lines])


@dataclass(frozen=True)
class Reader:
    name: str
    files: tuple[str, ...]  # the names its input is written to
    inputs: Callable[[Path], st.SearchStrategy]  # data root -> strategy of one bytes per file
    read: Callable  # read(*paths)
    check: Callable  # check(result, *contents): an AssertionError for a malformed result


# ---- seeds and inputs ----------------------------------------------------------------------------

def text_inputs(root: Path):
    text = tiny_shakespeare().read_text(encoding="utf-8")
    return st.tuples(hostile_text([text[:1500], text[50000:50800]]))


def gzip_inputs(root: Path):
    seeds = [head(root / "ptb/ptb.train.txt.gz", 12), head(root / "sst/trees/train.txt.gz", 3)]
    return st.tuples(st.one_of(gzipped(hostile_text(seeds)),
                               gzipped(st.sampled_from(seeds).map(str.encode))))


def table_inputs(root: Path):
    ett = [head(root / "ett/ETTh1.csv", 12), head(root / "ett/ETTh2.csv", 6)]
    quoted = "\n".join(",".join(f'"{cell}"' for cell in line.split(",")) for line in ett[1].splitlines()) + "\n"
    return st.tuples(maybe_gzipped(hostile_text([*ett, quoted])))


def sst_inputs(root: Path):
    seeds = [head(root / "sst/sst2_sentences/stsa.binary.train", 8), head(root / "sst/sst2_glue_style/dev.tsv", 8)]
    return st.tuples(maybe_gzipped(hostile_text(seeds)))


def babi_inputs(root: Path):
    seeds = [head(next((root / "babi/en").glob(f"qa{task}_*_train.txt")), lines)
             for task, lines in ((1, 15), (8, 12), (19, 12))]
    return st.tuples(maybe_gzipped(hostile_text(seeds)))


def multi30k_inputs(root: Path):
    """A hostile German side beside the real English one, or the other way round, or both hostile."""
    sides = [head(root / f"multi30k/train.{language}.gz", 8) for language in ("de", "en")]
    valid = [st.just(gzip.compress(side.encode(), mtime=0)) for side in sides]
    hostile = [st.one_of(gzipped(hostile_text([side])), hostile_text([side])) for side in sides]
    return st.one_of(st.tuples(hostile[0], valid[1]), st.tuples(valid[0], hostile[1]), st.tuples(*hostile))


def piano_roll_inputs(root: Path):
    jsb = json.loads(read_text(root / "music/jsb_chorales.json"))
    small = {split: [piece[:6] for piece in jsb[split][:2]] for split in MUSIC_SPLITS}
    return st.tuples(maybe_gzipped(hostile_json([small, {**small, "train": small["train"][:1]}])))


def strokes_inputs(root: Path):
    seeds = []
    for name, count in (("omniglot", 3), ("short_kanji", 2)):
        with np.load(root / f"strokes/{name}.flat.npz") as archive:
            arrays = {}
            for split in STROKE_SPLITS:
                offsets = archive[f"{split}_offsets"][:count + 1]
                arrays[f"{split}_points"] = archive[f"{split}_points"][:offsets[-1]]
                arrays[f"{split}_offsets"] = offsets
            seeds.append(arrays)
    return st.tuples(hostile_npz(seeds))


def wav_inputs(root: Path):
    recordings = sorted((root / "speech/fsdd/recordings").glob("*_george_*.wav"), key=lambda p: p.stat().st_size)
    seeds = [recordings[0].read_bytes(), recordings[1].read_bytes()]
    import soundfile
    samples, rate = soundfile.read(io.BytesIO(seeds[0]), dtype="int16")
    other_rate = io.BytesIO()
    soundfile.write(other_rate, samples[:2000], 16000, format="WAV", subtype="PCM_16")  # read_wav resamples it
    return st.tuples(hostile_bytes([*seeds, other_rate.getvalue()]))


# ---- well-formed results -------------------------------------------------------------------------

def check_text(text, data: bytes) -> None:
    raw = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
    assert text == raw.decode("utf-8"), "the text read is not the file's text"


def check_table(table, data: bytes) -> None:
    assert len(table) >= 1 and table.columns == ["OT"]
    assert table.values.dtype == torch.float64 and tuple(table.values.shape) == (len(table), 1)
    assert bool(table.values.isfinite().all()), "a value that is not finite"


def check_labelled(examples, data: bytes) -> None:
    assert examples, "no examples"
    for label, sentence in examples:
        assert label in (0, 1) and isinstance(sentence, str) and sentence and sentence == sentence.strip()


def check_babi(questions, data: bytes) -> None:
    assert questions, "no questions"
    for q in questions:
        assert q.question and q.answer and len(q.answer.split()) == 1 and all(q.story)
        assert all(0 <= i < len(q.story) for i in q.supporting), "a supporting fact outside the story"


def check_pairs(pairs, *data: bytes) -> None:
    assert len(pairs.source) == len(pairs.target) >= 1
    assert all(pairs.source) and all(pairs.target), "an empty sentence"


def check_piano_rolls(splits, data: bytes) -> None:
    for split in MUSIC_SPLITS:
        assert splits[split], f"no pieces in {split}"
        for roll in splits[split]:
            assert roll.dtype == np.uint8 and roll.ndim == 2 and roll.shape[1] == KEYS and len(roll) >= 1
            assert set(np.unique(roll)) <= {0, 1}


def check_drawings(splits, data: bytes) -> None:
    with np.load(io.BytesIO(data), allow_pickle=False) as archive:
        for split in STROKE_SPLITS:
            assert splits[split], f"no drawings in {split}"
            for drawing in splits[split]:
                assert drawing.dtype == np.int16 and drawing.ndim == 2 and drawing.shape[1] == 3 and len(drawing)
                assert set(np.unique(drawing[:, 2])) <= {0, 1}
            read = np.concatenate(splits[split]).astype(np.int64)
            assert np.array_equal(read, archive[f"{split}_points"].astype(np.int64)), \
                "the points read are not the file's points (a value that does not fit in int16?)"


def check_wav(result, data: bytes) -> None:
    samples, rate = result
    assert samples.dtype == np.float32 and samples.ndim == 1 and len(samples) >= 1
    assert np.isfinite(samples).all() and isinstance(rate, int) and rate > 0


READERS = {reader.name: reader for reader in (
    Reader("text", ("input.txt",), text_inputs, read_text, check_text),
    Reader("gzip", ("train.txt.gz",), gzip_inputs, read_text, check_text),
    Reader("CSV table", ("ETTh1.csv",), table_inputs, lambda path: read_table(path, ["OT"]), check_table),
    Reader("SST", ("stsa.binary.train",), sst_inputs, read_labelled, check_labelled),
    Reader("bAbI", ("qa1_single-supporting-fact_train.txt",), babi_inputs, read_babi, check_babi),
    Reader("Multi30k", ("train.de.gz", "train.en.gz"), multi30k_inputs, read_pairs, check_pairs),
    Reader("piano-roll JSON", ("jsb_chorales.json",), piano_roll_inputs, read_piano_rolls, check_piano_rolls),
    Reader("strokes", ("omniglot.flat.npz",), strokes_inputs, read_drawings, check_drawings),
    Reader("WAV", ("0_george_0.wav",), wav_inputs, read_wav, check_wav),
)}


@functools.cache
def inputs(name: str, root: Path) -> st.SearchStrategy:
    """The hostile inputs of reader ``name``, from seeds under ``root`` (cut once)."""
    return READERS[name].inputs(root)


def judge(reader: Reader, contents: tuple[bytes, ...]) -> Verdict:
    """Write ``contents`` to ``reader.files`` in a fresh folder, read them, and say what happened."""
    with tempfile.TemporaryDirectory(prefix="fuzz-") as folder:
        paths = [Path(folder) / name for name in reader.files]
        for path, data in zip(paths, contents):
            path.write_bytes(data)
        try:
            with time_limit():
                result = reader.read(*paths)
        except RecurError as err:
            return refusal(str(err), [str(p) for p in paths])
        except BaseException as err:  # noqa: BLE001 - every other way out is the failure being counted
            if isinstance(err, KeyboardInterrupt):
                raise
            return crash(err)
        try:
            reader.check(result, *contents)
        except AssertionError as err:
            return Verdict(FAILURE, f"read, but not well-formed: {err}")
        except Exception as err:  # noqa: BLE001 - a result the check cannot even look at
            return Verdict(FAILURE, f"read, but not well-formed: {type(err).__name__}: {err!s:.200}")
    return Verdict(READ)
