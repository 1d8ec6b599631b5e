"""Translation quality as the field reports it, through sacreBLEU (Post 2018), on detokenised text.

    bleu            sacreBLEU's corpus BLEU: 13a tokenisation, mixed case (the WMT convention)
    bleu_lowercase  the same on lowercased text: near what tutorials report from lowercased, tokenised
                    output (bentrevett/pytorch-seq2seq tokenises with spaCy, so its figure can differ a little)
    chrf            chrF (Popović 2015), character n-gram F-score, sacreBLEU's defaults

Each score is 0..100; its signature says exactly how each was computed, for a reader to reproduce it.
"""

from __future__ import annotations

from recur.errors import RecurError


def _sacrebleu():
    try:
        import sacrebleu
    except ModuleNotFoundError:
        raise RecurError("translation scores need sacrebleu, which is not installed: pip install sacrebleu") from None
    return sacrebleu


def corpus_scores(hypotheses: list[str], references: list[str]) -> tuple[dict[str, float], dict[str, str]]:
    """``({"bleu", "bleu_lowercase", "chrf"}, their signatures)`` of ``hypotheses`` against one
    reference each. A signature reads ``nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0``."""
    if len(hypotheses) != len(references):
        raise RecurError(f"{len(hypotheses)} translations for {len(references)} references")
    sacrebleu = _sacrebleu()
    metrics = {"bleu": sacrebleu.BLEU(), "bleu_lowercase": sacrebleu.BLEU(lowercase=True), "chrf": sacrebleu.CHRF()}
    scores = {name: round(float(metric.corpus_score(hypotheses, [references]).score), 4)
              for name, metric in metrics.items()}
    return scores, {name: str(metric.get_signature()) for name, metric in metrics.items()}
