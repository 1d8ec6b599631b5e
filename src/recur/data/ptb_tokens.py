"""Raw text split into words the way the Penn Treebank splits them, so that what a user types meets
the vocabulary a model learnt from PTB-tokenised files (SST's sentences were cut from PTB-style
trees, and written lower-cased):

    A gorgeous, witty movie!         ->  a gorgeous , witty movie !
    "Don't" (see it), said Mr. Smith ->  `` do n't '' -lrb- see it -rrb- , said mr. smith

The rules, as the Treebank's tokenisation guidelines and its published files show them:

    , ; : $ % & # @ ... -- and a run of ! and ? are words of their own (a comma or colon between
    digits stays, 1,000 2:30, and so does an ampersand between letters, r&b)
    "x" -> `` x ''   (an opening quote, at the start or after a space or bracket; curly quotes alike)
    ( ) [ ] { } -> -lrb- -rrb- -lsb- -rsb- -lcb- -rcb-
    clitics split off: n't 's 're 've 'll 'd 'm (can't -> ca n't, won't -> wo n't, cannot -> can not)
    a word's final period splits off, unless the word is an abbreviation (u.s., j., mr.), though
    the last word's splits off mr.-like ones ("say no." -> say no .)
    / and * are escaped as \\/ and \\*; hyphenated words stay whole

Text already tokenised this way comes back unchanged (tested on SST's sentences).
"""

from __future__ import annotations

import re

ABBREVIATIONS = {"al", "bros", "co", "corp", "dr", "etc", "inc", "jr", "ltd", "mr", "mrs", "ms", "mt", "no",
                 "prof", "sr", "st", "vs", "jan", "feb", "aug", "sept", "oct", "nov", "dec"}
BRACKETS = {"(": "-lrb-", ")": "-rrb-", "[": "-lsb-", "]": "-rsb-", "{": "-lcb-", "}": "-rcb-"}
CHARACTERS = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "…": "...", "—": " -- ", "–": " -- "})

# each (pattern, replacement) in order; every split is written as spaces around the new word
RULES = [(re.compile(pattern), replacement) for pattern, replacement in (
    (r'(^|(?<=[\s(\[{<]))"', " `` "),  # an opening double quote
    (r'"', " '' "),  # any other is a closing one
    (r"(^|(?<=\s))'(?=[^\W\d_])(?!(?:s|re|ve|ll|d|m|t|em|n|til)\b)", " ` "),  # an opening single quote
    (r"\.\.\.+", " ... "),
    (r"--+", " -- "),
    (r"[!?]+|[;@#$%]", r" \g<0> "),  # a run of ! and ? is one word, as in "what ?!?"
    (r"(?i)(?<![a-z])&|&(?![a-z])", " & "),  # an ampersand, unless inside a word (r&b)
    (r",(?!\d)|(?<!\d),", " , "),  # a comma, unless inside a number
    (r":(?!\d)|(?<!\d):", " : "),
    (r"[()\[\]{}]", lambda match: f" {BRACKETS[match.group()]} "),
    (r"(?<!\\)([/*])", r"\\\1"),
    (r"(?i)\b(ca|wo|[a-z]+)(n't)\b", r"\1 \2"),
    (r"(?i)\b(can)(not)\b", r"\1 \2"),
    (r"(?i)(?<=[^\s'`])('s|'re|'ve|'ll|'d|'m)\b", r" \1"),
    (r"(?<=[^\W_])(?<!\bol)(?<!'n)'(?=\s|$)", " '"),  # a plural possessive (the actors') or a closing quote
)]


def _split_period(word: str, last: bool) -> list[str]:
    """``word`` with its final period split off, unless it is an abbreviation."""
    if len(word) < 2 or not word.endswith(".") or word.endswith(".."):
        return [word]
    stem = word[:-1]
    if "." in stem or len(stem) == 1 and stem.isalpha() or not last and stem.lower() in ABBREVIATIONS:
        return [word]
    return [stem, "."]


def ptb_tokens(text: str, lower: bool = True) -> list[str]:
    """The words of ``text`` as the Penn Treebank writes them (see the module's rules), lower-cased
    unless ``lower`` is False."""
    text = text.translate(CHARACTERS)
    for pattern, replacement in RULES:
        text = pattern.sub(replacement, text)
    words = text.split()
    closing = {"''", "'", "-rrb-", "-rsb-", "-rcb-"}
    last = max((i for i, word in enumerate(words) if word not in closing), default=-1)
    tokens = [piece for i, word in enumerate(words) for piece in _split_period(word, i == last)]
    return [token.lower() for token in tokens] if lower else tokens


def plain_spelling(token: str) -> str:
    """``token`` as copies that undo the Treebank's escapes write it (GLUE's SST-2 training phrases):
    ``-lrb-`` as ``(``, ``\\/`` as ``/``; any other token as it is."""
    plain = {escaped: bracket for bracket, escaped in BRACKETS.items()}.get(token, token)
    return plain.replace("\\/", "/").replace("\\*", "*")
