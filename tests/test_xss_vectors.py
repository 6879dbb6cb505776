"""Markdown/HTML attack vectors, posted through the forum: the stored HTML carries no script,
no event-handler attribute, no style attribute and no dangerous URL scheme (both engines)."""
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.markup import ALLOWED_TAGS
from forum.models import Answer, utcnow
from tests.factories import make_question
from tests.fixtures.users import PASSWORD

#: Each vector tries to run ``window.__pwned = 1`` or ``alert(1)`` (see test_browser_xss.py).
VECTORS = [
    # Links and images with script schemes, plain, mixed-case, entity-encoded and split.
    "[x](javascript:window.__pwned=1)",
    "[x](JaVaScRiPt:alert(1))",
    "[x]( javascript:alert(1) )",
    "[x](jav&#x09;ascript:alert(1))",
    "[x](jav\tascript:alert(1))",
    "[x](&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1))",
    "[x](&#x6A;avascript&#x3A;alert(1))",
    "[x](javascript&colon;alert(1))",
    "[x](vbscript:msgbox(1))",
    "[x](VBScript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](data:image/svg+xml,<svg onload=alert(1)>)",
    "![x](javascript:alert(1))",
    "![x](data:image/png;base64,iVBORw0KGgo=)",
    "![x](x \"onerror=alert(1)\")",
    "<javascript:alert(1)>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<a href=\"jav&#x09;ascript:alert(1)\">x</a>",
    "<a href=\"jav&#x0A;ascript:alert(1)\">x</a>",
    "<a href=\"&#x6A;avascript:alert(1)\">x</a>",
    "<a href=\"  JAVASCRIPT:alert(1)\">x</a>",
    "<a href=\"java\x00script:alert(1)\">x</a>",
    "<a href=\"vbscript:msgbox(1)\">x</a>",
    "<a href=\"data:text/html,<script>alert(1)</script>\">x</a>",
    "<a href=\"https://ok.example\" onclick=\"alert(1)\" onmouseover=alert(1)>x</a>",
    # Reference-style links and images.
    "[x][1]\n\n[1]: javascript:alert(1)",
    "[x][evil]\n\n[evil]: JaVaScRiPt:alert(1) \"title\"",
    "[x]\n\n[x]: vbscript:msgbox(1)",
    "![x][img]\n\n[img]: javascript:alert(1)",
    # Raw tags with event handlers and script.
    "<script>window.__pwned=1</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=window.__pwned=1>",
    "<IMG SRC=\"javascript:alert(1)\">",
    "<body onload=alert(1)>",
    "<div onmouseover=\"alert(1)\">hover</div>",
    "<p onclick=alert(1)>click</p>",
    "<details open ontoggle=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    "<button formaction=javascript:alert(1)>x</button>",
    "<form action=javascript:alert(1)><input type=submit></form>",
    "<iframe src=javascript:alert(1)></iframe>",
    "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
    "<object data=javascript:alert(1)></object>",
    "<embed src=javascript:alert(1)>",
    "<video><source onerror=alert(1)></video>",
    "<audio src=x onerror=alert(1)>",
    "<marquee onstart=alert(1)>x</marquee>",
    "<meta http-equiv=refresh content=\"0;url=javascript:alert(1)\">",
    "<base href=javascript:alert(1)//>",
    "<link rel=stylesheet href=javascript:alert(1)>",
    # svg and math tricks.
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<svg><a xlink:href=\"javascript:alert(1)\"><text y=20>x</text></a></svg>",
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    "<svg><set attributeName=href to=javascript:alert(1)>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<math href=\"javascript:alert(1)\">x</math>",
    "<math><maction actiontype=statusline xlink:href=javascript:alert(1)>x</maction></math>",
    # CSS injection.
    "<p style=\"background:url(javascript:alert(1))\">x</p>",
    "<div style=\"width: expression(alert(1))\">x</div>",
    "<style>@import 'javascript:alert(1)'; body{background:red}</style>",
    "<a href=\"https://ok.example\" style=\"position:fixed;top:0;left:0;width:100%;height:100%\">x</a>",
    # Mutation and parser confusion.
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
    "<xmp><img src=x onerror=alert(1)></xmp>",
    "<template><img src=x onerror=alert(1)></template>",
    "<!--<img src=x onerror=alert(1)>-->",
    "<![CDATA[<img src=x onerror=alert(1)>]]>",
    "<a href=\"https://ok.example\"><a href=\"javascript:alert(1)\">nested</a></a>",
    "`<img src=x onerror=alert(1)>` and ```\n<script>alert(1)</script>\n```",
    "[<img src=x onerror=alert(1)>](https://ok.example)",
    "[x](https://ok.example \"\\\" onmouseover=\\\"alert(1)\")",
    "<a href=\"https://ok.example\" rel=\"opener\" target=\"_blank\">x</a>",
    "**<scr<script>ipt>alert(1)</script>**",
]

SAFE_SCHEMES = {"", "http", "https", "mailto"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "background"}


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    handle_startendtag = handle_starttag


def scheme_of(url):
    """The scheme a browser would see, after it drops whitespace and control characters."""
    cleaned = re.sub(r"[\x00-\x20\x7f-\xa0\s]+", "", url or "").lower()
    try:
        return urlsplit(cleaned).scheme
    except ValueError:
        return "unparsable"


def dangers(html):
    """Return what in ``html`` could run script or restyle the page."""
    found = []
    parser = _Tags()
    parser.feed(html)
    parser.close()
    for tag, attrs in parser.tags:
        if tag not in ALLOWED_TAGS:
            found.append(f"<{tag}> is not allowed")
        for name, value in attrs:
            if name.startswith("on"):
                found.append(f"event handler {name} on <{tag}>")
            if name == "style":
                found.append(f"style attribute on <{tag}>")
            if name in URL_ATTRIBUTES and scheme_of(value) not in SAFE_SCHEMES:
                found.append(f"{name}={value!r} on <{tag}>")
    if re.search(r"<\s*script", html, re.IGNORECASE):
        found.append("a <script> tag")
    return found


@pytest.fixture
def poster(client, make_user):
    """An established member (the new-member link limit would refuse some vectors)."""
    user = make_user("olive", points=5_000)
    user.created_at = utcnow().replace(year=2020)
    db.session.commit()
    client.post("/login", data={"username": "olive", "password": PASSWORD})
    return user


def test_the_checker_catches_what_it_must():
    """dangers() is what the vectors are judged by, so it must itself find each danger."""
    assert dangers('<a href="JAVA\tSCRIPT:x">a</a>')
    assert dangers('<a href="https://x" onclick="y">a</a>')
    assert dangers('<p style="color:red">a</p>')
    assert dangers("<script>x</script>") and dangers("<svg></svg>")
    assert not dangers('<p><a href="https://ok.example" rel="nofollow ugc noopener">ok</a></p>')


@pytest.mark.parametrize("vector", VECTORS)
def test_an_attack_vector_is_stored_inert(client, poster, vector):
    question = make_question(None)
    response = client.post(f"/questions/{question.id}/answers",
                           data={"body": vector.replace("\x00", "")})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    stored = db.session.scalar(select(Answer.body_html).where(Answer.author_id == poster.id))
    assert dangers(stored) == [], stored


def test_every_vector_is_inert_on_the_question_page(client, poster):
    """The page shows the stored HTML as stored: nothing is re-rendered unsafely on the way."""
    question = make_question(None)
    body = "\n\n".join(vector.replace("\x00", "") for vector in VECTORS)
    assert client.post(f"/questions/{question.id}/answers", data={"body": body}).status_code == 303
    html = client.get(f"/questions/{question.id}", follow_redirects=True).get_data(as_text=True)
    stored = db.session.scalar(select(Answer.body_html).where(Answer.author_id == poster.id))
    assert stored in html
    assert dangers(stored) == []
