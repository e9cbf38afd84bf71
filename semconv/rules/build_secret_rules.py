"""Regenerate ``secret_rules.json`` from Nosey Parker's rules (Apache-2.0, see ``NOTICE``).

Usage (from the repository root)::

    python semconv/rules/build_secret_rules.py [path/to/noseyparker_rules.yaml]

The default input is ``../shared/data/security/train/secret_patterns/noseyparker_rules.yaml``. The
output is deterministic (rules in input order, sorted keys), so re-running it on the same YAML
gives the same file; ``tests/semconv/test_secret_rules.py`` checks that. Run time never reads the
YAML: the package loads only the JSON written here.

Per rule the JSON holds ``id``, ``name`` and ``pattern`` (Nosey Parker's regex, made acceptable to
Python's ``re``), plus what AgentState adds: ``type`` (the finding type), ``groups`` (the capture
groups redacted: the secret, not the context words or a user name), ``keywords`` (lower-case
strings one of which every match contains: the pure-Python fallback runs a rule only when one is
present), ``max_width`` (longest match, ``null`` when unbounded: where the confirming ``re`` search
starts before a Hyperscan hit), ``hyperscan`` (``exact`` or ``prefilter``), ``check`` (the
validator of the captured value) and ``python`` (a faster equivalent for Python's ``re``, or
``null``).
"""

from __future__ import annotations

import json
import re
import re._parser as sre_parse  # the non-deprecated home of sre_parse (Python >= 3.11)
import sys
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
DEFAULT_YAML = HERE.parents[2] / "shared" / "data" / "security" / "train" / "secret_patterns" / "noseyparker_rules.yaml"
OUT = HERE / "secret_rules.json"

FIXES = {
    "(?: (?s) .{0,40} )": "(?s:.{0,40})",
    "(?: (?i) client.?secret .{0,10} )?": "(?i:client.?secret.{0,10})?",
}
"""Inline global flags in mid-pattern (Rust regex accepts them, Python does not): same meaning, scoped."""

TYPES = {
    "np.aws.1": "AWS_ACCESS_KEY", "np.aws.2": "AWS_SECRET_KEY", "np.aws.6": "AWS_SECRET_KEY",
    "np.aws.3": "AWS_ACCOUNT_ID", "np.aws.4": "AWS_SESSION_TOKEN", "np.aws.5": "AWS_MWS_TOKEN",
    "np.s3.1": "CLOUD_STORAGE_BUCKET", "np.s3.2": "CLOUD_STORAGE_BUCKET", "np.gcs.1": "CLOUD_STORAGE_BUCKET",
    "np.gcs.2": "CLOUD_STORAGE_BUCKET", "np.arn.1": "AWS_ARN", "np.openai.1": "OPENAI_KEY",
    "np.anthropic.1": "ANTHROPIC_KEY", "np.stripe.1": "STRIPE_KEY", "np.stripe.2": "STRIPE_KEY",
    "np.google.5": "GOOGLE_API_KEY", "np.huggingface.1": "HUGGINGFACE_TOKEN", "np.jwt.1": "JWT",
    "np.jwt.2": "JWT_SECRET", "np.jwt.3": "JWT_SECRET", "np.pem.1": "PRIVATE_KEY", "np.pem.2": "PRIVATE_KEY",
    "np.postgres.1": "URL_CREDENTIALS", "np.mongodb.1": "URL_CREDENTIALS", "np.http.1": "HTTP_AUTH",
    "np.http.2": "HTTP_AUTH", "np.odbc.1": "CONNECTION_STRING", "np.azure.1": "CONNECTION_STRING",
    "np.azure.2": "CONNECTION_STRING", "np.generic.10": "CONNECTION_STRING", "np.shopify.1": "SHOPIFY_DOMAIN",
    "np.krb5.asrep.23.1": "PASSWORD_HASH", "np.google.6": "GOOGLE_OAUTH_CREDENTIALS",
}  # fmt: skip
"""Finding types that differ from the family default (shared with the hand-written recognisers)."""

FAMILY_TYPES = {
    "github": "GITHUB_TOKEN", "slack": "SLACK_TOKEN", "pwhash": "PASSWORD_HASH", "generic": "SECRET",
    "netrc": "SECRET", "psexec": "SECRET", "vmware": "SECRET", "phpmailer": "SECRET", "gradle": "SECRET",
    "reactapp": "SECRET", "gitalk": "SECRET",
}  # fmt: skip
"""One type for a whole family, when its rules are variants of one kind of secret."""

GROUPS = {
    "np.postgres.1": [2], "np.mongodb.1": [2], "np.aws.6": [1, 2], "np.google.6": [1, 2], "np.azure.2": [2, 3],
    "np.generic.8": [3], "np.netrc.1": [3], "np.psexec.1": [2], "np.vmware.1": [2],
}  # fmt: skip
"""Capture groups to redact when it is not only the last one (a user name or a host stays readable)."""


_KEY = (
    r"(?:passw(?:or)?d|pass|pwd|pw|secrete?|api[_-]?key|private[_-]?key|access[_-]?key|auth[_-]?token|access[_-]?token)"
)
_KEY_FAST = (
    r"(?=[psa])(?:p(?:ass(?:w(?:or)?d)?|wd?)|secrete?|api[_-]?key|private[_-]?key"
    r"|a(?:ccess[_-]?(?:key|token)|uth[_-]?token))"
)
"""The same words as ``_KEY`` as a trie behind a first-letter look-ahead: Python's ``re`` then
tries only positions starting with p, s or a, and never re-tries the alternatives (several times
faster). Hyperscan does not need it and does not accept the look-ahead."""
_OP_EQ = r"(?::=|=>|===|!==|==|!=|=)"
_OP = r"(?::=|=>|===|!==|==|!=|:|=)"
_QUOTED = r"""(?:"([^"\n]{4,200})"|'([^'\n]{4,200})'|`([^`\n]{4,200})`)"""
_END = r"(?:[^0-9A-Za-z_-]|$)"

EXTRA_RULES = [
    ("as.keyword.1", "Credential assigned a quoted value", "SECRET", "keyed",
     rf"(?i){_KEY}[a-z0-9_]{{0,24}}(?:\[\d{{0,4}}\])?[\"'`]?[ \t]{{0,4}}{_OP}?[ \t]{{0,4}}@?{_QUOTED}"),
    ("as.keyword.2", "Credential assigned an unquoted value", "SECRET", "keyed",
     rf"(?i){_KEY}[a-z0-9_]{{0,24}}(?:\[\d{{0,4}}\])?[\"'`]?[ \t]{{0,4}}{_OP_EQ}[ \t]{{0,4}}([^\s\"'`,;]{{6,200}})"),
    ("as.keyword.6", "Credential followed by a colon and an unquoted value", "SECRET", "keyed_colon",
     rf"(?i){_KEY}[a-z0-9_]{{0,24}}[\"'`]?[ \t]{{0,4}}:[ \t]{{0,4}}([^\s\"'`,;]{{6,200}})"),
    ("as.keyword.3", "Quoted value compared with a credential", "SECRET", "keyed",
     rf"(?i){_QUOTED}[ \t]{{0,4}}(?:===|!==|==|!=)[ \t]{{0,4}}[a-z0-9_]{{0,24}}{_KEY}"),
    ("as.keyword.4", "Credential passed to a constructor", "SECRET", "keyed",
     r'(?i)(?:secrete?|passw(?:or)?d)(?:\.assign)?\(\s*"([^"\n]{4,200})"'),
    ("as.keyword.5", "Random value assigned to a key or token", "SECRET", "random",
     r"(?i)(?:key|token)[\"'\]]{0,2}[ \t]{0,4}(?::=|=>|=|:)[ \t]{0,4}[\"'`]?([A-Za-z0-9+/_.~=-]{15,200})"),
    ("as.xml.1", "Password in an XML element", "SECRET", "keyed",
     r"(?i)<(?:password|passphrase|master)>([^<\s]{8,200})</(?:password|passphrase|master)>"),
    ("as.discord.1", "Discord Bot Token", "DISCORD_BOT_TOKEN", None,
     r"\b([MNO][a-zA-Z0-9_-]{23,25}\.[a-zA-Z0-9_-]{6}\.[a-zA-Z0-9_-]{27,38})" + _END),
    ("as.gitlab.1", "GitLab Token", "GITLAB_TOKEN", None,
     r"\b((?:glpat|gldt|glsoat|glrt|glcbt|glft|glffct|gltst)-[0-9A-Za-z_-]{20,50}|GR1348941[0-9A-Za-z_-]{20,50}"
     r"|glimt-[0-9A-Za-z_-]{25}|glptt-[0-9A-Za-z_-]{40}|glagent-[0-9A-Za-z_-]{50,1024}"
     r"|gloas-[0-9A-Za-z_-]{64})" + _END),
    ("as.jwt.1", "JSON Web Token or JWE", "JWT", "jwt",
     r"\b(eyJ[A-Za-z0-9_-]{10,}(?:\.[A-Za-z0-9_-]{2,}){1,4})" + _END),
    ("as.mailchimp.1", "MailChimp API Key", "MAILCHIMP_API_KEY", "random",
     r"\b([0-9a-f]{32}-us[0-9]{1,2})\b"),
    ("as.square.1", "Square Credential", "SQUARE_TOKEN", None,
     r"\b(sq0(?:idp|idk|atp|csp)-[0-9A-Za-z_-]{22,43}|EAAA[a-zA-Z0-9+=/_-]{60})" + _END),
    ("as.intra42.1", "42 Intra OAuth Secret", "INTRA42_SECRET", None, r"\b(s-s4t2(?:ud|af)-[0-9a-f]{64})\b"),
    ("as.azure.1", "Azure Storage Account Key", "CONNECTION_STRING", None,
     r"(?i)AccountKey[ \t]*=[ \t]*([a-zA-Z0-9+/]{86}==)"),
    ("as.softlayer.1", "SoftLayer API Key in a SOAP URL", "SOFTLAYER_API_KEY", None,
     r"(?i)api\.softlayer\.com/soap/v3(?:\.1)?/([a-z0-9]{64})\b"),
    ("as.pypi.1", "Test PyPI Upload Token", "PYPI_UPLOAD_TOKEN", None,
     r"\b(pypi-AgENdGVzdC5weXBpLm9yZw[a-zA-Z0-9_-]{50,})" + _END),
    ("as.aws.1", "AWS Bearer or Context-Specific Key ID", "AWS_ACCESS_KEY", None,
     r"\b((?:ABIA|ACCA)[A-Z0-9]{16})\b"),
    ("as.npm.1", "npm Registry Auth Token in .npmrc", "NPM_ACCESS_TOKEN", None,
     r"//[A-Za-z0-9.:/_-]{1,100}/:_authToken[ \t]*=[ \t]*[\"']?([A-Za-z0-9_-]{20,200})" + _END),
    ("as.cloudant.1", "IBM Cloudant Credential", "CLOUDANT_CREDENTIAL", None,
     r"(?i)cloudant[a-z0-9_-]{0,20}(?:key|pass(?:word)?|pwd|secret)[\"']?[ \t]{0,4}(?::=|=>|=|:)[ \t]{0,4}[\"']?"
     r"([a-z0-9]{24}|[a-z0-9]{64})" + _END),
    ("as.softlayer.2", "SoftLayer API Key", "SOFTLAYER_API_KEY", None,
     r"(?i)softlayer[_-]?(?:api)?[_-]?key[\"']?[ \t]{0,4}(?::=|=>|=|:|[ \t])[ \t]{0,4}[\"']?([a-z0-9]{64})" + _END),
]  # fmt: skip
"""AgentState's own rules, in the same form: (id, name, type, check, pattern). The patterns avoid
look-around and back-references so Hyperscan compiles them exactly."""

CHECKS = {
    "np.s3.1": "identifier", "np.s3.2": "identifier", "np.gcs.1": "identifier", "np.gcs.2": "identifier",
    "np.arn.1": "identifier", "np.shopify.1": "identifier", "np.jwt.1": "jwt", "np.generic.1": "keyed",
    "np.generic.2": "keyed", "np.generic.3": "keyed",
    "np.generic.4": "keyed", "np.generic.5": "keyed", "np.generic.6": "keyed", "np.pypi.1": "long",
}  # fmt: skip
"""Validator per Nosey Parker rule when not the default for its type (see ``_secret_rules``)."""

GENERIC_TYPES = frozenset({"SECRET", "URL_CREDENTIALS", "CONNECTION_STRING", "HTTP_AUTH", "PASSWORD_HASH"})
"""Types of rules with no provider format (a password after a user name, a credential word): their
values keep the default placeholder check. Every other rule is anchored on a provider's prefix,
suffix, length or context word, and its values are rejected only when masked (``anchored``)."""


def check_of(rule_id: str, kind: str, check: str | None) -> str | None:
    """The validator name of a rule: its own, else ``anchored`` for provider formats, else the default."""
    if check is not None:
        return check
    return None if kind in GENERIC_TYPES else "anchored"


_LINES = "(?: \\s* .* \\s* ){0,3}"
_LINES_FAST = "\\s*+ (?: (?: [^\\n]*\\n\\s*+ ){0,3} | (?: [^\\n]*\\n\\s*+ ){0,2} [^\\n]*? )"
r"""Nosey Parker's "up to three lines in between" and a form Python's ``re`` runs in linear time.

``(\s* .* \s*){0,3}`` lets ``\s*`` and ``.*`` share every space, so ``re`` tries each split of each
run of spaces: over two seconds on a 770-character PHPMailer config. It matches text with at most
three lines holding non-space characters; the fast form matches up to three whole lines (blank ones
free), or two and the start of a third, each split in one way only."""


def python_form(pattern: str) -> str | None:
    """A faster Python form of ``pattern`` matching the same texts, or ``None`` if there is none.

    The key-name prefix of the credential rules becomes a trie behind a look-ahead, and its
    ``[a-z0-9_]{0,24}`` suffix possessive (what follows it is never a letter or digit). Nosey
    Parker's lines-in-between group becomes :data:`_LINES_FAST`.
    """
    if _LINES in pattern:
        return pattern.replace(_LINES, _LINES_FAST)
    prefix = _KEY + "[a-z0-9_]{0,24}"
    if prefix not in pattern:
        return None
    return pattern.replace(prefix, _KEY_FAST + "[a-z0-9_]{0,24}+")


def fix(pattern: str) -> str:
    """Return ``pattern`` with the mid-pattern global flags Python rejects rewritten as scoped ones."""
    for old, new in FIXES.items():
        pattern = pattern.replace(old, new)
    return pattern


def type_of(rule_id: str, name: str) -> str:
    """Return the finding type of a rule: an override, the family's type, or a slug of its name."""
    if rule_id in TYPES:
        return TYPES[rule_id]
    family = rule_id.split(".")[1]
    if family in FAMILY_TYPES:
        return FAMILY_TYPES[family]
    slug = re.sub(r"\(.*?\)", "", name).replace(".", " ")
    return re.sub(r"[^A-Z0-9]+", "_", slug.upper()).strip("_")


def keywords(pattern: str) -> list[str] | None:
    """Lower-case strings of which every match contains one, or ``None`` if none of 2+ characters."""
    best = _required(sre_parse.parse(pattern, re.ASCII))
    if best is None or min(map(len, best)) < 2:
        return None
    return sorted(best)


def _required(seq: Any) -> set[str] | None:
    """The best set of alternative literals one of which a match of ``seq`` must contain."""
    options: list[set[str]] = []
    run = ""
    for op, arg in seq:
        name = str(op)
        if name == "LITERAL":
            run += chr(arg).lower()
            continue
        if name == "AT":
            continue  # zero-width (``\b``, ``^``): the literal run goes on
        if run:
            options.append({run})
            run = ""
        sub: set[str] | None = None
        if name == "SUBPATTERN":
            sub = _required(arg[-1])
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT") and arg[0] >= 1:
            sub = _required(arg[2])
        elif name == "BRANCH":
            alts = [_required(alt) for alt in arg[1]]
            if all(a is not None for a in alts):
                sub = set().union(*(a for a in alts if a is not None))
        if sub:
            options.append(sub)
    if run:
        options.append({run})
    return max(options, key=lambda o: min(map(len, o)), default=None)


def min_width(pattern: str) -> int:
    """The shortest match of ``pattern``."""
    return int(sre_parse.parse(pattern, re.ASCII).getwidth()[0])


def max_width(pattern: str) -> int | None:
    """The longest match of ``pattern``, or ``None`` when it is unbounded."""
    width = sre_parse.parse(pattern, re.ASCII).getwidth()[1]
    return None if width >= sre_parse.MAXREPEAT else int(width)


def hyperscan_mode(pattern: str) -> str:
    """``exact`` if Hyperscan compiles ``pattern`` as is, else ``prefilter`` (or ``exact`` when absent)."""
    try:
        import hyperscan
    except ImportError:
        return "exact"
    try:
        hyperscan.Database().compile(expressions=[pattern.encode()], ids=[0], elements=1, flags=[0])
    except hyperscan.error:
        return "prefilter"
    return "exact"


def build(source: Path) -> dict[str, Any]:
    """Read the YAML and return the JSON document."""
    doc = yaml.safe_load(source.read_text(encoding="utf-8"))
    rules = []
    for rule in doc["rules"]:
        pattern = fix(rule["pattern"])
        groups = re.compile(pattern, re.ASCII).groups
        rules.append({
            "id": rule["id"],
            "name": rule["name"],
            "type": type_of(rule["id"], rule["name"]),
            "pattern": pattern,
            "groups": GROUPS.get(rule["id"], [groups] if groups else [0]),
            "keywords": keywords(pattern),
            "max_width": max_width(pattern),
            "min_width": min_width(pattern),
            "hyperscan": hyperscan_mode(pattern),
            "check": check_of(rule["id"], type_of(rule["id"], rule["name"]), CHECKS.get(rule["id"])),
            "python": python_form(pattern),
            "source": "noseyparker",
        })  # fmt: skip
    for rule_id, name, kind, check, pattern in EXTRA_RULES:
        groups = re.compile(pattern, re.ASCII).groups
        rules.append({
            "id": rule_id,
            "name": name,
            "type": kind,
            "pattern": pattern,
            "groups": list(range(1, groups + 1)) or [0],
            "keywords": keywords(pattern),
            "max_width": max_width(pattern),
            "min_width": min_width(pattern),
            "hyperscan": hyperscan_mode(pattern),
            "check": check_of(rule_id, kind, check),
            "python": python_form(pattern),
            "source": "agentstate",
        })  # fmt: skip
    return {
        "source": doc.get("source", "praetorian-inc/noseyparker"),
        "license": doc.get("license", "Apache-2.0"),
        "notice": "Copyright Praetorian Security, Inc.; see NOTICE in this folder.",
        "rules": rules,
    }


def main(argv: list[str]) -> int:
    """Entry point: write :data:`OUT` from the YAML given or :data:`DEFAULT_YAML`."""
    source = Path(argv[1]) if len(argv) > 1 else DEFAULT_YAML
    text = json.dumps(build(source), indent=1, sort_keys=True) + "\n"
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT} ({len(text)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
