"""Text rules shared by usernames, guest names, tags and slugs."""
import re
import unicodedata

_SLUG_STRIP = re.compile(r"[^\w\s-]", re.UNICODE)
_SLUG_DASH = re.compile(r"[\s_-]+", re.UNICODE)
#: Control characters refused in user input: everything in Cc except tab and newline.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def canonical(value):
    """Return the form two names are compared in: NFKC, casefolded, NFKC again.

    Casefolding can produce text that is no longer NFKC-normal (e.g. "ß" to "ss" is
    fine, but some compatibility characters reappear), hence the second pass.
    "Ünïcode", "ÜNÏCODE" and full-width "ｕｎｉｃｏｄｅ" versus "Unicode" compare equal.
    """
    value = unicodedata.normalize("NFKC", value or "")
    return unicodedata.normalize("NFKC", value.casefold()).strip()


def clean_input(value):
    """Normalise typed text: CRLF and CR become LF; other control characters stay.

    Callers reject what ``has_control_characters`` finds, with a field message.
    """
    if value is None:
        return ""
    return value.replace("\r\n", "\n").replace("\r", "\n")


def has_control_characters(value):
    """Tell whether ``value`` holds control characters other than tab and newline."""
    return bool(_CONTROL.search(value or ""))


def has_invisible_characters(value):
    """Tell whether a one-line name holds control or format characters (e.g. U+200B).

    Bodies may keep format characters (emoji sequences use U+200D); names may not,
    or "ale\u200bx" would pass for "alex".
    """
    return any(unicodedata.category(ch) in ("Cc", "Cf") for ch in value or "")


def slugify(value, max_length=80):
    """Make a URL slug from a title: lower-case words joined by hyphens."""
    value = unicodedata.normalize("NFKC", value or "").lower()
    value = _SLUG_STRIP.sub("", value)
    value = _SLUG_DASH.sub("-", value).strip("-")
    return value[:max_length].rstrip("-") or "question"
