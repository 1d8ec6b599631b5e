"""A MIDI file rendered to audio (WAV) by FluidSynth with a General MIDI soundfont: the Debian
packages ``fluidsynth`` and ``timgm6mb-soundfont`` (or ``fluid-soundfont-gm``), or a soundfont named
by ``RECUR_SOUNDFONT``. Without them, one line says what to install; MIDI needs neither."""

from __future__ import annotations

import os
import shutil
import subprocess
import wave
from pathlib import Path

import numpy as np

from recur.atomic import write_atomically
from recur.errors import RecurError

SOUNDFONT_ENV = "RECUR_SOUNDFONT"
SOUNDFONT_FOLDERS = ("/usr/share/sounds/sf2", "/usr/share/soundfonts", "/usr/share/sounds/sf3")
PREFERRED = ("FluidR3_GM.sf2", "TimGM6mb.sf2", "default-GM.sf2")
INSTALL = "apt install fluidsynth timgm6mb-soundfont"
SAMPLE_RATE = 22_050
RENDER_SECONDS = 120  # a render that takes longer is stopped


def soundfont() -> Path | None:
    """``$RECUR_SOUNDFONT``, else a General MIDI soundfont in the system's soundfont folders."""
    named = os.environ.get(SOUNDFONT_ENV, "").strip()
    if named:
        if not Path(named).is_file():
            raise RecurError(f"{SOUNDFONT_ENV}={named}: no such file")
        return Path(named)
    found = [p for folder in SOUNDFONT_FOLDERS for p in sorted(Path(folder).glob("*.sf[23]"))]
    found.sort(key=lambda p: PREFERRED.index(p.name) if p.name in PREFERRED else len(PREFERRED))
    return found[0] if found else None


def audio_unavailable() -> str | None:
    """None when WAV can be rendered here, else the one line that says what to install."""
    if shutil.which("fluidsynth") is None:
        return f"WAV needs FluidSynth and a General MIDI soundfont ({INSTALL}); the MIDI file plays without them"
    if soundfont() is None:
        return (f"WAV needs a General MIDI soundfont ({INSTALL}, or {SOUNDFONT_ENV}=FILE.sf2); the MIDI file "
                "plays without it")
    return None


def to_mono(path: Path) -> None:
    """Rewrite a 16-bit WAV as mono, its channels averaged: half the bytes, and a piano sounds the same."""
    with wave.open(str(path), "rb") as source:
        channels, rate, frames = source.getnchannels(), source.getframerate(), source.readframes(source.getnframes())
        if source.getsampwidth() != 2 or channels == 1:
            return
    samples = np.frombuffer(frames, dtype="<i2").reshape(-1, channels).astype(np.int32)
    with wave.open(str(path), "wb") as target:
        target.setnchannels(1)
        target.setsampwidth(2)
        target.setframerate(rate)
        target.writeframes(samples.mean(axis=1).round().astype("<i2").tobytes())


def render_wav(midi: str | Path, wav: str | Path) -> Path:
    """Render ``midi`` to ``wav`` (16-bit mono, 22.05 kHz), atomically."""
    missing = audio_unavailable()
    if missing:
        raise RecurError(missing)

    def render(temporary: Path) -> None:
        command = ["fluidsynth", "-ni", "-q", "-g", "0.8", "-r", str(SAMPLE_RATE), "-F", str(temporary), "-T", "wav",
                   str(soundfont()), str(midi)]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=RENDER_SECONDS)
        except subprocess.TimeoutExpired:
            raise RecurError(f"FluidSynth took over {RENDER_SECONDS} s rendering {midi}; stopped") from None
        if done.returncode != 0 or not temporary.exists() or temporary.stat().st_size <= 44:
            last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            raise RecurError(f"FluidSynth could not render {midi}: {last[0]:.200}")
        to_mono(temporary)

    return write_atomically(wav, render)
