"""The engine's tuned weights and thresholds: the defaults of `saige.settings.Settings`.

Written by `python -m evals.tune --write`, which re-derives every value by a small deterministic grid search
on the `dev` split of the eval questions only (evals/split.py); `test` is never read. Edit by re-running the
script, not by hand.
"""

CANDIDATES = 15
RRF_K = 40
BM25_WEIGHT = 1.0
BM25_K1 = 1.2
BM25_B = 0.75
DENSE_WEIGHT = 1.0
GUIDELINES_BOOST = 1.0
NAMED_DOC_BOOST = 2.0
NAMED_DOC_SEARCH = 0.0
HEADING_BOOST = 0.5
JUNK_PENALTY = 2.0
HUB_PENALTY = 0.0
ABSTAIN_DENSE = 0.35
ABSTAIN_FUSED = 0.0
ABSTAIN_ENTITY_COVERAGE = 0.8
ABSTAIN_TERM_COVERAGE = 1.0
