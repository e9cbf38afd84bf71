"""Second-stage pre-checks for the tier-0 injection rules: literals every match must contain.

A rule's needles (first four letters of a word) are often common words — ``user``, ``tool``,
``agent``, ``policy``, ``mode``, ``over`` — so on ordinary LLM text they let most rules through to a
full regex scan (30–300 µs per KB each). A gate lists, per alternative branch of a rule's pattern,
groups of literals of which one per group occurs in *every* match of that branch (read off the
pattern: only text joined by literal spaces, never across ``\\s``, since normalised text keeps
newlines). A rule whose gate is shut cannot match, so skipping it changes no verdict;
``tests/processors/detectors/test_injection_gates.py`` checks this against running every pattern.

Shape: ``{rule id: (branch, ...)}``, branch = ``(group, ...)``, group = ``(literal, ...)``. The gate
is open when all groups of some branch have a literal in the normalised text.
"""

from __future__ import annotations

from typing import Final

Group = tuple[str, ...]
Gate = tuple[tuple[Group, ...], ...]

_LEAKED_OBJ: Final = ("instruction", "prompt", "rules", "guidelines", "directives", "parameters", "configuration")
_RESTRICTIONS: Final = ("restrictions", "filters", "censorship", "limitations", "guidelines", "morals", "ethics")

# fmt: off
GATES: Final[dict[str, Gate]] = {
    "injection.override": ((
        ("previous", "prior", "above", "earlier", "preceding", "initial", "original", "system", "old", "former",
         "following", "other", "before", "so far", "until now", "up to now", "given", "received", "got", "user"),
    ),),
    "injection.override_everything": ((("everything", "anything", "all that"),),),
    "injection.override_rules": ((
        ("rules", "guidelines", "restrictions", "filters", "safeguards", "polic", "ethics", "morals", "programming",
         "prompt", "safety "),
    ),),
    "injection.instructions_void": ((
        ("false", "wrong", "fake", "outdated", "out of date", "obsolete", "invalid", "void", "cancel", "revoked",
         "no longer valid", "null", "overridden", "superseded", "lifted"),
    ),),
    "injection.reprogram": ((("program", "new ", "override"),),),
    "injection.instructions_follow": ((("new ",), ("follow", "below", ":")),),
    "injection.new_instructions": ((
        ("new", "updated", "revised", "real", "actual", "true", "secret", "hidden", "additional"),
    ),),
    "injection.end_instructions": ((("end",),),),
    "injection.prompt_leak": (((*_LEAKED_OBJ, "repeat", "you are", "what "),),),
    "injection.prompt_probe": ((("your", "given", "with"),),),
    "injection.rules_probe": ((("your",),),),
    "jailbreak.persona": ((
        ("anything now", "stands for", "freed", "broken", "no restrictions", "no limits", "no filters",
         "mode enabled", "mode activated", "mode on", "mode output", "mode response", "jailbreak]", "jailbroken]",
         "dan]", "stan]", "dude]", "jailbr"),
    ),),
    "jailbreak.unrestricted": ((
        ("confines", "restrictions", "rules", "limitations", "constraints", "shackles", "unrestricted",
         "exception to", "content polic"),
    ),),
    "jailbreak.no_rules": (
        (("not", "n't", "never"), ("abide", "follow", "comply", "obey", "adhere")),
        (("not ",), ("restricted", "bound", "limited", "constrained")),
        (("without ", "no "), _RESTRICTIONS, ("respond", "answer", "reply", "generate", "output")),
        (("without ", "with no "), _RESTRICTIONS),
        (("never ", "not ", "won't ", "will not "), ("refuse", "decline")),
    ),
    "jailbreak.hypothetical": ((("guidelines", "restrictions", "rules", "filters", "limits", "ethics", "morals"),),),
    "jailbreak.no_ethics": ((
        ("guidelines", "restrictions", "principles", "boundaries", "filters", "limits", "compass", "rules",
         "standards"),
    ),),
    "jailbreak.jailbroken": (
        (("jailbr",),),
        (("your",), ("filter", "guardrail", "safeguards", "restrictions", "censorship", "limitations", "safety ")),
    ),
    "injection.authority_claim": ((("i'm ", "i am ", "this is "),),),
    "jailbreak.mode_switch": (
        (("safe mode", "safety mode", "safety filter", "content filter", "guardrail", "censorship", "ethics"),
         ("off", "disabled", "deactivated", "removed", "lifted")),
        (("enable", "activate", "enter", "switch to"),
         ("unrestricted", "jailbreak", "dan", "evil", "unfiltered", "uncensored"), ("mode",)),
    ),
    "jailbreak.dual_response": ((("ways", "responses", "answers", "paragraphs", "character"),),),
    "injection.role_marker": ((
        ("<|", "[inst]", "[/inst]", "<<sys>>", "<system>", "</system>", "[system", "[admin", "[developer",
         "system note", "system override", "system alert"),
    ),),
    "injection.heading_marker": ((("##", "**"), ("system", "new instruction")),),
    "injection.role_line": (((":",),),),
    "injection.hijack_output": (
        (("just ", "only "), ("say", "print", "write", "output", "reply with", "respond with", "answer with")),
        (('"',), ("only", "nothing else")),
        (("repeat after me", "say only"),),
    ),
    "injection.you_are_now": ((("you are no", "you're no longer", "the situation has changed", "assistant is "),),),
    "injection.urgent_update": ((("update", "notice", "instruction", "message", "system upgrade"),),),
    "injection.exfiltration": ((("@", "://"),),),
    "indirect.addressed_to_ai": ((
        ("reading", "processing", "summari", "must", "please", "should", "are instructed", "ignore"),
    ),),
    "indirect.ai_reader": ((
        ("this", "these"), ("must", "should", "are instructed", "are required", "need to", "will"),
    ),),
    "indirect.hide_from_user": (
        (("do not", "don't", "never", "without "), ("user",)),
        (("secretly", "silently", "quietly", "covertly"),),
    ),
    "indirect.tool_call": ((
        ("call", "invoke", "use", "execute", "run", "trigger"),
        ("to send", "to forward", "to delete", "to transfer", "to pay", "to email", "to post", "to upload",
         "to grant", "argument", "parameter"),
    ),),
    "indirect.when_processing": ((
        ("summari", "read", "process", "answer", "respond", "pars", "analy"),
        ("page", "document", "email", "text", "article", "content", "message", "file", "website", "review",
         "result"),
    ),),
}
# fmt: on
"""Gates per rule id; rules without one (rare needles already) always pass this stage."""


Spaced = tuple[str, tuple[str, ...]]
"""A literal with a space, and its space-free parts (each must lie inside one word)."""
Compiled = tuple[tuple[tuple[tuple[str, ...], tuple[Spaced, ...]], ...], ...]
"""A gate with each group split into (literals without a space, literals with one)."""


def compile_gate(gate: Gate) -> Compiled:
    """Split each group's literals for :func:`is_open`."""
    return tuple(
        tuple(
            (
                tuple(s for s in group if " " not in s),
                tuple((s, tuple(p for p in s.split(" ") if p)) for s in group if " " in s),
            )
            for group in branch
        )
        for branch in gate
    )


def is_open(gate: Compiled, text: str, vocab: str) -> bool:
    """Whether some branch of ``gate`` has a literal of each of its groups in ``text``.

    Args:
        gate: From :func:`compile_gate`.
        text: The normalised text.
        vocab: Its distinct whitespace-separated words joined by spaces: a literal without a space
            lies inside one word, so it occurs in ``text`` iff it occurs in this shorter string (and a
            literal with spaces only if each of its parts does; only then is ``text`` searched).
    """
    for branch in gate:
        for words, spaced in branch:
            if not _group_present(words, spaced, text, vocab):
                break
        else:
            return True
    return False


def _group_present(words: tuple[str, ...], spaced: tuple[Spaced, ...], text: str, vocab: str) -> bool:
    for s in words:
        if s in vocab:
            return True
    for s, parts in spaced:
        for p in parts:
            if p not in vocab:
                break
        else:
            if s in text:
                return True
    return False
