"""Turn the CounselChat scrape (file A of ``shared/data``) into forum demo data.

Pure data preparation: standard library only, no Flask/SQLAlchemy, no imports from
the rest of the ``forum`` package. A seed service consumes the returned
:class:`DemoData`.

What happens to the source (see ``shared/data/README.md`` section 1):

* One :class:`DemoQuestion` per distinct ``questionLink`` (key = link slug). Its first
  topic in file order is the category, further topics become tags.
* Answers are de-duplicated on ``(questionLink, answerText, therapistURL)`` (a question
  listed under two topics was scraped twice) and sorted by upvotes desc, then file order.
* Askers are anonymous guests. Therapists become :class:`DemoMember` rows keyed by
  their profile URL with a deterministic pseudonym (:func:`pseudonym_for`). Their
  real names, credentials and profile URLs are scrubbed from all text
  (:func:`scrub_identity`), and :func:`iter_identity_strings` lists what must never
  show up in a seeded database.

Text cleaning (:func:`clean_body`)
-----------------------------------
1. U+00A0 becomes a space, the whole text is stripped.
2. Line breaks: a blank line, or a newline followed by indentation (how the scraper
   wrote the question's own paragraphs), is a paragraph break. A bare newline is a
   hard wrap from a mail client and becomes a space, unless the next line starts a
   list item (``1.``, ``2)``, ``-``, ``*``, ``•``), which gets its own paragraph.
3. Glued paragraphs (``...life.Seriously, ...``): a blank line is inserted after
   ``[.!?]+`` (plus closing quotes/brackets) when it directly follows a word of at
   least two letters ending in a lowercase letter, the word is not preceded by ``.``
   (so ``e.g.Foo``/``i.e.The`` stay intact) and is not a short abbreviation (``Mr``,
   ``Dr``, ``vs``, ``St``...), and the next character is an uppercase letter (or
   ``¿``/``¡``). The same applies before a glued list number (``healthy.1. Foo``).
   Nothing inside a URL or domain is split.
4. Markdown: a paragraph starting with ``#`` or ``>`` gets a backslash (``\\#``), a
   paragraph made only of ``-``/``=``/``_``/``*`` runs has its first char escaped.
   Numbered and bulleted lists are left alone on purpose.

Pseudonyms (:func:`pseudonym_for`)
----------------------------------
``sha256(therapistURL)``: bytes 0-3 pick one of 64 gentle adjectives, bytes 4-7 one of
64 nature/home nouns, bytes 8-11 a number 10-999 -> ``QuietHarbor42``-style names
(letters and digits only, at most 20 chars). Therapists are processed in URL order;
a name already taken, or containing any 3+ letter part of any therapist's real name
or URL slug, is re-drawn from ``sha256(url + "#1")``, ``"#2"``... So the mapping is
deterministic and unique for a given file.

Therapist names (:func:`therapist_name`)
----------------------------------------
The longest run of URL-slug tokens that the slugified ``therapistInfo`` starts with
marks where the name ends inside the glued info string; titles (Dr., Ms.) and trailing
credentials are dropped. :func:`scrub_identity` documents what is removed from text.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

__all__ = [
    "DemoAnswer",
    "DemoCategory",
    "DemoData",
    "DemoMember",
    "DemoQuestion",
    "Therapist",
    "category_title",
    "clean_body",
    "clean_title",
    "iter_identity_strings",
    "load_counselchat",
    "pseudonym_for",
    "read_therapists",
    "scrub_identity",
    "therapist_name",
]


# --------------------------------------------------------------------------- model


@dataclass
class DemoMember:
    key: str  # stable source key (CounselChat: the therapist profile URL, never shown)
    username: str  # public pseudonym


@dataclass
class DemoAnswer:
    key: str
    member_key: str
    body: str  # Markdown source
    upvotes: int = 0


@dataclass
class DemoQuestion:
    key: str
    title: str
    body: str  # Markdown source; the asker is an anonymous guest
    category: str  # DemoCategory.slug
    tags: list[str] = field(default_factory=list)
    answers: list[DemoAnswer] = field(default_factory=list)
    views: int = 0


@dataclass
class DemoCategory:
    slug: str
    title: str


@dataclass
class DemoData:
    categories: list[DemoCategory]
    members: list[DemoMember]
    questions: list[DemoQuestion]
    # optional loader statistics (e.g. {"scrubbed_answers": 84}); not seeded
    stats: dict[str, int] = field(default_factory=dict)

    @property
    def answer_count(self) -> int:
        return sum(len(q.answers) for q in self.questions)


# --------------------------------------------------------------------- categories

_TITLE_OVERRIDES = {
    "lgbtq": "LGBTQ",
    "legal-regulatory": "Legal & regulatory",
    "children-adolescents": "Children & adolescents",
    "self-esteem": "Self-esteem",
    "self-harm": "Self-harm",
}


def category_title(slug: str) -> str:
    """``family-conflict`` -> ``Family conflict``; acronyms come from a tiny override map."""
    if slug in _TITLE_OVERRIDES:
        return _TITLE_OVERRIDES[slug]
    words = slug.replace("_", "-").split("-")
    text = " ".join(w for w in words if w)
    return text[:1].upper() + text[1:]


# ----------------------------------------------------------------- therapist names

# Credential / title abbreviations, compared upper-cased with dots, slashes and
# hyphens removed ("Ph.D." -> "PHD", "LPC-S" -> "LPCS", "OTR/L" -> "OTRL").
_CREDENTIALS = frozenset(
    """
    ADC BCD BCBA CADC CAPS CASAC CCAC CCC CCDP CCP CCTP CEAP CGP CHT CLC CLT CMHC CPC
    CRC CSAT CSW DBH DBT DCC DMIN DSW EDD EDM EDS JD LADC LAMFT LCADC LCAS LCASA LCDC
    LCMFT LCMHC LCPC LCSW LCSWC LCSWR LICSW LISW LISWS LLC LLMSW LLP LLPC LMAC LMFT
    LMFTA LMHC LMHCA LMHP LMSW LPA LPC LPCA LPCC LPCCS LPCI LPCMH LPCS LSCSW LSW MA
    MAC MACP MAMFT MC MDIV MED MFT MFTC MFTI MHC MPH MS MSC MSED MSS MSW NCC NCSC OACCPP
    OPQ OTR OTRL PC PHD PLLC PSYD RCC RCSWI RMFT RN RP RPT RSW
    """.split()
)
_TITLES = frozenset({"DR", "DOCTOR", "MR", "MRS", "MS", "MISS", "MX", "PROF"})
_ORG_WORDS = frozenset(
    {"counseling", "counselling", "services", "service", "llc", "provider", "center",
     "centre", "associates", "therapy", "group", "clinic", "inc"}
)


def _norm_cred(token: str) -> str:
    return re.sub(r"[^A-Za-z]", "", token).upper()


def _slugify(text: str) -> tuple[str, list[int]]:
    """Lower-case slug (non ``[a-z0-9]`` runs -> ``-``) plus source index per slug char."""
    out: list[str] = []
    src: list[int] = []
    for i, ch in enumerate(text):
        c = ch.lower()
        if "a" <= c <= "z" or "0" <= c <= "9":
            out.append(c)
            src.append(i)
        elif out and out[-1] != "-":
            out.append("-")
            src.append(i)
    while out and out[-1] == "-":
        out.pop()
        src.pop()
    return "".join(out), src


def _strip_credentials(name: str) -> str:
    """Drop titles in front and credentials behind a name ("Dr. X Y, PhD" -> "X Y")."""
    name = name.split(",")[0]
    words = name.replace("(", " ").replace(")", " ").split()
    while len(words) > 1 and _norm_cred(words[0]) in _TITLES:
        words.pop(0)
    while len(words) > 1 and _norm_cred(words[-1]) in _CREDENTIALS:
        words.pop()
    return " ".join(words).strip(" -.~")


def therapist_name(info: str, url: str) -> str:
    """Derive a therapist's display name from ``therapistInfo`` + ``therapistURL``.

    ``therapistInfo`` glues name, credentials and tagline together
    (``Sherry Katz, LCSWCouples and Family Therapist, LCSW``). The URL slug
    (``sherry-katz-lcsw``) tells where the name ends: the longest run of slug tokens
    that the slugified info starts with marks the name part of ``info``; titles in
    front and credentials behind are then dropped. Falls back to the text before the
    first comma / lower->upper glue, and finally to the slug itself.
    """
    info = (info or "").replace("\xa0", " ").strip()
    slug = url.rstrip("/").rsplit("/", 1)[-1].lower()
    tokens = [t for t in slug.split("-") if t]
    while len(tokens) > 1 and tokens[-1].isdigit():  # "grace-brooks-2"
        tokens.pop()
    info_slug, src = _slugify(info)
    best = ""
    for start in range(len(tokens)):
        for end in range(len(tokens), start, -1):
            cand = "-".join(tokens[start:end])
            if len(cand) > len(best) and info_slug.startswith(cand):
                best = cand
                break
    if len(best) >= 3:
        raw = info[: src[len(best) - 1] + 1]
    else:
        m = re.match(r"[^,]*?[a-z](?=[A-Z][a-z])", info)
        raw = m.group(0) if m else info.split(",")[0]
        if not raw.strip():
            raw = " ".join(t.capitalize() for t in tokens)
    return _strip_credentials(raw)


def _name_words(name: str) -> list[str]:
    return [w for w in re.split(r"[\s()]+", name) if w and _norm_cred(w) not in _TITLES]


def _is_org(name: str) -> bool:
    return any(w.lower().strip(".,") in _ORG_WORDS for w in name.split())


_PARTICLES = frozenset({"van", "von", "de", "del", "della", "da", "di", "la", "le", "st", "st."})


def _name_variants(name: str) -> list[str]:
    """Full name, first+last and first+middle of one person (an organisation: as is)."""
    words = _name_words(name)
    out = [" ".join(words)]
    if not _is_org(name) and len(words) > 2:
        out.append(f"{words[0]} {words[-1]}")
        middle = [w for w in words[1:-1] if len(w.strip(".")) >= 3 and w.lower() not in _PARTICLES]
        if middle:
            out.append(f"{words[0]} {middle[0]}")
    return [v for v in out if v]


def _identity_qualifies(name: str) -> bool:
    words = name.split()
    return len(words) >= 2 and all(len(w) >= 3 for w in words)


@dataclass
class Therapist:
    url: str
    name: str  # derived display name (never published)
    username: str = ""

    @property
    def names(self) -> list[str]:
        """Name strings handed to :func:`scrub_identity`."""
        out = _name_variants(self.name)
        if not _is_org(self.name):
            slug_name = _slug_name(self.name)
            if len(slug_name.split()) >= 2 and slug_name not in {v.lower() for v in out}:
                out.append(slug_name)
        return out

    def identity_strings(self) -> set[str]:
        found = {self.url.lower()}
        for v in self.names:
            v = " ".join(v.lower().split())
            if _identity_qualifies(v):
                found.add(v)
        return found


def _slug_name(name: str) -> str:
    """The URL-slug spelling of a derived name: ``Marie O'Meara`` -> ``marie o meara``."""
    return _slugify(name)[0].replace("-", " ")


# ------------------------------------------------------------------ scrub_identity

_URL_RE = re.compile(
    r"(?:https?://|www\.)[^\s<>()\"“”¿¡]+"
    r"|\b[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|edu|gov|ca|co|io|info|us|uk|me)\b(?:/[^\s<>()\"“”¿¡]*)?",
    re.I,
)
_URL_HINTS = ("://", "www.", ".com", ".org", ".net", ".edu", ".gov", ".ca", ".co", ".io", ".info", ".us", ".uk", ".me")


def _iter_urls(text: str) -> list[re.Match]:
    """URL matches in ``text`` (cheap pre-check first: most bodies have no URL)."""
    low = text.lower()
    if not any(h in low for h in _URL_HINTS):
        return []
    return list(_URL_RE.finditer(text))


# a practice phone number ("reach me at 787-555-0100"); toll-free hotlines are kept
_PHONE_RE = re.compile(r"(?<![\d-])(?:1[-. ])?\(?(?P<area>\d{3})\)?[-. ]?\d{3}[-. ]\d{4}(?![\d-])")
_TOLL_FREE = frozenset({"800", "833", "844", "855", "866", "877", "888"})
_GLUED_WWW = re.compile(r"(?<=[A-Za-z])(?=www\.)")  # "Earl Lewiswww.example.com"
_CC_THERAPIST_URL_RE = re.compile(
    r"(?:https?://)?(?:www\.)?counselchat\.com/therapists/[^\s<>()\"“”]*", re.I
)
# one "credential-looking" token after a name: dotted (Ph.D., M.S.Ed.) or an acronym
_CRED_TOKEN_RE = re.compile(
    r"[ \t,]*(?P<tok>(?:[A-Z][a-z]{0,2}\.)+(?:[A-Z][a-z]{0,2}(?![a-z])\.?)?"
    r"|[A-Z][A-Za-z]{1,7}(?:[-/][A-Z]{1,2}(?![a-z]))?)"
)
_BUSINESS_WORDS = (
    r"(?:Wellness|Counseling|Counselling|Therapy|Therapies|Psychology|Associates|Center|"
    r"Centre|Group|Practice|Emotional\s+Health|Health|Coaching|Consulting)"
)
_SIGNOFF_PRE = r"[,.!?;:~)\"”’\-–—]"
_SPACE_RUN = re.compile(r"[ \t]{2,}")
_TRAILING_DEBRIS_CHARS = " \t\n\r~-–—,:;("


def _split_url(token: str) -> tuple[str, str]:
    """Split a URL match into (url, glued text after it).

    The scraper glued URLs to the next sentence (``.../four-fold-breath/Your thoughts``,
    ``.../good-therapistLaura Cassity``) and trailing punctuation belongs to the text.
    """
    url = token.rstrip(".,;:!?")
    rest = token[len(url):]
    m = re.match(r"((?:https?://)?[^/]+/(?:[^/]*/)*)([^/]*)$", url)
    if m:
        head, last = m.groups()
        g = re.match(r"([a-z0-9_\-.%=&?#]*[a-z0-9])?([A-Z][a-z]*)$", last)
        if g and not head.endswith("/wiki/"):
            return head + (g.group(1) or ""), g.group(2) + rest
    return url, rest


def _bare_url(url: str) -> str:
    return re.sub(r"^(?:https?://)?(?:www\.)?", "", url.strip().rstrip("/").lower())


_SENTENCE_START = re.compile(r"(?:[.!?]+[\"”’)]*[ \t]+|[.!?]+(?=[A-Z¿¡])|\n)")
_SENTENCE_END = re.compile(r"[.!?]+[\"”’)]*(?=\s|$|[A-Z¿¡])|\n|(?=[¿¡])")


def _remove_url_sentence(text: str, start: int, end: int) -> str:
    """Remove a self-promotional URL together with the sentence carrying it.

    ``Visit example.com for more information.``, ``You can contact me via my website:
    URL`` and ``~Mark (URL and URL)`` lose the whole sentence. If that sentence is
    longer than 300 characters only the URL (and a leading ``at``/``visit``) goes.
    """
    urls = [(m.start(), m.start() + len(_split_url(m.group(0))[0])) for m in _iter_urls(text)]

    def in_url(i: int) -> bool:
        return any(a <= i < b for a, b in urls)

    s_start = 0
    for m in _SENTENCE_START.finditer(text, 0, start):
        if not in_url(m.start()):
            s_start = m.end()
    tail = text[end:]
    if not tail.strip():
        s_end = len(text)
    elif tail[:1].isupper() or tail[:1] in "¿¡":  # glued to the next sentence
        s_end = end
    else:
        s_end = len(text)
        for m in _SENTENCE_END.finditer(text, end):
            if not in_url(m.start()):
                s_end = m.end()
                break
    if s_end - s_start <= 300:
        return _remove(text, s_start, s_end, paragraph="\n" in text[s_start:s_end] or tail[:1].isupper())
    pre = re.search(r"(?:\s+(?:at|visit|on|see)\b)?[ \t]*\(?$", text[:start], re.I)
    post = re.match(r"\)?", text[end:])
    return _remove(text, pre.start() if pre else start, end + (post.end() if post else 0))


_LICENSED_NOTE = re.compile(r"[ \t]*\([^()\n]{0,20}licen[sc]ed[^()\n]{0,20}\)", re.I)


def _consume_credentials(text: str, pos: int) -> int:
    """Return the end of the credential run starting at ``pos`` (``, LCSW, PhD``)."""
    while True:
        m = _CRED_TOKEN_RE.match(text, pos)
        if not m:
            return pos
        tok = m.group("tok")
        norm = _norm_cred(tok)
        if norm in _CREDENTIALS:
            end = m.end()
        else:
            # glued credential ("LMHCP.S.", "PhDLicensed"): longest known prefix that is
            # followed by an upper-case letter
            end = 0
            letters = re.match(r"[A-Za-z]+", tok)
            word = letters.group(0) if letters else ""
            for k in range(len(word) - 1, 1, -1):
                if word[:k].upper() in _CREDENTIALS and word[k].isupper():
                    end = m.start("tok") + k
                    break
            if not end:
                return pos
        if end < len(text) and text[end] == ".":
            end += 1
        pos = end
        lic = _LICENSED_NOTE.match(text, pos)
        if lic:
            pos = lic.end()


def _words_re(words: list[str]) -> str:
    parts = [re.escape(w.strip(".,")) for w in words if w.strip(".,")]
    return r"[\s.\-]+".join(parts)


_NAME_END = r"(?:(?![a-z])|(?=www\.))"


class _LazyRe:
    """A regex compiled on first use (most therapists' rules never run on most texts)."""

    __slots__ = ("source", "_compiled")

    def __init__(self, source: str):
        self.source = source
        self._compiled: re.Pattern | None = None

    def __getattr__(self, attr):
        if self._compiled is None:
            self._compiled = re.compile(self.source)
        return getattr(self._compiled, attr)


class _NameRules:
    def __init__(self, name: str):
        words = _name_words(name)
        self.is_org = _is_org(name)
        self.first = words[0].strip(".,") if words else ""
        self.last = words[-1].strip(".,") if len(words) > 1 else ""
        alts = []
        for variant in sorted(_name_variants(name), key=len, reverse=True):
            vw = variant.split()
            alts.append(_words_re(vw))
            if len(vw) >= 2 and not self.is_org:
                # first [middle initials / middle names] last: "Robin J. Landwehr"
                alts.append(
                    re.escape(vw[0]) + r"(?:[\s.]+[A-Za-z]\.?|[\s]+[A-Za-z]+){0,2}?[\s.]+"
                    + re.escape(vw[-1].strip(".,"))
                )
        title = r"(?:(?:Dr|Doctor|Mr|Mrs|Ms|Prof)\.?\s*)?"
        self.full = _LazyRe(
            r"(?:(?<![A-Za-z])|(?<=[a-z])(?=[A-Z]))" + title + r"(?i:" + "|".join(alts) + r")" + _NAME_END
        ) if alts and words else None
        self.dr_last = None
        self.signoff = None
        self.intro = None
        self.business = None
        if self.is_org or not self.first:
            return
        if self.last and len(self.last) >= 3:
            self.dr_last = _LazyRe(
                r"(?<![A-Za-z])(?:Dr|Doctor)\.?\s+(?i:" + re.escape(self.last) + r")" + _NAME_END
            )
            self.business = _LazyRe(
                r"(?<![A-Za-z])(?i:" + re.escape(self.last) + r")\s*" + _BUSINESS_WORDS
                + r"(?![a-z])"
            )
        first = re.escape(self.first)
        # "..., Sherry" / "-keith" / "~Mark (www.example.com)" / "Rossana Mag." at the end
        self.signoff = _LazyRe(
            r"(?P<pre>" + _SIGNOFF_PRE + r"|^)(?P<sig>[\s~\-–—]*(?:(?:Dr|Doctor)\.?\s*)?(?i:" + first + r")(?![a-z])"
            r"(?:\s+(?P<lp>[A-Za-z]{2,})\.)?)(?P<tail>(?:\s*~[^\n~]{0,80})?"
            r"(?:\s*\([^()\n]{0,160}\))?[\s.!~\-–—]*)$"
        )
        # "Hi, I'm Amelia!" / "My name is Sherry."
        self.intro = _LazyRe(
            r"(?:(?P<hi>\b(?:Hi|Hello|Hey)(?:\s+there)?)\s*[,!.]?\s*)?"
            r"(?<![A-Za-z])(?:I'm|I’m|I am|[Mm]y name is)\s+(?i:" + first + r")(?![a-z])"
            r"(?:\s+(?i:" + re.escape(self.last or "\x00") + r"))?[.!,]?"
        )

    def mentioned(self, low_text: str) -> bool:
        """Cheap pre-check: could any rule match this (lower-cased) text?"""
        return bool(self.first) and (
            self.first.lower() in low_text or (bool(self.last) and self.last.lower() in low_text)
        )

    def names_in_url(self, url: str) -> bool:
        flat = re.sub(r"[^a-z]", "", url.lower())
        for part in (self.first, self.last):
            p = re.sub(r"[^a-z]", "", part.lower())
            if len(p) >= 4 and p in flat:
                return True
        return False


@lru_cache(maxsize=1024)
def _rules_for(names: tuple[str, ...]) -> tuple[_NameRules, ...]:
    return tuple(_NameRules(n) for n in names if n and n.strip())


def _remove(text: str, start: int, end: int, paragraph: bool = True) -> str:
    """Cut ``text[start:end]``; a block removed between two sentences leaves a paragraph break."""
    before, after = text[:start], text[end:]
    if not after.strip():
        return before.rstrip()
    if not before.strip():
        return after.lstrip()
    if paragraph and re.search(r"[,.!?;:]\s*$", before) and re.match(r"\s*[A-Z¿¡]", after):
        return before.rstrip() + "\n\n" + after.lstrip()
    return before.rstrip() + " " + after.lstrip()


def _remove_name_runs(text: str, pattern: re.Pattern) -> str:
    pos = 0
    while True:
        m = pattern.search(text, pos)
        if not m:
            return text
        end = _consume_credentials(text, m.end())
        tail = re.match(r"[ \t]*,", text[end:])
        if tail and end < len(text):
            end += tail.end()
        # a signature ending in the person's own web address: "Jane Doe www.example.com"
        site = re.match(r"\s*(?:" + _URL_RE.pattern + r")\s*$", text[end:], re.I)
        if site:
            end = len(text)
        text = _remove(text, m.start(), end)
        pos = m.start()


def scrub_identity(text: str, names: list[str], urls: Iterable[str] = ()) -> str:
    """Remove a person's name, credentials and profile URLs from ``text``.

    ``names`` are strings like ``"Sherry Katz"`` or ``"Robin Landwehr"`` (one or more
    people; organisation names are removed verbatim only). Rules, in order:

    1. URLs: every ``counselchat.com/therapists/...`` URL, every URL in ``urls``, and any
       URL/domain that contains the person's first or last name (4+ letters, e.g.
       ``www.MarkMorrisLCSW.com``) are removed together with the (self-promotional)
       sentence carrying them; so are practice phone numbers (10 digits, toll-free
       hotline numbers such as 1-800-273-8255 are kept).
    2. Full name (``Sherry Katz``, ``Robin J. Landwehr``, ``Dr. Virginia Chow``,
       hyphen/space variants, case-insensitive) plus the credential run after it
       (``, DBH, LPC, NCC`` / ``M.S., LMHC`` / glued ``LMHCP.S.`` keeps ``P.S.``).
    3. ``Dr. <Last>`` (+ credentials).
    4. Self-introductions ``I'm <First>`` / ``My name is <First>``.
    5. ``<Last> Wellness|Counseling|...`` (a practice named after the person) becomes
       ``my practice``, or disappears when it ends the text.
    6. Sign-off: ``<First>`` as the final word after punctuation (``Best wishes,Karen``,
       ``-keith``, ``~Mark (www...)``, ``Mirella~Practice name``, ``Rossana Mag.``).
    Leftover sign-off debris (``~``, ``-``, ``,``) at the very end is trimmed.
    """
    if not text:
        return text
    original = text
    rules = _rules_for(tuple(names))
    own = {_bare_url(u) for u in urls if u}

    def is_own(url: str) -> bool:
        u = url.rstrip("/").lower()
        return (
            "counselchat.com/therapists" in u
            or _bare_url(u) in own
            or any(r.names_in_url(u) for r in rules if not r.is_org)
        )

    text = _GLUED_WWW.sub(" ", text)
    spans = []
    for m in _iter_urls(text):
        url, _rest = _split_url(m.group(0))
        if is_own(url):
            spans.append((m.start(), m.start() + len(url)))
    for m in _PHONE_RE.finditer(text):
        if m.group("area") not in _TOLL_FREE:
            spans.append(m.span())
    for start, end in sorted(spans, reverse=True):
        text = _remove_url_sentence(text, start, end)

    low = text.lower()
    for r in rules:
        if not r.mentioned(low):
            continue
        if r.full is not None:
            text = _remove_name_runs(text, r.full)
        if r.dr_last is not None:
            text = _remove_name_runs(text, r.dr_last)
        if r.intro is not None:
            text = r.intro.sub(lambda m: (m.group("hi") + "!") if m.group("hi") else "", text)
        if r.business is not None:
            m = r.business.search(text)
            while m:
                if not text[m.end():].strip(" \t\n.!~-–—"):
                    text = text[: m.start()].rstrip()
                else:
                    text = text[: m.start()] + "my practice" + text[m.end():]
                m = r.business.search(text, m.start() + 1)
        if r.signoff is not None:
            m = r.signoff.search(text)
            if m and (
                not m.group("lp") or (r.last and r.last.lower().startswith(m.group("lp").lower()))
            ):
                text = text[: m.start("sig")]

    if text != original:
        text = text.rstrip(_TRAILING_DEBRIS_CHARS).strip()
    return text


# -------------------------------------------------------------------- text cleaning

_LIST_START = re.compile(r"(?:\d{1,2}[.)]|[-*•])\s")
_ABBREV = frozenset({"mr", "mrs", "ms", "dr", "st", "vs", "jr", "sr", "no", "vol", "fig", "mt", "ft", "pp"})
_GLUE_RE = re.compile(
    r"(?<![.\w])(?P<word>[A-Za-z][A-Za-z'’]*[a-z])(?P<punct>[.!?]+[\"”’)]*)"
    r"(?=(?P<next>[A-Z¿¡]|\d{1,2}[.)]\s))"
)


def _reflow_lines(text: str) -> str:
    paragraphs: list[str] = []
    current: list[str] = []
    for raw_line in text.split("\n"):
        line = raw_line.strip()
        indented = bool(raw_line) and raw_line[0] in " \t"
        if not line:
            if current:
                paragraphs.append(" ".join(current))
                current = []
            continue
        if current and (indented or _LIST_START.match(line)):
            paragraphs.append(" ".join(current))
            current = []
        current.append(line)
    if current:
        paragraphs.append(" ".join(current))
    return "\n\n".join(paragraphs)


def _unglue_url(m: re.Match) -> str:
    url, rest = _split_url(m.group(0))
    return url + ("\n\n" + rest if rest[:1].isupper() else rest)


def _split_glued(paragraph: str) -> str:
    spans = [m.span() for m in _iter_urls(paragraph)]

    def in_url(i: int) -> bool:
        return bool(spans) and any(a <= i < b for a, b in spans)

    out: list[str] = []
    last = 0
    for m in _GLUE_RE.finditer(paragraph):
        if len(m.group("word")) < 2 or m.group("word").lower() in _ABBREV or in_url(m.end("word")):
            continue
        out.append(paragraph[last: m.end()])
        out.append("\n\n")
        last = m.end()
    out.append(paragraph[last:])
    return "".join(out)


def _escape_markdown(paragraph: str) -> str:
    if paragraph[:1] in "#>":
        return "\\" + paragraph
    if re.fullmatch(r"[-=_*\s]{3,}", paragraph):
        return "\\" + paragraph
    return paragraph


def _normalize_spaces(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ")
    return text.strip()


def clean_body(text: str) -> str:
    """Clean a question/answer body into Markdown source (see module docstring)."""
    text = _normalize_spaces(text)
    text = _reflow_lines(text)
    if _iter_urls(text):
        text = _URL_RE.sub(_unglue_url, text)
    paragraphs: list[str] = []
    for para in text.split("\n\n"):
        para = _SPACE_RUN.sub(" ", para).strip()
        for piece in _split_glued(para).split("\n\n"):
            piece = piece.strip()
            if piece:
                paragraphs.append(_escape_markdown(piece))
    return "\n\n".join(paragraphs)


def clean_title(text: str) -> str:
    return " ".join(_normalize_spaces(text).split())


# ---------------------------------------------------------------------- pseudonyms

_ADJECTIVES = (
    "Quiet Gentle Calm Kind Warm Steady Bright Soft Still Patient Hopeful Tender Mellow "
    "Serene Cozy Sunny Golden Silver Misty Mossy Leafy Breezy Dewy Velvet Humble Brave "
    "Curious Thoughtful Honest Easy Open Peaceful Restful Tranquil Placid Balmy Lucid "
    "Merry Cheerful Friendly Earnest Loyal Nimble Sturdy Snug Azure Coral Wise "
    "Bold Candid Fond Glad Hardy Keen Lively Modest Noble Sincere Sweet Tidy Upbeat "
    "Vivid Mindful Caring"
).split()
_NOUNS = (
    "Harbor Meadow River Willow Lantern Garden Haven Cove Grove Orchard Valley Lake Pond "
    "Creek Shore Island Hill Field Forest Fern Maple Cedar Birch Aspen Pine Acorn Sparrow "
    "Heron Finch Wren Otter Dove Lark Owl Swan Pebble Cloud Rain Breeze Tide Wave Candle "
    "Hearth Quilt Teacup Kettle Compass Anchor Beacon Bridge Path Trail Horizon Morning "
    "Evening Moon Star Comet Sunrise Ember Blossom Petal Clover Seashell"
).split()


def pseudonym_for(key: str, attempt: int = 0) -> str:
    """``AdjectiveNoun`` + 2-3 digit number, picked by sha256(key[#attempt])."""
    seed = key if attempt == 0 else f"{key}#{attempt}"
    digest = hashlib.sha256(seed.encode("utf-8")).digest()
    adj = _ADJECTIVES[int.from_bytes(digest[0:4], "big") % len(_ADJECTIVES)]
    noun = _NOUNS[int.from_bytes(digest[4:8], "big") % len(_NOUNS)]
    number = 10 + int.from_bytes(digest[8:12], "big") % 990
    return f"{adj}{noun}{number}"


def _assign_pseudonyms(therapists: list[Therapist]) -> None:
    """Unique pseudonyms, collisions resolved by URL order then attempt counter."""
    forbidden = set()
    for t in therapists:
        for w in re.split(r"[^a-z]+", t.name.lower()) + re.split(r"[^a-z]+", t.url.rsplit("/", 1)[-1].lower()):
            if len(w) >= 3:
                forbidden.add(w)
    used: set[str] = set()
    for t in sorted(therapists, key=lambda t: t.url):
        attempt = 0
        while True:
            name = pseudonym_for(t.url, attempt)
            low = name.lower()
            if low not in used and not any(w in low for w in forbidden):
                break
            attempt += 1
        used.add(low)
        t.username = name


# ---------------------------------------------------------------------- loading

def _read_rows(path) -> list[dict[str, str]]:
    with open(Path(path), encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def read_therapists(rows_or_path) -> dict[str, Therapist]:
    """Therapists keyed by ``therapistURL`` (first ``therapistInfo`` seen wins)."""
    rows = _read_rows(rows_or_path) if not isinstance(rows_or_path, list) else rows_or_path
    out: dict[str, Therapist] = {}
    for row in rows:
        url = row["therapistURL"].strip()
        if url and url not in out:
            out[url] = Therapist(url=url, name=therapist_name(row["therapistInfo"], url))
    _assign_pseudonyms(list(out.values()))
    return out


def iter_identity_strings(path) -> set[str]:
    """Lower-cased therapist names (2+ words of 3+ chars) and profile URLs.

    None of these may appear anywhere in a seeded database.
    """
    found: set[str] = set()
    for t in read_therapists(path).values():
        found |= t.identity_strings()
    return found


class _GlobalScrubber:
    """Remove any therapist's full name / any profile URL (cross-mentions, questions).

    A mention inside a sentence ("the sentiment of Jane Doe: ...") becomes "a colleague".
    """

    def __init__(self, therapists: Iterable[Therapist]):
        # (first word, last word) -> regex sources of every 2+ word name variant
        self.by_words: dict[tuple[str, str], set[str]] = {}
        for t in therapists:
            for v in t.names:
                words = v.split()
                if len(words) >= 2:
                    key = (_token(words[0]), _token(words[-1]))
                    self.by_words.setdefault(key, set()).add(_words_re(words))
        self.firsts: dict[str, dict[str, set[str]]] = {}
        for (first, last), sources in self.by_words.items():
            self.firsts.setdefault(first, {})[last] = sources

    @staticmethod
    @lru_cache(maxsize=256)
    def _pattern(alts: tuple[str, ...]) -> re.Pattern:
        return re.compile(
            r"(?:(?<![A-Za-z])|(?<=[a-z])(?=[A-Z]))(?i:" + "|".join(alts) + r")" + _NAME_END
        )

    def __call__(self, text: str) -> str:
        low = text.lower()
        if "counselchat.com/therapists" in low:
            text = _CC_THERAPIST_URL_RE.sub("", text)
        # words, also split at glued camel case ("wellRobin" -> "well", "robin")
        tokens = {w.lower() for w in _WORD_PARTS.findall(text)}
        alts: set[str] = set()
        flat = ""
        for first in tokens & self.firsts.keys():
            flat = flat or re.sub(r"[^a-z0-9]", "", low)
            for last, sources in self.firsts[first].items():
                if last in flat:
                    alts |= sources
        if not alts:
            return text
        pattern = self._pattern(tuple(sorted(alts, key=lambda a: (-len(a), a))))
        pos = 0
        while True:
            m = pattern.search(text, pos)
            if not m:
                return text
            end = _consume_credentials(text, m.end())
            before = text[: m.start()]
            near = before[-40:]
            if re.search(r"[A-Za-z,;:]\s*$", near):  # mid-sentence mention of a colleague
                text = before + "a colleague" + text[end:]
            elif (not before.strip() or re.search(r"[.!?]\s+$", near)) and re.match(r"\s+[a-z]", text[end:]):
                text = before + "A colleague" + text[end:]
            else:
                text = _remove(text, m.start(), end)
            pos = m.start() + 1


_WORD_PARTS = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")


def _token(word: str) -> str:
    return re.sub(r"[^a-z0-9]", "", word.lower())


def load_counselchat(path, progress: Callable[[int, int], None] | None = None) -> DemoData:
    """Parse CounselChat file A (``counsel_chat_20200325.csv``) into :class:`DemoData`."""
    rows = _read_rows(path)
    total = len(rows)
    therapists = read_therapists(rows)
    global_scrub = _GlobalScrubber(therapists.values())

    questions: dict[str, DemoQuestion] = {}
    topics_seen: dict[str, int] = {}  # topic -> first row index
    seen_answers: dict[tuple[str, str, str], tuple[int, DemoAnswer]] = {}
    answer_rows: dict[str, list[tuple[int, DemoAnswer]]] = {}
    scrub_changed = 0

    for i, row in enumerate(rows):
        link = row["questionLink"].strip()
        qkey = link.rstrip("/").rsplit("/", 1)[-1]
        topic = row["topic"].strip()
        topics_seen.setdefault(topic, i)
        views = int(row["views"] or 0)
        q = questions.get(link)
        if q is None:
            q = DemoQuestion(
                key=qkey,
                title=global_scrub(clean_title(row["questionTitle"])),
                body=clean_body(global_scrub(_normalize_spaces(row["questionText"]))),
                category=topic,
                views=views,
            )
            questions[link] = q
            answer_rows[link] = []
        else:
            q.views = max(q.views, views)
            if topic != q.category and topic not in q.tags:
                q.tags.append(topic)

        url = row["therapistURL"].strip()
        dedup = (link, row["answerText"], url)
        if dedup in seen_answers:
            idx, ans = seen_answers[dedup]
            ans.upvotes = max(ans.upvotes, int(row["upvotes"] or 0))
        else:
            t = therapists[url]
            raw = _normalize_spaces(row["answerText"])
            scrubbed = global_scrub(scrub_identity(raw, t.names, urls=[url]))
            if scrubbed != raw:
                scrub_changed += 1
            akey = hashlib.sha256("\x1f".join(dedup).encode("utf-8")).hexdigest()[:16]
            ans = DemoAnswer(
                key=akey, member_key=url, body=clean_body(scrubbed), upvotes=int(row["upvotes"] or 0)
            )
            seen_answers[dedup] = (i, ans)
            answer_rows[link].append((i, ans))
        if progress is not None:
            progress(i + 1, total)

    for link, q in questions.items():
        ordered = sorted(answer_rows[link], key=lambda p: (-p[1].upvotes, p[0]))
        q.answers = [a for _, a in ordered]

    q_per_topic: dict[str, int] = {}
    for q in questions.values():
        for t in [q.category, *q.tags]:
            q_per_topic[t] = q_per_topic.get(t, 0) + 1
    # most questions first, ties alphabetical: deterministic and useful for a forum index
    slugs = sorted(topics_seen, key=lambda s: (-q_per_topic.get(s, 0), s))
    categories = [DemoCategory(slug=s, title=category_title(s)) for s in slugs]

    members = [DemoMember(key=t.url, username=t.username) for t in sorted(therapists.values(), key=lambda t: t.url)]
    return DemoData(
        categories=categories,
        members=members,
        questions=list(questions.values()),
        stats={"rows": total, "scrubbed_answers": scrub_changed},
    )
