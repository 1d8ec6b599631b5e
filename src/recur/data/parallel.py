"""Parallel text: line-aligned sentence pairs, one file per language (Multi30k's layout).

A corpus folder holds ``{split}.{language}`` files, plain or gzipped (``train.de.gz`` beside
``train.en.gz``); line ``i`` of one language translates line ``i`` of the other. Multi30k's splits
(Elliott et al. 2016; WMT16/17 multimodal task 1) are ``train`` (29,000), ``val`` (1,014),
``test2016`` (``test_2016_flickr``, 1,000) and ``test2017`` (``test_2017_flickr``, 1,000).

Refused, each in one line naming the file: a missing file, text that is not UTF-8, line counts that
differ between the two languages (both counts named), and a pair with an empty side (its line).
"""

from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass
from pathlib import Path

from recur.errors import RecurError

MULTI30K_FOLDER = "multi30k"
MULTI30K_PUBLISHED = "github.com/multi30k/dataset, data/task1/raw (Elliott et al. 2016)"
MULTI30K_SPLITS = {"train": "train", "val": "val", "test2016": "test_2016_flickr", "test2017": "test_2017_flickr"}
LANGUAGES = ("de", "en", "fr", "cs")  # the languages Multi30k task 1 has been released in


@dataclass(frozen=True)
class Pairs:
    """Aligned sentences: ``source[i]`` translates to ``target[i]``; ``where`` names the files."""
    source: list[str]
    target: list[str]
    where: str

    def __len__(self) -> int:
        return len(self.source)


def split_file(folder: Path, split: str, language: str) -> Path:
    """``folder/{stem}.{language}``, gzipped or not; refused naming both spellings when neither exists."""
    stem = MULTI30K_SPLITS.get(split, split)
    for candidate in (folder / f"{stem}.{language}.gz", folder / f"{stem}.{language}"):
        if candidate.is_file():
            return candidate
    raise RecurError(f"{folder / f'{stem}.{language}.gz'}: no such file (nor {stem}.{language}); a corpus folder "
                     f"holds {stem}.SOURCE and {stem}.TARGET, line-aligned (Multi30k: {MULTI30K_PUBLISHED})")


def read_lines(path: Path) -> list[str]:
    """The lines of a text file (gzipped if its name ends in .gz), without their line ends."""
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        text = raw.decode("utf-8")
    except (OSError, EOFError, gzip.BadGzipFile, zlib.error) as err:
        raise RecurError(f"{path}: cannot be read ({getattr(err, 'strerror', None) or err})") from None
    except UnicodeDecodeError as err:
        raise RecurError(f"{path}: not UTF-8 text (byte {err.start})") from None
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the final line end
    return [line.rstrip("\r") for line in lines]


def read_pairs(source_path: Path, target_path: Path) -> Pairs:
    """The aligned sentences of two files, stripped of surrounding white space."""
    source, target = read_lines(source_path), read_lines(target_path)
    if len(source) != len(target):
        raise RecurError(f"{source_path} has {len(source):,} lines but {target_path} has {len(target):,}; "
                         "the two sides of a parallel corpus must be line-aligned")
    if not source:
        raise RecurError(f"{source_path}: no sentences")
    source, target = [s.strip() for s in source], [t.strip() for t in target]
    for number, (s, t) in enumerate(zip(source, target), start=1):
        if not s or not t:
            empty = source_path if not s else target_path
            raise RecurError(f"{empty}, line {number}: an empty sentence (every line pair needs text on both sides)")
    return Pairs(source, target, f"{source_path} | {target_path}")


def read_split(folder: Path, split: str, source: str, target: str) -> Pairs:
    """The ``split`` of the corpus in ``folder``, from language ``source`` to ``target``."""
    return read_pairs(split_file(folder, split, source), split_file(folder, split, target))
