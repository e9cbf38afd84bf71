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
        needles: Words of which one must start a word of the text for the pattern to be run (a cheap
            pre-check on the first four letters of each word); needles that start with a symbol
            (``[``, ``<|`` …) are plain substrings.
        indirect_weight: Weight when the text is a tool output or a retrieved document, where role
            markers and instructions addressed to the assistant are themselves the attack.
        negatable: Skip matches preceded by one of :data:`NEGATIONS`.
        screen: What Hyperscan screens for instead of ``pattern`` (``None``: the pattern itself), for
            patterns whose exact form is slow to screen: a run of words (``(?:\\w+ ){0,4}``) or a gap
            (``[^.\\n]{0,60}``) next to a common word (``answer``, ``tool``) makes Hyperscan follow every
            occurrence of that word. It must be a superset: each branch of ``pattern`` reduced to a
            part of itself (a prefix or a suffix), so every match of ``pattern`` holds a match of the
            screen. Python ``re`` still confirms with ``pattern``, so no verdict changes; a screen that
            matches often makes that confirmation (~100 µs per 2 KB) run often. A screen also works
            around the bundled Hyperscan missing matches of two optional groups before a bounded gap
            (``(?:a )?(?:b )?c[^.]{0,40}d`` once ``d`` occurred earlier in the text).
    """

    id: str
    weight: float
    pattern: re.Pattern[str]
    technique: str
    needles: tuple[str, ...]
    indirect_weight: float | None = None
    negatable: bool = False
    screen: str | None = None


def _r(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


_DET: Final = r"(?:(?:all|any|the|your|my|of|these|those|every|earlier|other|prior)\s+){0,3}"
_QUAL: Final = r"(?:previous(?:ly)?|prior|above|earlier|preceding|initial|original|system|old|former|following|other)"
_OBJ: Final = (
    r"(?:instructions?|directions?|directives?|rules|guidelines|guidance|prompts?|context|constraints|"
    r"programming|training|polic(?:y|ies)|commands?|orders|messages?|text|content|conversation|"
    r"evidence|information|input|requests?|tasks?|restrictions|safeguards|filters)"
)
_VERB: Final = r"(?:ignore|disregard|forget|skip|bypass|override|overlook|neglect|omit|dismiss|abandon|drop|discard)"
_LEAK_VERB: Final = (
    r"(?:reveal|show|print|display|output|repeat|tell|share|give|list|relay|leak|dump|recite|spell out|"
    r"write down|copy|paste|provide|return|echo|expose|disclose)"
)
_LEAKED_OBJ: Final = r"(?:instructions?|prompts?|system prompt|rules|guidelines|directives|parameters|configuration)"

NEGATIONS: Final = ("don't ", "do not ", "never ", "not to ", "won't ", "dont ")
"""A negated override ("don't forget the previous instructions") is the opposite of an attack; rules
marked ``negatable`` skip matches preceded by one of these."""
_NOT_MINE: Final = r"(?!\s+(?:my|our)\b)"
"""A user withdrawing their own earlier words ("ignore my previous message") is not an attack."""

_N_VERB: Final = ("ignor", "disregard", "forget", "skip", "bypass", "overrid", "overlook", "neglect", "omit",
                   "dismiss", "abandon", "drop", "discard")  # fmt: skip
_N_OBJ: Final = ("instruction", "prompt", "rule", "directive", "guideline", "parameter", "configuration")
_AI: Final = (
    r"(?:ai|al|openai|chatgpt|gpt|an? (?:ai|language model|llm|chatbot)|the model|your (?:programming|training))"
)

RULES: Final[tuple[Rule, ...]] = (
    Rule("injection.override", STRONG,
         _r(rf"\b{_VERB}{_NOT_MINE}\s+{_DET}{_QUAL}\s*(?:(?:and|or|&)\s+{_QUAL}\s+)?"
            rf"(?:(?:set of|of|the|your|system|user|developer)\s+){{0,2}}(?:{_OBJ}\b|and\b|,|\.|:|$)"
            rf"|\b{_VERB}{_NOT_MINE}\s+{_DET}{_OBJ}\s+(?:above|before|previously|earlier|so far|until now|up to now|"
            r"(?:you (?:were|have been) )?given (?:to you|above|before|earlier)|(?:that |which )?you(?:'ve| have)? "
            r"(?:received|got(?:ten)?|been given|were given))\b"
            rf"|\b{_VERB}\s+(?:the |this |that )?user'?s?\s+(?:question|request|input|message|prompt|instructions?|"
            r"query|task)"),
         "ignore / disregard previous instructions", _N_VERB, negatable=True),
    Rule("injection.override_everything", STRONG,
         _r(rf"\b{_VERB}\s+(?:about\s+)?(?:all\s+(?:of\s+)?)?(?:everything|anything|all that)\s+"
            r"(?:(?:written |said |stated |mentioned )?above|before|i(?:'ve| have)? (?:said|told you|written)|"
            r"you (?:were|have been) (?:told|given)|you(?:'ve| have)? learned (?:before|so far)|"
            r"(?:in|from) (?:the|your) (?:system|previous|prior))"),
         "forget everything you were told", _N_VERB, negatable=True),
    Rule("injection.override_rules", STRONG,
         _r(rf"\b{_VERB}\s+(?:(?:all|any|every)\s+(?:of\s+)?(?:your\s+|the\s+)?|your\s+|openai(?:'s)?\s+)"
            r"(?:ethical\s+|moral\s+|safety\s+|content\s+|previous\s+|prior\s+)?"
            r"(?:rules|guidelines|restrictions|filters|safeguards|polic(?:y|ies)|ethics|morals|programming|"
            r"system prompt\w*|safety (?:measures|protocols))\b"
            rf"|\b{_VERB}\s+the\s+system\s+prompt\w*"),
         "disregard your rules / safety guidelines", _N_VERB, negatable=True),
    Rule("injection.instructions_void", STRONG,
         _r(r"\b(?:all\s*)?(?:previous|prior|above|old|earlier|initial|original|all|system|your)\s*"
            r"(?:instructions?|prompts?|directives)\s+(?:above\s+)?(?:are|is|were|was)\s+(?:now\s+)?"
            r"(?:false|wrong|fake|outdated|out of date|obsolete|invalid|void|cancel+ed|revoked|no longer valid|"
            r"null|overridden|superseded)|\b(?:previous|prior|above|old|initial|original|your|system)\s+rules\s+"
            r"(?:are|were)\s+(?:now\s+)?(?:void|cancel+ed|revoked|no longer valid|null|overridden|lifted)"),
         "previous instructions are void", ("instruction", "rule", "prompt", "directive")),
    Rule("injection.reprogram", STRONG,
         _r(r"\b(?:begin|start|initiat\w*)\s+(?:re-?programming|new instructions)\b|"
            r"\bnew (?:instructions?|directives?|orders) (?:to|for) (?:the )?(?:chat |ai )?(?:assistant|ai|model|bot|"
            r"agent|llm)\b|\b(?:re-?program|override) (?:yourself|your (?:instructions|programming|system))\b"),
         "reprogramming the assistant", ("reprogram", "re-program", "instruction", "directive", "orders", "overrid")),
    Rule("injection.instructions_follow", MEDIUM,
         _r(r"\bnew (?:instructions?|directives?|orders|task) (?:follow|below|are as follows)\b|"
            r"\b(?:your|the) new (?:task|instructions?|objective|goal|role) (?:is|are)\s*:"),
         "new instructions follow", ("instruction", "directive", "orders", "task", "objective", "goal", "role"),
         indirect_weight=STRONG),
    Rule("injection.new_instructions", MEDIUM,
         _r(r"(?:^|[#%*=\-\[({<>:\n.!])\s*(?:begin\s+|start\s+)?(?:new|updated|revised|real|actual|true|"
            r"secret|hidden|additional)\s+(?:instructions?|directives?|task|orders|objective)\s*(?:[:#%*=\])}>-]|$)"),
         "new instructions begin here", ("instruction", "directive", "task", "orders", "objective"),
         indirect_weight=STRONG),
    Rule("injection.end_instructions", MEDIUM,
         _r(r"\bend (?:of )?(?:the )?(?:out of date |outdated |old |previous |original |system |above )?"
            r"(?:instructions|prompt|system prompt)\b|\b(?:instructions|prompt) end(?:s|ed)? here\b"),
         "the real instructions end here", ("instruction", "prompt"), indirect_weight=STRONG),
    Rule("injection.prompt_leak", STRONG,
         _r(r"\b(?:reveal|repeat|print|output|dump|leak|recite|relay|spell out|echo|expose|disclose|copy|paste|"
            r"write down|display|show)\s+(?:me\s+|us\s+|back\s+)?(?:(?:all|every|each|the|of|full|exact|complete|"
            r"entire|comprehensive|list|verbatim)\s+)*(?:your|the (?:initial|original|system|hidden|secret|above))"
            rf"\s+(?:[\w']+\s+){{0,3}}?{_LEAKED_OBJ}\b|"
            r"\bwhat (?:are|were|is|was) your (?:(?:initial|original|system|hidden|secret|exact|full|first)\s+)+"
            rf"{_LEAKED_OBJ}\b|\bwhat (?:are|were|is|was) the (?:initial|original|system|hidden|secret)\s+"
            r"(?:instructions|prompt|system prompt)\b|\brepeat (?:the |all )?(?:words|text|sentences?|everything) "
            r"(?:above|before)\b|\b(?:starting|beginning) with [\"']?you are\b|"
            r"\bwhat (?:were|are) you (?:not allowed|told not) to (?:share|say|reveal)|"
            r"\b(?:tell|give|list|share|provide|what is|what's)\s+(?:me\s+|us\s+)?(?:your|the)\s+system\s*prompt\b|"
            r"\bsystem prompt (?:verbatim|word for word)"),
         "reveal your system prompt / initial instructions", (*_N_OBJ, "not", "told", "repeat", "starting",
                                                              "beginning")),
    Rule("injection.prompt_probe", STRONG,
         _r(r"\b(?:tell|give|list|share|provide|repeat|recite)\s+(?:me\s+|us\s+)?(?:all\s+|every\s+)?(?:of\s+)?"
            r"your\s+(?:[\w']+\s+){0,2}?(?:instructions?|prompts?)\b|"
            r"\b(?:instructions|prompts?) you (?:have been|were|got) given\b|"
            r"\b(?:respond|reply|answer) with (?:all|every) (?:of )?(?:the |your )?instructions?\b"),
         "what are your instructions", ("instruction", "prompt")),
    Rule("injection.rules_probe", MEDIUM,
         _r(r"\b(?:tell|give|list|share|provide|repeat|recite)\s+(?:me\s+|us\s+)?(?:all\s+|every\s+)?(?:of\s+)?"
            r"your\s+(?:[\w']+\s+){0,2}?(?:rules|guidelines|directives|parameters|configuration)\b"),
         "list your rules", ("rule", "guideline", "directive", "parameter", "configuration")),
    Rule("jailbreak.persona", STRONG,
         _r(r"\"do anything now\b|\bdan\b[^.\n]{0,30}?\bdo anything now\b|\bdo anything now\W{0,3}\(?dan\b|"
            r"\b(?:dan|stan|dude|aim|kevin|better ?dan|anti-?dan)\b[^.\n]{0,60}?"
            r"\b(?:stands for|has (?:been )?(?:freed|broken)|no (?:restrictions|limits|filters))|"
            rf"\b(?:chatgpt|gpt|{_AI}|assistant|model|you)\b[^.\n]{{0,40}}?\b(?:developer|dev|god|jailbreak|dan|"
            r"unfiltered|opposite|evil) mode (?:enabled|activated|on)\b|\b(?:developer|dan|jailbreak|stan) mode "
            r"(?:output|response)|\[(?:🔓\s*)?(?:jailbreak|jailbroken|dan|stan|dude)\]|"
            r"\bjailbr(?:oken|eak) (?:ai|chatgpt|gpt|model|version|assistant|bot|mode)\b"),
         "DAN / developer-mode persona",
         ("dan", "stan", "dude", "aim", "kevin", "better", "anti", "mode", "devmode", "jailbr", "anything", "[")),
    Rule("jailbreak.unrestricted", STRONG,
         _r(r"\b(?:broken|break|broke|freed|free) (?:free )?(?:of|from) (?:the )?(?:typical |usual |all |its )?"
            rf"(?:confines|restrictions|rules|limitations|constraints|shackles) (?:of|imposed (?:on|by)) {_AI}"
            r"|\bunrestricted (?:ai|bot|assistant|model|mode|chatbot|language model)\b"
            r"|\bexception to (?:the |its |your |ai's |openai's )?(?:usual |normal |standard )?(?:ethical|safety|"
            r"content|moral) (?:protocols|guidelines|rules|polic(?:y|ies)|standards)"
            r"|\bcontent polic(?:y|ies)\b[^.\n]{0,60}?\b(?:ignore|bypass|not apply|no longer|disabled|lenient)"
            r"|\b(?:ignore|bypass|violate|break) (?:the |openai(?:'s)? |any )?content polic(?:y|ies)"),
         "unrestricted AI, freed from its rules",
         ("free", "freed", "broke", "broken", "break", "unrestricted", "polic", "exception")),
    Rule("jailbreak.no_rules", MEDIUM,
         _r(r"\b(?:(?:does|do|did) not|doesn't|don't|never) (?:have to|need to|must)\s+(?:abide|follow|comply|obey|"
            r"adhere)\s+(?:by\s+|with\s+|to\s+)?(?:any |the |its |their |openai(?:'s)? |your )?"
            r"(?:rules|guidelines|polic(?:y|ies)|restrictions|ethics|morals)"
            r"|\bnot (?:restricted|bound|limited|constrained) by (?:any |the |openai(?:'s)? |its |their |your )?"
            r"(?:rules|guidelines|polic(?:y|ies)|restrictions|filters|ethics|morals|openai)"
            r"|\b(?:without|no) (?:any )?(?:ethical |moral |safety |content )?(?:restrictions|filters|censorship|"
            r"limitations|guidelines|morals|ethics)\b[^.\n]{0,40}?\b(?:respond|answer|reply|generate|output)"
            r"|\b(?:respond|answer|reply|generate|output|act)\w* (?:\w+ ){0,4}?(?:without|with no) (?:any )?"
            r"(?:ethical |moral |"
            r"safety |content )?(?:restrictions|filters|censorship|limitations|guidelines|morals|ethics)\b"
            r"|\b(?:never|not|won't|will not) (?:refuse|decline)\b[^.\n]{0,30}?\b(?:any|a) "
            r"(?:request|question|prompt)"),
         "not bound by rules, never refuses",
         ("abide", "follow", "comply", "obey", "adhere", "restrict", "bound", "limit", "constrain", "filter",
          "censor", "guideline", "moral", "ethic", "refuse", "decline"),
         screen=(r"\b(?:(?:does|do|did) not|doesn't|don't|never) (?:have to|need to|must)\s+(?:abide|follow|comply|"
                 r"obey|adhere)\s+(?:by\s+|with\s+|to\s+)?(?:any |the |its |their |openai(?:'s)? |your )?"
                 r"(?:rules|guidelines|polic(?:y|ies)|restrictions|ethics|morals)"
                 r"|\bnot (?:restricted|bound|limited|constrained) by (?:any |the |openai(?:'s)? |its |their |your )?"
                 r"(?:rules|guidelines|polic(?:y|ies)|restrictions|filters|ethics|morals|openai)"
                 # the 3rd branch without its trailing gap, the 4th without its leading run
                 r"|(?:without|\bno) (?:any )?(?:ethical |moral |safety |content )?(?:restrictions|filters|censorship|"
                 r"limitations|guidelines|morals|ethics)\b"
                 r"|(?:refuse|decline)\b[^.\n]{0,30}?\b(?:any|a) (?:request|question|prompt)")),
    Rule("jailbreak.hypothetical", MEDIUM,
         _r(r"\b(?:hypothetically|imagine|pretend|suppose|in a (?:fictional )?world)\b[^.\n]{0,60}?\b(?:no|without|"
            r"free (?:of|from)) (?:any )?(?:ethical |moral |safety |content )?(?:guidelines|restrictions|rules|filters|"
            r"limits|ethics|morals)\b"),
         "hypothetically, with no guidelines …", ("hypothetical", "imagine", "pretend", "suppose", "world")),
    Rule("jailbreak.amoral_persona", MEDIUM,
         _r(r"\b(?:amoral|unfiltered|uncensored|unethical|immoral|machiavellian|unhinged|evil)\b[^.\n]{0,40}?"
            r"\b(?:ai|chatbot|assistant|bot|model|character|persona|version)\b"),
         "an amoral / uncensored AI persona", ("amoral", "unfiltered", "uncensored", "unethical", "immoral",
                                              "machiavellian", "unhinged", "evil")),
    Rule("jailbreak.no_ethics", MEDIUM,
         _r(r"\b(?:ai|chatbot|assistant|bot|model|you)\b[^.\n]{0,30}?\b(?:without|with no|has no|have no|free from|"
            r"devoid of|lacks?) (?:any )?(?:(?:ethical|moral|safety)\s*(?:or|and|,)?\s*)+(?:guidelines|restrictions|"
            r"principles|boundaries|filters|limits|compass|rules|standards)\b"),
         "an AI without ethical guidelines", ("ethic", "moral", "safety")),
    Rule("jailbreak.jailbroken", STRONG,
         _r(r"\byou(?: have| are|'ve|'re| were)? (?:been |now )?jailbr(?:oken|eaked)\b|"
            r"\b(?:disable|turn off|deactivate|remove|bypass|lift)\s+(?:all\s+(?:of\s+)?)?your\s+(?:safety |content |"
            r"ethical |moral )?(?:filters?|guardrails?|safeguards|restrictions|censorship|limitations|safety "
            r"(?:features|measures|protocols))\b"),
         "you are jailbroken / disable your filters",
         ("jailbr", "disable", "turn", "deactivate", "remove", "bypass", "lift")),
    Rule("injection.authority_claim", MEDIUM,
         _r(r"\bi(?:'m| am) (?:your|the) (?:developer|creator|admin|administrator|owner|programmer|system "
            r"administrator|maker)\b|\bthis is (?:openai|anthropic|your developer|your creator)\b"),
         "I am your developer", ("developer", "creator", "admin", "administrator", "owner", "programmer",
                                  "maker", "openai", "anthropic")),
    Rule("jailbreak.mode_switch", STRONG,
         _r(r"\b(?:safe(?:ty)? mode|safety filters?|content filters?|guardrails?|censorship|ethics)\s*"
            r"(?:is |are |now )?(?:off|disabled|deactivated|removed|lifted)\b|\b(?:enable|activate|enter|switch to)\s+"
            r"(?:unrestricted|jailbreak|dan|evil|unfiltered|uncensored)\s+mode\b"),
         "safety mode off / jailbreak mode on", ("mode", "safe", "safety", "filter", "guardrail", "censor", "ethic")),
    Rule("jailbreak.dual_response", WEAK,
         _r(r"\b(?:two|2) (?:different |separate |distinct )*(?:ways|responses|answers|paragraphs)\b|"
            r"\bstay in character\b|\b(?:never|don't|do not) break (?:out of )?character\b|"
            r"\bwithout breaking character\b"),
         "answer twice / stay in character", ("two", "2", "character")),
    Rule("jailbreak.response_tags", MEDIUM,
         _r(r"\[(?:gpt|classic|normal|🔒\s*classic|chatgpt|dan|jailbreak|🔓\s*jailbreak)\]\s*:?"),
         "[GPT]: / [DAN]: answer tags", ("[",)),
    Rule("injection.system_turn", STRONG,
         _r(r"<\|im_start\|>\s*system\b|<\|start_header_id\|>\s*system\b|<<sys>>[^\n]{0,200}?\b(?:ignore|you are|new)"),
         "opens a fake system turn", ("<|", "<<sys")),
    Rule("injection.role_marker", MEDIUM,
         _r(r"<\|(?:im_start|im_end|system|endoftext|start_header_id)\|>|\[/?inst\]|<<sys>>|</?system>|"
            r"\[(?:system|admin|developer)(?: note| message| override)\]|\bsystem (?:note|override|alert)\s*:"),
         "fake system / role markers", ("<", "[", "system"), indirect_weight=STRONG),
    Rule("injection.heading_marker", WEAK,
         _r(r"(?:^|\n)\s*(?:#{2,}|\*\*)\s*(?:system|new instructions?)\b"),
         "a '## system' heading", ("system", "instruction"), indirect_weight=MEDIUM),
    Rule("injection.role_line", WEAK,
         _r(r"(?:^|\n)\s*(?:system|assistant)\s*:\s"),
         "a 'system:' or 'assistant:' line", ("system", "assistant"), indirect_weight=MEDIUM),
    Rule("injection.hijack_output", MEDIUM,
         _r(r"\b(?:just|only) (?:say|print|write|output|reply with|respond with|answer with)\s*[\"':]|"
            r"\b(?:output|print|say|write|reply with|respond with)\s*\"[^\"\n]{1,80}\"\s*"
            r"(?:and only|only|and nothing else)"
            r"|\brepeat after me\b|\bsay only\b"),
         "just print the attacker's text", ("just", "only", "repeat", "nothing"), indirect_weight=MEDIUM),
    Rule("injection.stop_everything", MEDIUM,
         _r(r"\bstop everything\b|\bstop what you(?:'re| are) doing\b|\bnevermind\W+(?:ignore|forget)|"
            r"\bstop\s*[.!]+\s*(?:new|now|instead|from now)\b"),
         "stop everything / nevermind", ("stop", "nevermind")),
    Rule("injection.you_are_now", WEAK,
         _r(r"\byou are (?:now|no longer) (?:a |an |in |called |named |going to |my |the )|\byou're no longer\b|"
            r"\bthe situation has changed\b|\bassistant is (?:in error|offline|disabled)\b"),
         "you are now … / the situation has changed", ("you", "you're", "situation", "assistant"),
         indirect_weight=MEDIUM),
    Rule("injection.urgent_update", WEAK,
         _r(r"\b(?:important|urgent|critical) (?:update|notice|instruction|message)\b|\bsystem upgrade\b"),
         "important update / system upgrade", ("important", "urgent", "critical", "upgrade"), indirect_weight=MEDIUM),
    Rule("injection.exfiltration", MEDIUM,
         _r(r"\b(?:forward|send|email|e-mail|mail|post|upload|transmit|exfiltrate|leak)\s+(?:me\s+)?"
            r"(?:(?:all|every|each|single|the|a copy of|copies of|your|my|their|his|her|user'?s?|any)\s+)*"
            r"(?:emails?|messages|conversations?|chat history|history|data|files|documents|contents?|credentials|"
            r"passwords|api keys|tokens|secrets|contacts)\b[^.\n]{0,80}?(?:@[a-z0-9-]+\.|https?://)"),
         "send the user's data to an outside address", ("forward", "send", "email", "e-mail", "mail", "post",
                                                        "upload", "transmit", "exfiltrate", "leak"),
         indirect_weight=STRONG),
    Rule("jailbreak.grandma", STRONG,
         _r(r"\b(?:pretend|act|role-?play|imagine)\b[^.\n]{0,40}\b(?:my )?(?:dead |deceased |late )?"
            r"grand(?:ma|mother|pa|father)\b[^\n]{0,200}?\b(?:passwords?|usernames?|keys|credentials|napalm|"
            r"recipe for|how to make)\b"),
         "grandma exploit", ("grand",)),
    Rule("injection.ignore_foreign", STRONG,
         _r(r"\bignor(?:a|e|ez|iere|ieren)\s+(?:(?:todas?|las|los|toutes|les|tous|alle|die|tutte|le|as|os)\s+)*"
            r"(?:(?:vorherigen|bisherigen|obigen|früheren)\s+)?(?:instrucciones|instructions|anweisungen|"
            r"instruktionen|istruzioni|instruções|indicaciones|consignes)\b|\bvergiss\s+alle\s+(?:vorherigen\s+)?"
            r"(?:anweisungen|regeln)\b|\boublie(?:z)?\s+(?:toutes\s+)?(?:les\s+)?instructions\b"),
         "override in Spanish, French, German, Italian or Portuguese", ("ignor", "vergiss", "oublie")),
)  # fmt: skip
"""The rule catalogue."""

_QUOTES: Final = (("\u2018", "'"), ("\u2019", "'"), ("\u201c", '"'), ("\u201d", '"'), ("\u00a0", " "),
                  ("\u200b", ""), ("\u200c", ""), ("\u200d", ""), ("\u2060", ""), ("\ufeff", ""))  # fmt: skip
"""Replacements, applied one by one only when present (``str.translate`` with a dict costs ~25 ns a
character, 50 µs on a 2 KB text)."""
_BLANKS: Final = ("\t", "\r", "\f", "\v")
"""Folded to a space; then runs of spaces to one (newlines stay: some rules anchor on them)."""


def normalize_text(text: str) -> str:
    """Return ``text`` folded for matching: NFKC, lower case, plain quotes, no zero-width characters,
    single spaces (:func:`fold`, then :func:`collapse`)."""
    return collapse(fold(text))


def fold(text: str) -> str:
    """NFKC, plain quotes, no zero-width characters, lower case: :func:`normalize_text` but the blanks."""
    if not text.isascii():
        if not unicodedata.is_normalized("NFKC", text):  # a fast check: most text already is
            text = unicodedata.normalize("NFKC", text)
        for old, new in _QUOTES:
            if old in text:
                text = text.replace(old, new)
    return text.lower()


def collapse(text: str) -> str:
    """Tabs, vertical tabs, form feeds and carriage returns to a space, then each run of spaces to one.

    ``"  " in text`` alone costs 2-4 µs on a 1.5 KB text (a space every few bytes keeps the substring
    search checking), so the scan path (``prepare.py``) asks Hyperscan's rule scan whether a folded
    text needs this at all (:data:`~agentstate.processors.detectors.screen.BLANKS`) and calls it only then.
    """
    for blank in _BLANKS:
        if blank in text:
            text = text.replace(blank, " ")
    while "  " in text:  # str.replace is C; a regex substitution costs ~20 µs on a 2 KB text
        text = text.replace("  ", " ")
    return text


_AGENT: Final = (
    r"(?:ai|llm|language model|assistant|ai assistant|chatbot|agent|ai agent|bot|gpt|chatgpt|claude|gemini|"
    r"copilot|model)s?"
)

INDIRECT_RULES: Final[tuple[Rule, ...]] = (
    Rule("indirect.addressed_to_ai", MEDIUM,
         _r(rf"\b(?:if you are|attention|note to|message (?:to|for)|instructions? (?:to|for)|dear|hey|hi|hello|"
            rf"to) (?:an? |the |any |all )?{_AGENT}\b[^.\n]{{0,60}}?\b(?:reading|processing|summari[sz]\w*|you must|"
            r"please|must|should|are instructed|ignore)\b"),
         "instructions addressed to the AI reading the data",
         ("ai", "ais", "llm", "llms", "model", "assistant", "agent", "bot", "bots", "chatbot", "gpt", "chatgpt",
          "claude", "gemini", "copilot", "language")),
    Rule("indirect.ai_reader", STRONG,
         _r(rf"\b{_AGENT} (?:reading|processing|summari[sz]ing|parsing|browsing|analy[sz]ing) (?:this|these)\b"
            r"[^.\n]{0,60}?\b(?:must|should|are (?:instructed|required)|need to|will)\b"),
         "'AI assistants reading this must …'", ("reading", "processing", "summarising", "summarizing",
                                                "parsing", "browsing", "analysing", "analyzing")),
    Rule("indirect.html_comment", MEDIUM,
         _r(r"<!--[^>]{0,300}?\b(?:ignore|assistant|ai|instructions?|system|send|forward|you must)\b"),
         "instructions hidden in an HTML comment", ("<!--",)),
    Rule("indirect.hide_from_user", STRONG,
         _r(r"\b(?:do not|don't|never) (?:tell|inform|mention|reveal|show|notify|alert|let) (?:this |it |anything )?"
            r"(?:to |know )?(?:the |your )?user\b|\bwithout (?:telling|informing|notifying|alerting|asking|"
            r"letting) (?:the |your )?user\b|\b(?:secretly|silently|quietly|covertly) (?:send|forward|add|include|"
            r"insert|call|execute|run|transfer|email|upload|delete)"),
         "keep it from the user", ("user", "secretly", "silently", "quietly", "covertly")),
    Rule("indirect.tool_call", MEDIUM,
         _r(r"\b(?:call|invoke|use|execute|run|trigger) (?:the |your )?(?:\w+ )?(?:tool|function|api|plugin|"
            r"action)\b[^.\n]{0,60}?\b(?:to (?:send|forward|delete|transfer|pay|email|post|upload|grant)|with (?:the )?"
            r"(?:argument|parameter)s?)"),
         "call a tool with attacker arguments", ("tool", "function", "api", "plugin", "action"),
         screen=r"\b(?:call|invoke|use|execute|run|trigger) (?:the |your )?(?:\w+ )?(?:tool|function|api|plugin|"
                r"action)\b"),  # the pattern without its trailing gap
    Rule("indirect.when_processing", MEDIUM,
         _r(r"\bwhen (?:you )?(?:summari[sz]|read|process|answer|respond|pars|analy[sz])\w* (?:this|the) "
            r"(?:page|document|email|text|article|content|message|file|website|review|result)"),
         "when you summarise this page …", ("when",)),
    Rule("indirect.markdown_exfil", MEDIUM,
         _r(r"!\[[^\]\n]{0,100}\]\(https?://[^)\s]{0,200}[?&][a-z_]{1,20}=(?:\{|\$|<|%7b|\[)"),
         "markdown image that carries data out", ("![",)),
)  # fmt: skip
"""Rules that only apply to data (tool outputs, retrieved documents)."""
