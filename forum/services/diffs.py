"""Word-level differences between two texts, for the revision history."""
import difflib
import re

_TOKENS = re.compile(r"\s+|[^\s]+")


def word_diff(old, new):
    """Return [(op, text)] with op "same", "del" or "ins", word by word."""
    a = _TOKENS.findall(old or "")
    b = _TOKENS.findall(new or "")
    parts = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            parts.append(("same", "".join(a[i1:i2])))
            continue
        if op in ("delete", "replace"):
            parts.append(("del", "".join(a[i1:i2])))
        if op in ("insert", "replace"):
            parts.append(("ins", "".join(b[j1:j2])))
    return parts
