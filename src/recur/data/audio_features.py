"""Frames of speech features through librosa: log-mel energies or MFCCs, 32 ms windows every 16 ms.

librosa, not torchaudio: torchaudio has no release matching the installed torch (2.13.0).

    mel_t  = M · |STFT(x)_t|²            M: ``size`` (or 40 for MFCC) triangular mel filters, 20 Hz-4 kHz
    logmel = log(mel_t + 1e-6)
    mfcc   = DCT-II(10 · log10(mel_t)) [:size]   (librosa.feature.mfcc over librosa.power_to_db)

Each utterance's frames are then normalised feature by feature to mean 0 and variance 1 over its
own frames (cepstral mean and variance normalisation): a speaker's microphone and level fall away,
which is what a held-out speaker needs. ``stacked`` joins k frames into one (k times fewer steps
for the recurrent layers, as Sak et al. 2015 do for CTC acoustic models).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from recur.data.fsdd import RATE

FEATURES = ("logmel", "mfcc")
WINDOW, HOP = 256, 128  # samples at 8 kHz: 32 ms windows, 16 ms apart
MFCC_MELS = 40
_warmed = False


def warmed_librosa():
    """librosa, its numba-compiled functions run once on a short silence under an exclusive file lock.

    librosa compiles some functions with numba on first use and caches them beside its own code;
    processes that compile at once (the ranks of ``recur train speech --nproc N`` on a fresh
    machine) can load each other's half-written cache files and crash. The lock lets one process
    compile and write while the others wait, then load the finished cache."""
    global _warmed
    import librosa  # imported here: a model that is only loaded never pays for it

    if not _warmed:
        _warmed = True
        try:
            import fcntl
            lock = open(Path(tempfile.gettempdir()) / "recur-librosa-numba.lock", "a")
        except (ImportError, OSError):  # not POSIX, or no writable temporary folder: no lock to take
            lock = fcntl = None
        try:
            if lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
            for kind in FEATURES:
                frames(np.zeros(WINDOW * 4, np.float32), kind, 13)
        finally:
            if lock:
                lock.close()  # closing releases the lock
    return librosa


def frames(samples: np.ndarray, kind: str = "logmel", size: int = 40, normalised: bool = True) -> np.ndarray:
    """``[T, size]`` float32 frames of ``samples`` (float32 at 8 kHz), normalised per utterance
    unless ``normalised`` is false (a time average of normalised frames is zero: the yardsticks
    average the raw ones)."""
    librosa = warmed_librosa()
    mels = size if kind == "logmel" else MFCC_MELS
    power = librosa.feature.melspectrogram(y=samples, sr=RATE, n_fft=WINDOW, hop_length=HOP, n_mels=mels,
                                           fmin=20.0, fmax=RATE / 2)
    if kind == "logmel":
        out = np.log(power + 1e-6)
    else:
        out = librosa.feature.mfcc(S=librosa.power_to_db(power), n_mfcc=size)
    out = out.T  # [size, T] -> [T, size]
    if normalised:
        out = (out - out.mean(axis=0)) / (out.std(axis=0) + 1e-5)
    return out.astype(np.float32)


def trimmed(samples: np.ndarray, top_db: float) -> np.ndarray:
    """``samples`` without the leading and trailing stretches quieter than the loudest window by more
    than ``top_db`` dB (RMS over 32 ms windows every 8 ms; librosa's ``effects.trim``); 0 keeps them.

    FSDD's speakers left different amounts of room noise around their digits: per-utterance
    normalisation and the mean read-out then weigh a speaker's habits, not the digit. A result
    shorter than two windows (a click, a silence) is not trusted: the samples come back whole."""
    if not top_db:
        return samples
    librosa = warmed_librosa()
    voiced, _ = librosa.effects.trim(samples, top_db=top_db, frame_length=WINDOW, hop_length=WINDOW // 4)
    return voiced if len(voiced) >= 2 * WINDOW else samples


def stacked(x: np.ndarray, k: int) -> np.ndarray:
    """``[T, D]`` -> ``[ceil(T / k), k·D]``: each k consecutive frames side by side, the last group
    padded with zeros (the normalised mean)."""
    if k == 1:
        return x
    T, D = x.shape
    padded = np.zeros((-(-T // k) * k, D), dtype=x.dtype)
    padded[:T] = x
    return padded.reshape(-1, k * D)  # [T', k, D] rows flattened: frame t·k + j sits at columns j·D..(j+1)·D
