"""Static files: one stylesheet and one script, named by content hash and cached for a year."""
import hashlib
import re
from pathlib import Path

from tests.factories import make_answer, make_question

STATIC = Path(__file__).resolve().parent.parent / "static"


def test_the_question_page_links_one_versioned_stylesheet_and_one_script(client, make_user):
    question = make_question(make_user("asker"))
    make_answer(question, make_user("helper"))
    html = client.get(f"/questions/{question.id}", follow_redirects=True).get_data(as_text=True)
    styles = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
    scripts = re.findall(r'<script[^>]*src="([^"]+)"', html)
    assert len(re.findall(r'rel="stylesheet"', html)) == 1 and len(re.findall(r"<script", html)) == 1
    for url, name in ((styles[0], "css/forum.css"), (scripts[0], "js/forum.js")):
        digest = hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:12]
        assert url == f"/static/{name}?v={digest}"
        response = client.get(url)
        assert response.status_code == 200
        assert response.cache_control.max_age == 31_536_000 and response.cache_control.immutable
        assert response.cache_control.public and not response.cache_control.no_cache


def test_an_old_or_missing_version_is_not_cached_for_long(client):
    for url in ("/static/css/forum.css?v=000000000000", "/static/css/forum.css"):
        response = client.get(url)
        assert response.status_code == 200
        assert response.cache_control.max_age != 31_536_000 and not response.cache_control.immutable
    assert client.get("/static/css/missing.css?v=0").status_code == 404
