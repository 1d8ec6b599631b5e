"""``recur explain TOPIC``: the lectures' worked examples, reproducible, each printing its numbers
and, given an output folder, writing a picture where one helps.

    from recur.explain import explain
    print(explain("params", options={"cell": "lstm", "bias": "true"}).text)

One file per topic; ``TOPICS`` is the registry the CLI dispatches on.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from recur.errors import RecurError
from recur.explain import bptt, clipping, eigen, hello, lstm_gates, onehot, params
from recur.explain.topic import Explanation, Option, Topic

TOPICS: dict[str, Topic] = {module.TOPIC.name: module.TOPIC
                            for module in (hello, onehot, params, bptt, eigen, clipping, lstm_gates)}


def explain(topic: str, out_dir: Path | None = None, options: Mapping[str, str] | None = None) -> Explanation:
    """Run one topic; ``options`` are its ``NAME=VALUE`` settings as text, ``out_dir`` where its
    PNGs go (none are written without it). The text ends with the topic's conclusion. Unknown topics
    and options, and values of the wrong type or out of range, are refused naming the valid ones."""
    try:
        entry = TOPICS[topic]
    except KeyError:
        raise RecurError(f"unknown topic {topic!r}; choose one of: {', '.join(TOPICS)}") from None
    return entry.explain(options or {}, None if out_dir is None else Path(out_dir))


__all__ = ["TOPICS", "Explanation", "Option", "Topic", "explain"]
