"""Render user-written Markdown into sanitised HTML and extract its visible text."""

import re
import xml.etree.ElementTree as ElementTree
from functools import partial
from html import escape as _escape
from html.parser import HTMLParser as _StdlibHTMLParser
from urllib.parse import quote

import bleach
import markdown
from bleach import html5lib_shim
from bleach.linkifier import LinkifyFilter

# Bump when render_markdown's output changes; `flask forum rerender` then
# refreshes stored post HTML that was produced by an older version.
RENDERER_VERSION = 2  # 2: @mentions link to profiles

# Deliberately small: fenced code and tables are what Q&A posts need, and
# sane_lists stops "1." / "-" lists from merging and honours start numbers.
# Not nl2br (breaks hard-wrapped prose), not attr_list/toc/footnotes (they emit
# ids and arbitrary attributes) and not codehilite (classes, inline styles).
MARKDOWN_EXTENSIONS = ["fenced_code", "tables", "sane_lists"]
# Tables emit align="" (allow-listed below) rather than a style attribute.
MARKDOWN_CONFIG = {"tables": {"use_align_attribute": True}}

ALLOWED_TAGS = frozenset({
    "p", "br", "hr", "strong", "em", "b", "i", "del", "sup", "sub", "a",
    "ul", "ol", "li", "blockquote", "code", "pre", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td",
})
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow ugc noopener"

# The page owns h1/h2, so post headings are shifted down two levels (capped).
_HEADING_MAP = {"h1": "h3", "h2": "h4", "h3": "h5", "h4": "h6", "h5": "h6"}

# Removed together with their content: their text is code or fallback markup,
# never prose, and bleach's strip=True would otherwise leave it visible.
_DROP_WITH_CONTENT = frozenset({
    "script", "style", "iframe", "frame", "frameset", "object", "embed",
    "applet", "template", "noscript", "noembed", "noframes", "xmp",
    "plaintext", "svg", "math",
})

# C0 controls other than tab/LF/CR are invalid in HTML, and Markdown uses
# \x02/\x03 internally as placeholder markers.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Same normalisation bleach applies to URL attributes before a scheme check.
_URL_JUNK_RE = re.compile(r"[`\x00-\x20\x7f-\xa0\s]+")
# Linkify only explicit http(s):// or www. URLs, so "setup.py" or "README.md"
# in a code-heavy forum stays text; a URL never ends in sentence punctuation.
_URL_RE = re.compile(
    r"""\(*\b(?:https?://|www\.)[^\s<>"'`{}|\\^]*[^\s<>"'`{}|\\^.,;:!?]""",
    re.IGNORECASE,
)

_BLOCK_TAGS = frozenset({
    "p", "br", "hr", "li", "ul", "ol", "blockquote", "pre", "table", "thead",
    "tbody", "tr", "th", "td", "div", "h1", "h2", "h3", "h4", "h5", "h6",
})


def _allow_align(tag, name, value):
    """Allow only a plain left/center/right align on table cells."""
    return name == "align" and value in ("left", "center", "right")


def _allow_start(tag, name, value):
    """Allow only a small numeric start on ordered lists."""
    return name == "start" and value.isascii() and value.isdigit() and len(value) <= 9


ALLOWED_ATTRIBUTES = {
    "a": ["href", "title"],
    "ol": _allow_start,
    "th": _allow_align,
    "td": _allow_align,
}


class _RelFilter(html5lib_shim.Filter):
    """Force a fixed rel on every link, discarding any user-supplied rel."""

    def __iter__(self):
        for token in super().__iter__():
            if token["type"] in ("StartTag", "EmptyTag") and token["name"] == "a":
                attrs = {k: v for k, v in (token["data"] or {}).items() if k[1] != "rel"}
                attrs[(None, "rel")] = LINK_REL
                token["data"] = attrs
            yield token


def _image_href(src):
    """Return src if it is an http(s) URL worth linking to, else None."""
    src = (src or "").strip()
    normalised = _URL_JUNK_RE.sub("", src).lower()
    # "//host/x" is protocol-relative, i.e. http(s) on the page's scheme.
    if normalised.startswith(("http://", "https://", "//")):
        return src
    return None


def _neutralise(el, text=None):
    """Turn el into an empty <span> (stripped later) holding only text."""
    tail = el.tail
    el.clear()  # drops attributes, children, text and tail
    el.tag, el.text, el.tail = "span", text, tail


def _rewrite_tree(root):
    """Drop dangerous subtrees, turn images into links, demote headings."""
    # An explicit stack rather than recursion: hostile input may nest deeply.
    stack = [(root, False)]
    while stack:
        parent, in_link = stack.pop()
        for el in list(parent):
            if not isinstance(el.tag, str):  # comments; bleach strips them
                continue
            # svg/math children carry namespaced tags like "{ns}svg".
            name = el.tag.rpartition("}")[2].lower()
            if name in _DROP_WITH_CONTENT or "}" in el.tag:
                _neutralise(el)
            elif name == "img":
                alt = (el.get("alt") or "").strip()
                href = _image_href(el.get("src"))
                if href is None or in_link:  # never nest <a> inside <a>
                    _neutralise(el, alt or (href or ""))
                else:
                    _neutralise(el, alt or href)
                    el.tag = "a"
                    el.set("href", href)
            else:
                el.tag = _HEADING_MAP.get(name, el.tag)
                stack.append((el, in_link or name == "a"))


def _prepare_html(fragment):
    """Parse Markdown's output, rewrite it, and serialise it for the cleaner."""
    parser = html5lib_shim.HTMLParser(namespaceHTMLElements=False)
    root = parser.parseFragment(fragment)
    _rewrite_tree(root)
    walker = html5lib_shim.getTreeWalker("etree")
    serializer = html5lib_shim.HTMLSerializer(
        quote_attr_values="always", omit_optional_tags=False
    )
    return serializer.render(walker(root))


def _make_cleaner():
    """Build a Cleaner; bleach's parser is stateful, so one per call."""
    linkify = partial(
        LinkifyFilter, callbacks=[], skip_tags={"pre", "code"},
        parse_email=False, url_re=_URL_RE,
    )
    return bleach.Cleaner(
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        protocols=ALLOWED_PROTOCOLS,
        strip=True,
        strip_comments=True,
        # Rel runs last so it also covers links that linkify just created.
        filters=[linkify, _RelFilter],
    )


#: Longest link text looked for between [ and ]. Python-Markdown scans to the end
#: of the paragraph for every unmatched "[" (Python-Markdown/markdown#798), so a
#: body of many "[" took minutes; bounding the scan keeps rendering linear.
MAX_LINK_TEXT = 500
#: Past this many "[" a body is not prose with links but a pathological input;
#: it is shown as plain text, so the cost stays linear.
MAX_BRACKETS = 400


class _BoundedLinkText:
    """Give up on a link whose text does not close within MAX_LINK_TEXT characters."""

    def getText(self, data, index):  # noqa: N802 - Python-Markdown's name
        window = data[index:index + MAX_LINK_TEXT + 1]
        text, end, handled = super().getText(window, 0)
        return text, index + end, handled


def _bounded(cls):
    return type(f"Bounded{cls.__name__}", (_BoundedLinkText, cls), {})


class _BoundedLinksExtension(markdown.Extension):
    """Replace the link and image processors with ones that scan a bounded window."""

    def extendMarkdown(self, md):  # noqa: N802 - Python-Markdown's name
        from markdown import inlinepatterns as ip

        for name, cls, pattern in (
            ("reference", ip.ReferenceInlineProcessor, ip.REFERENCE_RE),
            ("link", ip.LinkInlineProcessor, ip.LINK_RE),
            ("image_link", ip.ImageInlineProcessor, ip.IMAGE_LINK_RE),
            ("image_reference", ip.ImageReferenceInlineProcessor, ip.IMAGE_REFERENCE_RE),
            ("short_reference", ip.ShortReferenceInlineProcessor, ip.REFERENCE_RE),
            ("short_image_ref", ip.ShortImageReferenceInlineProcessor, ip.IMAGE_REFERENCE_RE),
        ):
            priority = md.inlinePatterns.get_index_for_name(name)
            priority = md.inlinePatterns._priority[priority].priority
            md.inlinePatterns.register(_bounded(cls)(pattern, md), name, priority)


#: Deepest quote nesting rendered as quotes; deeper ">" stay text. Python-Markdown's own guard
#: depends on the caller's stack depth, so the same text rendered differently when saved, previewed
#: or re-rendered; a fixed depth makes the HTML a function of the text alone.
MAX_QUOTE_DEPTH = 40


class _BoundedQuotes(markdown.blockprocessors.BlockQuoteProcessor):
    """Nest quotes up to MAX_QUOTE_DEPTH, whatever the stack depth of the caller."""

    depth = 0

    def test(self, parent, block):
        return bool(self.RE.search(block)) and self.depth < MAX_QUOTE_DEPTH

    def run(self, parent, blocks):
        self.depth += 1
        try:
            super().run(parent, blocks)
        finally:
            self.depth -= 1


class _BoundedQuotesExtension(markdown.Extension):
    def extendMarkdown(self, md):  # noqa: N802 - Python-Markdown's name
        md.parser.blockprocessors.register(_BoundedQuotes(md.parser), "quote", 20)


#: An @mention: a member name of 3–30 letters, digits and . - _ (not inside a word or an address).
MENTION_PATTERN = r"(?<![\w@/])@([^\W_][\w.-]{1,28}[^\W_.-]|[^\W_]{3})"


class _MentionProcessor(markdown.inlinepatterns.InlineProcessor):
    """Link @name to the member's profile (never inside code: Markdown stashes code first)."""

    def handleMatch(self, m, data):  # noqa: N802 - Python-Markdown's name
        link = ElementTree.Element("a")
        link.set("href", "/users/" + quote(m.group(1)))
        link.text = "@" + m.group(1)
        return link, m.start(0), m.end(0)


class _MentionsExtension(markdown.Extension):
    def extendMarkdown(self, md):  # noqa: N802 - Python-Markdown's name
        md.inlinePatterns.register(_MentionProcessor(MENTION_PATTERN, md), "mention", 105)


def render_markdown(source: str) -> str:
    """Render Markdown source to sanitised HTML safe to embed in a page."""
    # Lone surrogates cannot be encoded; turn them into "?" instead of raising.
    source = str(source or "").encode("utf-8", "replace").decode("utf-8")
    source = _CONTROL_RE.sub("", source)
    if not source.strip():
        return ""
    try:
        if source.count("[") > MAX_BRACKETS:
            raise ValueError("too many brackets to parse links in linear time")
        md = markdown.Markdown(
            extensions=[*MARKDOWN_EXTENSIONS, _BoundedLinksExtension(), _BoundedQuotesExtension(),
                        _MentionsExtension()],
            extension_configs=MARKDOWN_CONFIG,
            output_format="html",
        )
        body = md.convert(source)
    except Exception:  # noqa: BLE001 - e.g. RecursionError on absurd nesting: show it as text
        body = "".join(
            f"<p>{_escape(part)}</p>" for part in re.split(r"\n\s*\n", source) if part.strip()
        )
    return _make_cleaner().clean(_prepare_html(body)).strip()


class _TextExtractor(_StdlibHTMLParser):
    """Collect text nodes, with a space at every block boundary."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Return the visible text of sanitised HTML with whitespace collapsed."""
    extractor = _TextExtractor()
    extractor.feed(str(html or ""))
    extractor.close()
    return " ".join("".join(extractor.parts).split())
