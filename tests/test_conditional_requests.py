"""ETag and Last-Modified: feeds, the sitemap and static files answer 304 to a reader who has them."""
import pytest

from tests.factories import make_question


@pytest.mark.parametrize("path", ["/feeds/questions.atom", "/sitemap.xml", "/sitemap-1.xml",
                                  "/static/css/forum.css", "/static/js/forum.js"])
def test_a_current_copy_gets_a_304(client, member, path):
    make_question(member)
    first = client.get(path)
    assert first.status_code == 200 and first.headers.get("ETag")
    again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""


def test_a_changed_sitemap_gets_a_new_etag(client, member):
    make_question(member, title="A first question about sleep?")
    first = client.get("/sitemap.xml")
    make_question(member, title="A second question about worry?")
    again = client.get("/sitemap.xml", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200 and again.headers["ETag"] != first.headers["ETag"]


def test_pages_with_a_form_are_never_served_stale(client, member):
    question = make_question(member)
    response = client.get(f"/questions/{question.id}/how-can-i-sleep-better-at-night")
    assert "ETag" not in response.headers and "max-age" not in response.headers.get("Cache-Control", "")
