"""Data sets that ship inside the package (each folder has a SOURCE.md: origin and license)."""

from importlib.resources import files
from pathlib import Path


def asset_path(*parts: str) -> Path:
    return Path(str(files("recur.assets").joinpath(*parts)))


def tiny_shakespeare() -> Path:
    return asset_path("tinyshakespeare", "input.txt")
