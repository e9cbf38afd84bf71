"""Attribute keys the server reads that are not GenAI fields.

What each normalised GenAI field is called in each dialect (provider, model, tokens, session …)
lives in one place, the dialect table (:mod:`agentstate.semconv.dialects`); the key lists that used
to be here are its ``FIELD_KEYS``.
"""

from __future__ import annotations

from typing import Final

SCRUBBED_MARK: Final = "agentstate.scrubbed"
"""Resource attribute (``"true"``) our SDK adds when it scrubbed the spans before export; the writer
then skips its own scrubbing pass for them."""
