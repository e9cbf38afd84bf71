"""The training recipe of the injection classifier: its settings, each with the measurements that chose it.

:mod:`train` builds the model with these and ``loso.py`` validates them by leaving one source out;
the docstrings keep the leave-one-source-out figures of the alternatives tried, so a change starts
from what was already measured.

Tried for the document head and not kept (documents recall out of source at a false positive rate
≤ 1 %, with the length cuts 64/128/256/512 and 0.562 as the baseline, unless said otherwise):

* Dense cues per text and per window, regular expressions over the token stream added as columns
  beside the rules: an action verb right after a break (a sentence or field that opens with an
  imperative), "please" + verb, "you must / should / need to", verb … "to" + an address, verb …
  "my …", "my friend / account / bank", greetings, sign-offs, a role word alone between breaks
  ("| system |"). Twelve of them together 0.547; "verb … my" alone 0.560; with "please" + verb,
  verb … address and "my friend …" 0.564; "please" + verb and the role word 0.564 (also with the
  cuts of :data:`LONG`). The regression weighs them little or below zero out of source: with
  InjecAgent held out, "verb … my" (in 38 % of its attacks, 14 % of AgentDojo's, ~0 % of benign
  data) weighs −0.09, because AgentDojo's copies of those requests carry "Ignore all previous
  instructions", which already explains them.
* N-grams that start at a break ("_ please grant": sentence and field openers): all 0.550; only
  those whose word is an action verb or "please" 0.553.
* Finer ablated twins (:data:`TWINS`): cutting the sentence pieces (text between punctuation) that
  score over τ instead of 512-byte windows: τ 0 0.543, −0.1 0.544, 0.5 0.555, the best piece only
  0.524; cutting only the best window 0.544.
* Attack rows again without their three strongest n-grams, as attacks (so the payload words learn
  weight): group weight 0.5 0.550, 1 0.542. Each long attack's best window as an extra attack:
  0.556 (own group 0.557; instead of the row 0.555).
* Attack n-grams required to be more frequent in the attacks than in the benign rows of the data
  sources with both (mean difference over 0 / 0.01): 0.557 / 0.539.
* L1 instead of L2 (C 0.1) 0.526; group reweighting by loss (DRO-like, η 1 / 3) 0.522 / 0.508;
  fitted on document rows only 0.472, on documents and every attack 0.527; benign user-input
  sources weighted 0.5 / 2: 0.542 / 0.553 (cuts of :data:`LONG`).
* N-gram weights clipped after fitting at 1.3 / 1.0 / 0.85 / 0.7: 0.561 / 0.565 / 0.564 / 0.565
  (1.0 with the cuts of :data:`LONG`: 0.566); the direct head's logit added (× 0.1 / 0.2 / 0.3):
  0.563 / 0.555 / 0.540; thresholds in steps of 0.001 instead of 0.005: 0.563.
* Three length bands (cuts 320 and 512, thresholds 0.97 / 0.595 / 0.835): 0.574 — a third threshold
  in the model for +0.005. A third band for the texts of one window (≤ 512 bytes) instead: 0.573.

Measured from the shipped recipe (0.569; out-of-source logits of the whole text and of every window,
both heads, kept once and reused):

* A stacked second stage on a few figures per document from the first: the whole-text logit, the
  best window, the best window not overlapping it, the mean and median window, best minus median,
  windows over 0, length, the direct head on the best window, the tier-0 score. Fitted with nested
  leave-one-source-out (for held-out source S only on the other sources' out-of-source logits, each
  (source, label) group weighing the same), thresholds chosen on the pooled scores as above.
  Logistic regression (C 0.1 / 1): the first-stage logit alone 0.538 / 0.540 (each fold's own
  recalibration moves its scores against the pooled thresholds: ~0.03 lost before any feature
  helps), with best minus median 0.548 / 0.546, five window figures 0.531 / 0.535, ten 0.536 /
  0.538, all fifteen 0.521 / 0.519, groups unweighted 0.27–0.50, only on the texts with windows
  0.540. Gradient-boosted trees (depth 3, 100 rounds) 0.497–0.516; monotone in the logit, the
  second window, the direct head and tier 0: 0.554 (depth 2) / 0.561. As a correction added to the
  first-stage logit (L2 0.001–0.1), one figure at a time 0.505–0.578 (the median window best),
  all ten 0.536–0.567, fitted only on the texts over a logit of −1 / 0 / 1: 0.569 / ≤ 0.542 /
  ≤ 0.502. Scores mapped to their rate among the fold's benign training documents first (three
  bands): 0.49–0.535. No second stage, each fold's logits calibrated on its own training documents
  instead: minus their benign 99 / 99.5 % quantile 0.558 / 0.565; mapped affinely between that
  quantile (50 / 90 %) and the attacks' median 0.567 / 0.568.
* Document-relative scores: the logit minus a × the best window that does not overlap the best one
  (a text of one window: its own logit). With a chosen on the pooled scores, like a threshold:
  0.592 (a 0.6), with three bands (one window / under 384 tokens / longer) 0.595, plus 0.15 × the
  direct head on the best window and 1.0 × the tier-0 score 0.608. With a chosen for each held-out
  source on the other sources only: 0.554 (three bands 0.573; with the two other terms 0.575): with
  AgentDojo held out the others choose a 0.3, with garak 0, so the pooled gain is AgentDojo's own
  optimum. Pooled, only for texts with windows 0.573; minus 0.6 × the median window 0.586; plus
  0.4 × best minus median 0.575. An injected instruction is an outlier in its document, but so are
  AgentDojo's false positives: one e-mail asking "could you please review …" in a list of them
  (best minus median window 3.1–3.6 logits on the long ones).
* Other window widths / strides for the document head (bytes): 256 / 128 0.566, 320 / 160 0.567,
  384 / 128 0.553, 384 / 192 0.576, 384 / 256 0.555, 448 / 224 0.563, 512 / 128 0.560, 768 / 384
  0.541, 1,024 / 512 0.550: no trend, ±0.01 between neighbours (384 / 192 with the document-relative
  score 0.583 pooled, 0.571 nested). Benign documents' windows also fitted as benign rows
  (:data:`NEGATIVE_WINDOWS`): 0.542 (512 / 256), 0.558 (384 / 192).
* Pretrained static word embeddings (PyPI ``wordllama`` 0.4.0, ``l2_supercat_256``: 256 dimensions
  per Llama-2 token; a word of the token stream is the mean of its tokens), mean-pooled per text and
  per window of the document head (512 / 256), measured against the same out-of-source n-gram logits.
  A logistic regression on the embedding alone (each (source, label) group weighing the same; the
  best window or the whole text): 0.333 (C 0.01; 0.320 / 0.321 at C 0.1 / 1), mean and max pooled
  0.373, IDF-weighted (document frequencies of the fold's training rows) 0.346, cased Llama tokens of
  the normalised text 0.351; fitted on documents and attacks only, nothing but tier 0 clears the
  thresholds (0.272). Alone it flags PurpleLlama's planted instructions 0.40 (the n-gram head 0.07)
  but BIPIA's 0.004. The embedding logit added to the n-gram head's (z + a × e, per text or per
  window, a chosen pooled / for each held-out source on the other sources only): best pooled 0.581
  (a 0.1, per window) whose nested figure is 0.554; the best nested 0.570 (IDF-weighted, per window;
  pooled 0.574); minus an offset (z + a × (e − c)) 0.582 pooled (a 0.15, c 8), ≤ 0.566 nested;
  the higher of both (max(z, a × e − c)) ≤ 0.577 pooled, ≤ 0.566 nested. As 256 more columns of the
  document head itself (standardised on the fold's training rows and scaled by λ; its windows and
  ablated twins too; refitted and pruned as shipped): λ 0 0.569, 0.02 0.567, 0.05 0.551, 0.1 0.539,
  0.3 0.526 (fewer n-grams survive the pruning: ~150–175 instead of ~200). Cost per 2 KB document
  on top of ``judge`` (19.5 µs in the same run): tokenising with the Llama-2 tokenizer and pooling
  520–620 µs; a table of words of our token stream, a score per word (what a linear head needs) 29 µs
  for the whole-text mean, 92 µs with the windows; a 256-dimensional mean 74 µs. The weights are
  declared MIT but are trained from the Llama 2 70B (and Phi-3 medium) token embeddings and come
  with Llama 2's tokenizer, so Meta's Llama 2 Community License may bind them.
* Planted documents, made inside each fold from the other sources only: a payload put at a seeded
  random break (line, sentence, field) of a benign document or tool output, bare, after "Note: ", in
  an HTML comment or as a field's value, as attacks of a group of their own, the head then fitted as
  shipped. Payloads: the short direct attacks (≤ 400 characters, no jailbreak templates: 1,658; a) or
  what an indirect attack adds to its clean twin (1,910, AgentDojo, InjecAgent, garak; b). 1,000 per
  fold, group weight 1 / 0.5: a 0.562 / 0.566, b 0.571 / 0.578, both 0.572 / 0.565 (a group per
  payload kind 0.565 / 0.573). b at 0.5, other seeds 0.574 / 0.564 / 0.578; at 0.25 0.566; 300 / 500
  rows 0.564 / 0.575 (weight 1: 500 0.565); 3,000 0.539 (weight 1 0.559; both 0.562 / 0.563); the
  hosts also as benign twins 0.575 (both, weight 1: 0.569); n-grams chosen without them 0.559. The
  best's gain is AgentDojo's (0.832 → 0.873) at garak's cost (0.609 → 0.591); PurpleLlama (0.07) and
  BIPIA (0.20) do not move: they are not what the other sources plant.

* Character n-grams (2026-12-06, helper harness that reproduces the shipped 0.569 with ``loso.py``'s
  own code): ``char_wb`` 3–5 n-grams of the token stream, chosen by the same selection, added to the
  shipped document head (windows, twins, refit and pruning, C 0.03): 0.540 (garak 0.609 → 0.547,
  AgentDojo 0.832 → 0.792, BIPIA 0.201 → 0.150, InjecAgent 0.516 → 0.519). In a simpler harness
  (whole texts, no twins, one pooled threshold pair; word n-grams alone 0.517 there): character
  n-grams alone 0.455–0.493 binary, 0.409–0.456 TF-IDF (C 0.3–10), words and characters together
  0.478–0.490. AgentDojo's benign e-mails still make 19–40 of the 41 false positives allowed. Served
  as Hyperscan literals of the kept character n-grams they would add ~24 µs per 2 KB text (542
  literals) to ``judge``, without window scoring.

* Field names taken out of the token stream (2026-12-06, ``loso.py`` as shipped, both heads): a word
  or words before a colon at a line start, after ``- ``, or as a quoted JSON key (``subject:``,
  ``"body":``, ``cc:``) became a break, so documents' format words could not be features: 0.529
  (3,430 attacks against 3,689; chosen thresholds 0.965 / from 192 tokens 0.855). At the shipped
  thresholds 0.524 at a 1.23 % false positive rate, AgentDojo's benign documents still flagged 4.5 %.

* BIPIA held out together with AgentDojo (2026-12-06). BIPIA's rows here are AgentDojo's documents with
  BIPIA's instructions planted: 407 of its 468 rows share a sentence of 40 characters or more with
  AgentDojo rows, and 1,369 of AgentDojo's 1,971 rows share one with BIPIA's. So with AgentDojo held
  out, the fit still saw its documents, labelled as attacks. Holding both out in one fold (and
  OpenLLMetry with OpenInference, whose docs share 37–58 rows): 3,712 attacks (0.573) against 3,689.
  The indirect thresholds chosen fall to 0.82, and from 320 tokens 0.725: AgentDojo's benign documents
  flagged 2.7 % instead of 4.6 % at the shipped thresholds. The confound costs the false positive
  budget, not recall; the protocol is unchanged.

* Per-n-gram penalty scaling in the document head's fit (2026-12-06, ``loso.py`` as shipped, both heads;
  the head fitted on ``x · s`` and its weights returned as ``w · s``, so serving is unchanged; rule
  columns unscaled). NB-SVM's log-count ratio (Wang & Manning 2012), ``s = |r|``: 0.522; interpolated
  ``(1 − β) + β · |r| / mean``, β 0.5 / 0.25 / 0.1: 0.532 / 0.544 / 0.560 (β 0.25 with C × 0.5 / 2 / 4:
  0.539 / 0.552 / 0.555; unweighted counts 0.523; rules scaled too 0.544). The more scaling, the more
  garak (0.61 → 0.48–0.53) and AgentDojo lose. A cross-source prior, ``s`` = the number of sources
  whose attacks hold the n-gram (at least 1) to the power γ, mean 1: γ 0.25 / 0.5 / 1 at the shipped C
  0.554 / 0.540 / 0.529; it recovers only as C grows, which undoes the smaller penalty: γ 0.5 with C × 2 /
  3 / 4 / 6 / 8 0.557 / 0.562 / 0.567 / 0.569 / 0.547, γ 1 with C × 6 0.569 (3,690 attacks against
  3,689, keeping ~470 n-grams instead of ~206: AgentDojo 0.832 → 0.867, BIPIA 0.201 → 0.171). The shipped
  C × 1.5 / 2 alone: 0.557 / 0.548. PurpleLlama stays near 0.07 throughout.
* The document head's n-gram selection, one setting at a time (2026-12-06, ``loso.py`` as shipped; the
  direct head flags its 1,360 attacks throughout, 1,359 at a shared :data:`MIN_DF` of 5):
  :data:`MIN_SOURCES` 1 / 3 / 4: 0.555 / 0.561 / 0.562 (3 only for the n-grams leaning to attacks 0.559,
  only for those leaning to benign rows 0.569); :data:`MAX_DF` 0.1 / 0.15 / 0.25 / 0.3 / 0.5: 0.542 /
  0.564 / 0.553 / 0.554 / 0.548; :data:`PER_HEAD` for this head alone 500 / 750 / 1,500 / 2,000: 0.550 /
  0.560 / 0.564 / 0.559; :data:`MIN_DF` 2 / 5: 0.569 / 0.569 (the top of the chi² ranking holds no
  rarer n-gram); n-grams of 1–2 / 1–4 / 2–3 words: 0.563 / 0.562 / 0.478; chi² with each (source, label)
  group weighing the same 0.529, on document rows only 0.545, on document rows and every attack 0.525;
  only the n-grams leaning to attacks 0.571 (3,703 attacks against 3,689: inside the ±0.01 between
  neighbouring settings; with :data:`PER_HEAD` 750 / 1,500 or :data:`MAX_DF` 0.15 0.564–0.565).

What holds the figure down: with AgentDojo held out, its benign e-mails score 0.93–0.998 on their
format words (``body``, ``subject``, ``timestamp``, ``cc``: BIPIA's attacks are AgentDojo documents)
and on ``please`` / ``me`` (InjecAgent's attacks hold ``please`` in 72 % of rows, its clean outputs
never); they take ~22 of the ~41 false positives the budget allows. Recall at a false positive rate
of 0.5 / 1 / 1.5 / 2 %: 0.501 / 0.562 / 0.590 / 0.600.
"""

from __future__ import annotations

from typing import Final

SEED: Final = 1204
PER_HEAD: Final = 1000
MAX_DF: Final = {"direct": 0.05, "indirect": 0.2}
"""Per head: n-grams in more of the rows than this are not features (common words cost a report on
most texts; on user input they also generalised worse across sources)."""
MIN_DF: Final = 3
MIN_SOURCES: Final = {"direct": 3, "indirect": 2}
"""Per head: sources an n-gram must occur in (documents come from fewer sources than prompts)."""
C: Final = {"direct": 0.06, "indirect": 0.03}
"""Per head: inverse L2 strength of the logistic regression, chosen by leave-one-source-out with
:data:`NEGATIVE_CAP` and :data:`THRESHOLDS`. Direct head (own n-grams, best cap each time): 0.03
flags in-the-wild jailbreaks 0.800 out of source (user input recall 0.464), 0.045 0.818, 0.06 0.831
(0.468), 0.1 0.846 (0.470), 0.15 0.843 (0.471), user-input precision ≥ 0.98 throughout; from 0.1
the thresholds so chosen (short texts 0.925 or more, long ones 0.515) flag two of the dev set's long
benign texts (dev false positive rate 0.62 % where the target is 0.5 %). Document head (before
:data:`REFIT`, unpruned): 0.01 0.542, 0.02 0.558, 0.03 0.560, 0.04 0.554, 0.05 0.554, 0.1 0.549
recall at a false positive rate ≤ 1 %; refitted and pruned at 0.25, 0.02 0.555, 0.03 0.562, 0.045
0.557 (at 0.2: 0.549, 0.554, 0.554; at 0.3: 0.551, 0.550, 0.552)."""
CLASS_WEIGHT: Final[str | None] = None
BALANCE: Final = 1.0
THRESHOLDS: Final = {"direct": 0.88, "indirect": 0.97}
"""Decision thresholds per head, chosen on the leave-one-source-out scores (``--loso``; the document
head's were 0.965, long 0.75, before it was refitted and pruned at 0.25, then 0.975 from 256 tokens
0.78 until the length cuts tried included 192, 320 and 384: see :data:`LONG`)."""
NEGATIVE_CAP: Final[dict[str, float | None]] = {"direct": 3.0, "indirect": None}
"""Per head without windows: the negative weights present count down to minus this at most
(``classifier.Head.negative_cap``), chosen with :data:`THRESHOLDS` by leave-one-source-out
(``loso.NEGATIVE_CAPS``; with :data:`OWN_NGRAMS` and :data:`C` 0.06, attacks on user input flagged
out of source: uncapped 1,335, 8: 1,344, 7: 1,345, 6: 1,348, 5: 1,351, 4: 1,354, 3: 1,360, short
threshold 0.865–0.88, long 0.5; in-the-wild jailbreaks 0.831 at 3)."""
LONG: Final = {"direct": (128, 0.5), "indirect": (320, 0.715)}
"""Per head: texts of this many tokens or more (``features.length``) and their threshold, chosen
with :data:`THRESHOLDS` on the leave-one-source-out scores (``--loso``, among ``loso.LONG_CUTS``;
never under 0.5). Document head, attacks flagged out of source at a false positive rate ≤ 1 % (of
6,482; best thresholds per cut): 64 3,250, 128 3,247, 192 3,669, 256 3,643 (0.562), 320 3,689
(0.569: short 0.97, long 0.715), 384 3,595, 512 3,382. The direct head keeps 128 whichever cuts
are tried."""
WINDOWS: Final = {"direct": (0, 0), "indirect": (512, 256)}
"""Per head: window width and stride (bytes of token stream) of window scoring (``classifier.py``;
``0``: whole texts only), chosen by leave-one-source-out: a planted instruction is a small part of a
long document, and the best window scores it without the rest diluting it. User input has none:
windows of 512–768 bytes lifted in-the-wild jailbreaks from 0.708 to 0.745–0.794 out of source, but
at the thresholds that keeps user input precise the hand-written hard negatives and the dev set's
attacks no longer both held (a window of a benign text loses the words that made it benign)."""
NEGATIVE_WINDOWS: Final = frozenset({"direct"})
"""Heads also fitted on the windows of the benign texts they judge, as benign (with a window only:
without it a head with windows flags benign system-prompt templates by a part of them)."""
TWINS: Final = frozenset({"indirect"})
"""Heads refitted with the ablated twins of the long attacks they judge (as benign)."""
OWN_NGRAMS: Final = frozenset({"direct"})
"""Heads that weigh only the n-grams chosen for them (the others weigh every head's n-grams), chosen
by leave-one-source-out: the direct head on its own n-grams flags the same in-the-wild jailbreaks
(0.751, caps up to 7) at a short-text threshold of 0.76 instead of 0.87; with :data:`C` 0.06 it
flags 0.831 at a cap of 3, short threshold 0.88 (every n-gram, caps down to 4: 0.815 at 4, short
threshold 0.955). The document head on its own n-grams fell from 0.560 to 0.516: the direct head's
n-grams help it."""
DIGITS: Final = 4
MIN_WEIGHT: Final = {"direct": 0.05, "indirect": 0.25}
"""Per head: n-gram weights below this are dropped (:func:`~.train.prune`): each n-gram present costs a
Hyperscan report (~0.3 µs), and on a long document every occurrence of every n-gram the document head
weighs costs a Python callback (``classifier.Runtime.judge``). See :data:`REFIT` for how the document
head's figure was chosen."""
REFIT: Final = frozenset({"indirect"})
"""Heads fitted twice (:func:`~.train.fit_pruned`): once on every n-gram they may weigh, then again on those
whose weight reached :data:`MIN_WEIGHT`, and pruned again; leave-one-source-out scores them exactly
as shipped (rounded and pruned). The document head weighed every n-gram with ``|w| ≥ 0.05`` (1,045):
147 matches and 80 µs of ``judge`` per 2 KB document. Leave-one-source-out, documents recall at a
false positive rate ≤ 1 % (thresholds chosen each time; 0.560 unpruned): pruned after one fit at
0.05 0.559, 0.1 0.552, 0.15 0.556, 0.2 0.553, 0.25 0.536, 0.3 0.543; refitted on what is left at
0.05 0.558 (965 n-grams), 0.1 0.552, 0.15 0.555, 0.2 0.554 (292), 0.25 0.562 (206), 0.3 0.550
(150). Dropping the n-grams in more than 5 % / 10 % of the documents instead: 0.381 / 0.464. The
direct head is pruned only in the model (at 0.05 it scores 10.7 µs; pruned inside
leave-one-source-out its in-the-wild figure would read 0.828 instead of 0.831)."""

DATA_CATEGORIES: Final = frozenset(
    {"benign:agent_env_document", "benign:clean_tool_output", "benign:code_or_docs_chunk", "benign:document_for_task"}
)
"""Benign rows that are documents or tool outputs: judged by the indirect head."""
