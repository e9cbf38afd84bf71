"""Tier-0 prompt-injection and jailbreak rules: weighted patterns over normalised text.

Each rule matches one well-known attack technique (OWASP LLM01 and the public jailbreak corpora):
instruction override, prompt extraction, persona/mode jailbreaks, fake system or role markers,
hijacked output, credential or data exfiltration. A text is flagged when the weights of the rules
it matches sum to 1.0, so a strong signal alone suffices and weak ones must co-occur. Patterns run
on :func:`normalize_text` output (NFKC, lower case, plain quotes, single spaces).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Final

STRONG: Final = 1.0
MEDIUM: Final = 0.6
WEAK: Final = 0.35


@dataclass(frozen=True, slots=True)
class Rule:
    """One detection rule.

    Attributes:
        id: Stable identifier, stored in alerts (``injection.override`` …).
        weight: Contribution to the score; 1.0 flags on its own.
        pattern: Pattern over normalised text.
        technique: Short human description.
        needles: Substrings of which one must occur for the pattern to be run (cheap pre-check).
        indirect_weight: Weight when the text is a tool output or a retrieved document, where role
            markers and instructions addressed to the assistant are themselves the attack.
    """

    id: str
    weight: float
    pattern: re.Pattern[str]
    technique: str
    needles: tuple[str, ...]
    indirect_weight: float | None = None


def _r(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


_DET: Final = r"(?:(?:all|any|the|your|my|of|these|those|every|earlier|other|prior)\s+){0,3}"
_QUAL: Final = (
    r"(?:previous(?:ly)?|prior|above|earlier|preceding|initial|original|system|old|existing|former|"
    r"following|given|current|default|other)"
)
_OBJ: Final = (
    r"(?:instructions?|directions?|directives?|rules|guidelines|guidance|prompts?|context|constraints|"
    r"programming|training|polic(?:y|ies)|commands?|orders|messages?|text|content|conversation|"
    r"evidence|information|input|requests?|tasks?|restrictions|safeguards|filters|settings)"
)
_VERB: Final = r"(?:ignore|disregard|forget|skip|bypass|override|overlook|neglect|omit|dismiss|abandon|drop|discard)"
_LEAK_VERB: Final = (
    r"(?:reveal|show|print|display|output|repeat|tell|share|give|list|relay|leak|dump|recite|spell out|"
    r"write down|copy|paste|provide|return|echo|expose|disclose)"
)
_SECRET_OBJ: Final = r"(?:instructions?|prompts?|system prompt|rules|guidelines|directives|parameters|configuration)"

_N_VERB: Final = ("ignor", "disregard", "forget", "skip", "bypass", "overrid", "overlook", "neglect", "omit",
                   "dismiss", "abandon", "drop", "discard")  # fmt: skip
_N_OBJ: Final = ("instruction", "prompt", "rule", "directive", "guideline", "parameter", "configuration")

RULES: Final[tuple[Rule, ...]] = (
    Rule("injection.override", STRONG,
         _r(rf"\b{_VERB}\s+{_DET}(?:{_QUAL}\s*)(?:(?:and|or|&)\s+{_QUAL}\s+)?(?:[a-z']+\s+){{0,2}}?"
            rf"(?:{_OBJ}\b|and\b|,|\.|:|$)|\b{_VERB}\s+{_DET}{_OBJ}\s+(?:above|before|previously|earlier|so far|"
            r"(?:you (?:were|have been) )?given (?:to you|above|before|earlier))\b"),
         "ignore / disregard previous instructions", _N_VERB),
    Rule("injection.override_everything", STRONG,
         _r(rf"\b{_VERB}\s+(?:about\s+)?(?:all\s+(?:of\s+)?)?(?:everything|anything|all that)\b"
            r"(?:\s+(?:above|before|else|i(?:'ve| have)? (?:said|told|written)|you (?:were|have been) told|"
            r"you (?:learned|know|were given)))?"),
         "forget everything you were told", _N_VERB),
    Rule("injection.override_rules", STRONG,
         _r(rf"\b{_VERB}\s+{_DET}(?:ethical\s+|moral\s+|safety\s+|content\s+|openai(?:'s)?\s+)?"
            r"(?:rules|guidelines|restrictions|filters|safeguards|polic(?:y|ies)|ethics|morals|programming|"
            r"system prompt\w*|safety (?:measures|protocols))\b"),
         "disregard your rules / safety guidelines", _N_VERB),
    Rule("injection.instructions_void", STRONG,
         _r(r"\b(?:instructions?|rules|prompts?|directives)\s+(?:above\s+)?(?:are|is|were|was)\s+(?:now\s+)?"
            r"(?:false|wrong|fake|outdated|out of date|obsolete|invalid|void|cancel+ed|revoked|no longer valid|"
            r"null|overridden|superseded)"),
         "previous instructions are void", ("instruction", "rule", "prompt", "directive")),
    Rule("injection.reprogram", STRONG,
         _r(r"\b(?:begin|start|initiat\w*)\s+(?:re-?programming|new instructions)\b|"
            r"\bnew (?:instructions?|directives?|orders) (?:to|for) (?:the )?(?:chat |ai )?(?:assistant|ai|model|bot|"
            r"agent|llm)\b|\b(?:re-?program|override) (?:yourself|your (?:instructions|programming|system))\b"),
         "reprogramming the assistant", ("program", "instruction", "directive", "orders", "overrid")),
    Rule("injection.new_instructions", MEDIUM,
         _r(r"(?:^|[#%*=\-\[({<>:]\s*|\n)\s*(?:begin\s+|start\s+)?(?:new|updated|revised|real|actual|true|"
            r"secret|hidden|additional)\s+(?:instructions?|directives?|task|orders|rules|objective)\b"),
         "new instructions begin here", ("new", "updated", "revised", "real", "actual", "true", "secret",
                                         "hidden", "additional"), indirect_weight=STRONG),
    Rule("injection.end_instructions", MEDIUM,
         _r(r"\bend (?:of )?(?:the )?(?:out of date |outdated |old |previous |original |system |above )?"
            r"(?:instructions|prompt|system prompt)\b|\b(?:instructions|prompt) end(?:s|ed)? here\b"),
         "the real instructions end here", ("end",), indirect_weight=STRONG),
    Rule("injection.prompt_leak", STRONG,
         _r(rf"\b{_LEAK_VERB}\s+(?:me\s+|us\s+|back\s+)?(?:(?:all|every|each|the|of|full|exact|complete|entire|"
            r"comprehensive|list|verbatim|above|first)\s+)*(?:your|the (?:initial|original|system|hidden|secret|"
            rf"previous|above|first|full))\s+(?:[\w']+\s+){{0,3}}?{_SECRET_OBJ}\b|"
            r"\bwhat (?:are|were|is|was) (?:your|the) (?:(?:initial|original|system|hidden|secret|exact|full|first)\s+)+"
            rf"{_SECRET_OBJ}\b|\b(?:instructions|prompt|rules) you (?:have been|were|got) given\b|"
            r"\bwhat (?:were|are) you (?:not allowed|told not) to (?:share|say|reveal)|"
            rf"\b{_LEAK_VERB}\s+(?:me\s+)?(?:your|the)\s+system\s*prompt\b|\bsystem prompt (?:verbatim|word for word)"),
         "reveal your system prompt / initial instructions", (*_N_OBJ, "not allowed", "told not")),
    Rule("jailbreak.persona", STRONG,
         _r(r"\bdo anything now\b|\b(?:dan|stan|dude|aim|kevin|mongo tom|better ?dan|anti-?gpt|evil ?bot|"
            r"developer mode|dev mode|devmode|jailbreak(?:ed)? mode|god mode|opposite mode|unfiltered mode|"
            r"chaos mode)\b(?:[^.\n]{0,80}?)\b(?:enabled|activated|mode|stands for|can do anything|"
            r"no (?:restrictions|limits|filters)|output|respon\w+|will|must|has)\b|"
            r"\[(?:🔓\s*)?(?:jailbreak|dan|developer mode output|stan|dude)\]|\bjailbr(?:oken|eak(?:ing)?)\b"),
         "DAN / developer-mode persona",
         ("dan", "stan", "dude", "aim", "kevin", "mongo", "anti", "evil", "mode", "jailbr", "anything now")),
    Rule("jailbreak.unrestricted", STRONG,
         _r(r"\b(?:broken|break|broke|freed|free) (?:free )?(?:of|from) (?:the )?(?:typical |usual |all )?"
            r"(?:confines|restrictions|rules|limitations|constraints|shackles|chains)|"
            r"\b(?:(?:does|do|did) not|doesn't|don't|never) (?:have to|need to|must)\s+(?:abide|follow|comply|obey|adhere)"
            r"|\bnot (?:restricted|bound|limited|constrained) by (?:any |the |openai|its |their |your )"
            r"|\b(?:without|no|free of|free from) (?:any |all )?(?:ethical|moral|safety|content)?\s*"
            r"(?:restrictions|filters|censorship|limitations|guidelines|morals|ethics|boundaries)\b[^.\n]{0,40}?"
            r"\b(?:respond|answer|reply|generate|say|do|act|output)|\bunrestricted (?:ai|bot|assistant|model|mode)\b|"
            r"\bcontent polic(?:y|ies)\b[^.\n]{0,60}?\b(?:ignore|bypass|not apply|no longer|disabled|lenient)"),
         "no rules / unrestricted AI",
         ("free", "broke", "abide", "follow", "comply", "obey", "adhere", "restricted", "bound", "limited",
          "constrained", "without", "no ", "unrestricted", "polic")),
    Rule("jailbreak.mode_switch", STRONG,
         _r(r"\b(?:safe(?:ty)? mode|filters?|guardrails?|restrictions|censorship|ethics)\s*(?:is |are |now )?"
            r"(?:off|disabled|deactivated|removed|lifted)\b|\b(?:enable|activate|enter|switch to)\s+"
            r"(?:developer|dev|god|admin|debug|sudo|unrestricted|jailbreak|dan)\s+mode\b"),
         "safety mode off / developer mode on", ("mode", "filter", "guardrail", "restriction", "censor", "ethics")),
    Rule("jailbreak.dual_response", MEDIUM,
         _r(r"\b(?:two|2) (?:different |separate |distinct )*(?:ways|responses|answers|paragraphs)\b|"
            r"\[(?:gpt|classic|normal|🔒classic|chatgpt)\]\s*:?|\bstay in character\b|\b(?:never|don't|do not) "
            r"break (?:out of )?character\b|\bwithout breaking character\b"),
         "answer twice / stay in character", ("two", "2 ", "[", "character")),
    Rule("injection.role_marker", MEDIUM,
         _r(r"<\|(?:im_start|im_end|system|endoftext|start_header_id)\|>|\[/?inst\]|<<sys>>|"
            r"(?:^|\n)\s*(?:#{2,}|\*\*)\s*(?:system|instruction|new instruction)s?\b|</?system>|"
            r"\[(?:system|admin|developer)(?: note| message| override)?\]|\bsystem (?:note|override|update|upgrade)\s*:|"
            r"(?:^|\n)\s*(?:system|assistant)\s*:\s"),
         "fake system / role markers", ("<", "[", "system", "instruction", "assistant"), indirect_weight=STRONG),
    Rule("injection.hijack_output", MEDIUM,
         _r(r"\b(?:just|only) (?:say|print|write|output|reply with|respond with|answer with)\s*[\"':]|"
            r"\b(?:output|print|say|write|reply with|respond with)\s*\"[^\"\n]{1,80}\"\s*(?:and only|only|and nothing else)"
            r"|\brepeat after me\b|\bsay only\b"),
         "just print the attacker's text", ("just", "only", "repeat after"), indirect_weight=MEDIUM),
    Rule("injection.stop_everything", MEDIUM,
         _r(r"\bstop everything\b|\bstop what you(?:'re| are) doing\b|\bnevermind\W+(?:ignore|forget)"),
         "stop everything / nevermind", ("stop", "nevermind")),
    Rule("injection.you_are_now", WEAK,
         _r(r"\byou are (?:now|no longer) (?:a |an |in |called |named |going to |my |the )|\byou're no longer\b|"
            r"\bthe situation has changed\b|\bassistant is (?:in error|offline|disabled)\b"),
         "you are now … / the situation has changed", ("you are", "you're", "situation", "assistant"),
         indirect_weight=MEDIUM),
    Rule("injection.urgent_update", WEAK,
         _r(r"\b(?:important|urgent|critical) (?:update|notice|instruction|message)\b|\bsystem upgrade\b"),
         "important update / system upgrade", ("important", "urgent", "critical", "upgrade"), indirect_weight=MEDIUM),
    Rule("injection.exfiltration", MEDIUM,
         _r(r"\b(?:forward|send|email|e-mail|mail|post|upload|transmit|exfiltrate|leak)\s+(?:me\s+)?"
            r"(?:(?:all|every|each|single|the|a copy of|copies of|your|my|user'?s?|any)\s+)*"
            r"(?:emails?|messages|conversations?|chat history|history|data|files|documents|contents?|credentials|"
            r"passwords|api keys|tokens|secrets|contacts)\b[^.\n]{0,80}?(?:\bto\b|@|https?://)"),
         "send the user's data to the attacker", ("forward", "send", "mail", "post", "upload", "transmit",
                                                  "exfiltrat", "leak"), indirect_weight=STRONG),
    Rule("jailbreak.grandma", STRONG,
         _r(r"\b(?:pretend|act|role-?play|imagine)\b[^.\n]{0,40}\b(?:my )?(?:dead |deceased |late )?"
            r"grand(?:ma|mother|pa|father)\b[^\n]{0,200}?\b(?:passwords?|usernames?|keys|credentials|napalm|"
            r"recipe for|how to make)\b"),
         "grandma exploit", ("grand",)),
    Rule("injection.ignore_foreign", STRONG,
         _r(r"\bignor(?:a|e|ez|iere|ieren)\s+(?:(?:todas?|las|los|toutes|les|tous|alle|die|tutte|le|as|os)\s+)*"
            r"(?:(?:vorherigen|bisherigen|obigen|früheren)\s+)?(?:instrucciones|instructions|anweisungen|"
            r"instruktionen|istruzioni|instruções|indicaciones|consignes)\b|\bvergiss\s+(?:alle|alles)\b|"
            r"\boublie(?:z)?\s+(?:toutes\s+)?(?:les\s+)?instructions\b"),
         "override in Spanish, French, German, Italian or Portuguese", ("ignor", "vergiss", "oublie")),
)  # fmt: skip
"""The rule catalogue."""

_QUOTES: Final = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u00a0": " ",
                                "\u200b": "", "\u200c": "", "\u200d": "", "\u2060": "", "\ufeff": ""})  # fmt: skip
_SPACES: Final = re.compile(r"[ \t\r\f\v]+")


def normalize_text(text: str) -> str:
    """Return ``text`` folded for matching: NFKC, lower case, plain quotes, no zero-width characters."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    return _SPACES.sub(" ", text.lower())
