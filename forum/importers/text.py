"""Turn imported plain text and HTML into Markdown source for ``markup.render_markdown``.

The source is what an editor later sees, so it stays readable: plain text keeps its
line breaks and only characters Markdown would read as syntax are escaped; HTML
becomes the equivalent Markdown for the usual tags and plain text for the rest.
The result is rendered and sanitised by the one pipeline, like any post.
"""
import re
from html.parser import HTMLParser

# Characters that are Markdown syntax anywhere on a line.
_INLINE = re.compile(r"([\\`*_\[\]])")
# What starts a heading, quote, list or rule at the beginning of a line.
_LINE_START = re.compile(r"^(\s*)(?:([#>+\-])|(\d+)([.)])|(=))")


def _escape_start(match):
    space, symbol, digits, dot, equals = match.groups()
    if symbol:
        return f"{space}\\{symbol}"
    if digits:
        return f"{space}{digits}\\{dot}"
    return f"{space}&#61;"  # "=" has no backslash escape; a line of them would underline a heading


def escape_markdown(text):
    """Escape ``text`` so Markdown shows it as written (no formatting, no raw HTML)."""
    text = _INLINE.sub(r"\\\1", text)
    return text.replace("&", "&amp;").replace("<", "&lt;")


def _escape_line(line):
    return _LINE_START.sub(_escape_start, escape_markdown(line.strip()))


def plain_to_markdown(text):
    """Return Markdown that shows plain ``text`` with its paragraphs and line breaks."""
    paragraphs = re.split(r"\n\s*\n", (text or "").replace("\r\n", "\n").replace("\r", "\n"))
    blocks = []
    for paragraph in paragraphs:
        lines = [_escape_line(line) for line in paragraph.split("\n") if line.strip()]
        if lines:
            blocks.append("  \n".join(lines))  # two spaces: a hard line break
    return "\n\n".join(blocks)


_BLOCKS = {"p", "div", "blockquote", "pre", "ul", "ol", "li", "table", "tr", "h1", "h2", "h3",
           "h4", "h5", "h6", "hr", "br", "section", "article", "dl", "dt", "dd"}
_DROP = {"script", "style", "head", "title", "template", "noscript", "iframe", "object", "svg", "math",
         "xml"}


class _Converter(HTMLParser):
    """A small HTML to Markdown converter for the tags forum posts use."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out = []  # finished blocks
        self.line = []  # the current block's inline pieces
        self.quote = 0
        self.lists = []  # stack of ["ul"|"ol", counter]
        self.pre = 0
        self.drop = 0
        self.links = []  # stack of hrefs (None for a link without a usable one)
        self.pending = None  # (bullet, joins the item before) for the next block of a list item

    # --- Blocks -------------------------------------------------------------------
    def _prefix(self):
        return "> " * self.quote

    def _flush(self):
        text = "".join(self.line).strip()
        self.line = []
        bullet, tight = self.pending or ("", False)
        if not text:
            return
        self.pending = None
        indent = "    " * max(0, len(self.lists) - 1)
        lines = text.split("\n")
        first = self._prefix() + indent + bullet + lines[0].strip()
        rest = [self._prefix() + indent + ("    " if bullet else "") + line.strip() for line in lines[1:]]
        self.out.append((tight, "  \n".join([first, *rest])))

    def handle_starttag(self, tag, attrs):
        if tag in _DROP:
            self.drop += 1
            return
        if self.drop:
            return
        attrs = dict(attrs)
        if self.pre:
            return
        if tag in _BLOCKS and tag not in ("br", "li"):
            self._flush()
        if tag == "br":
            self.line.append("\n")
        elif tag in ("strong", "b"):
            self.line.append("**")
        elif tag in ("em", "i"):
            self.line.append("*")
        elif tag == "code":
            self.line.append("`")
        elif tag in ("del", "s", "strike"):
            self.line.append("")
        elif tag == "a":
            href = (attrs.get("href") or "").strip()
            ok = href.lower().startswith(("http://", "https://", "mailto:", "/"))
            self.links.append(href if ok else None)
            if ok:
                self.line.append("[")
        elif tag == "img":
            src = (attrs.get("src") or "").strip()
            alt = escape_markdown((attrs.get("alt") or "image").strip()) or "image"
            if src.lower().startswith(("http://", "https://")):
                self.line.append(f"![{alt}](<{src}>)")
            else:
                self.line.append(alt)
        elif tag == "blockquote":
            self.quote += 1
        elif tag in ("ul", "ol"):
            self._flush()
            self.lists.append([tag, 0])
        elif tag == "li":
            self._flush()
            if self.lists:
                self.lists[-1][1] += 1
                kind, number = self.lists[-1]
                self.pending = (f"{number}. " if kind == "ol" else "- ",
                                number > 1 or len(self.lists) > 1)
        elif tag == "pre":
            self.pre += 1
            self._pre_text = []
        elif tag == "hr":
            self.out.append((False, self._prefix() + "* * *"))
        elif tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self.line.append("#" * int(tag[1]) + " ")
        elif tag in ("td", "th"):
            self.line.append(" | " if self.line else "")

    def handle_endtag(self, tag):
        if tag in _DROP:
            self.drop = max(0, self.drop - 1)
            return
        if self.drop:
            return
        if tag == "pre" and self.pre:
            self.pre -= 1
            if not self.pre:
                self._flush()
                code = "".join(self._pre_text).strip("\n")
                fence = "~~~~" if "```" in code else "```"
                self.out.append((False, "\n".join(self._prefix() + line for line in
                                                   [fence, *code.split("\n"), fence])))
            return
        if self.pre:
            return
        if tag in ("strong", "b"):
            self.line.append("**")
        elif tag in ("em", "i"):
            self.line.append("*")
        elif tag == "code":
            self.line.append("`")
        elif tag == "a":
            href = self.links.pop() if self.links else None
            if href is not None:
                self.line.append(f"](<{href.replace('>', '%3E').replace(' ', '%20')}>)")
        elif tag == "li":
            self._flush()
        elif tag in ("ul", "ol"):
            self._flush()
            if self.lists:
                self.lists.pop()
        elif tag == "blockquote":
            self._flush()
            self.quote = max(0, self.quote - 1)
        elif tag in _BLOCKS:
            self._flush()

    def handle_data(self, data):
        if self.drop:
            return
        if self.pre:
            self._pre_text.append(data)
            return
        text = escape_markdown(re.sub(r"\s+", " ", data))
        so_far = "".join(self.line)
        if not so_far.strip() or so_far.endswith("\n"):
            text = _LINE_START.sub(_escape_start, text.lstrip())
        self.line.append(text)

    def result(self):
        if self.pre:
            self.handle_endtag("pre")
        self._flush()
        text = ""
        for tight, block in self.out:
            if block.strip():
                # List items after the first join the one before without a blank line.
                text += ("\n" if tight else "\n\n") + block if text else block
        return text


def html_to_markdown(html):
    """Return Markdown source equivalent to ``html`` (unknown tags keep only their text)."""
    converter = _Converter()
    try:
        converter.feed(html or "")
        converter.close()
    except (AssertionError, ValueError):  # the stdlib parser gives up on some broken markup
        return plain_to_markdown(re.sub(r"<[^>]*>", " ", html or ""))
    return converter.result()
