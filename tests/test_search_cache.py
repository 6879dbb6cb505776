"""A guest's search results page is cached under the cache generation: served without a
search while nothing changes, and never stale after a change to what it shows."""
import pytest
from sqlalchemy import text

from forum.extensions import db
from forum.services import curation, phrases, search
from tests.factories import make_question


@pytest.fixture(autouse=True)
def empty_index(app):
    db.session.execute(text("DELETE FROM search_documents" if search.is_postgres() else "DELETE FROM search_fts"))
    db.session.commit()


def guest_search(app, query):
    response = app.test_client().get("/search", query_string={"q": query})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_repeated_guest_search_runs_no_search(app, make_user, count_queries):
    make_question(make_user("asker"), title="Why do I dread Sunday evenings?", body="Work starts Monday.")
    db.session.commit()
    guest_search(app, "dread sunday")
    with count_queries() as again:
        page = guest_search(app, "dread sunday")
    assert "why-do-i-dread-sunday-evenings" in page
    assert again.statements == ["SELECT value FROM cache_generation WHERE id = 1"]


@pytest.mark.parametrize("change", ["new question", "hide", "crisis phrase", "reindex"])
def test_every_change_to_results_shows_at_once(app, make_user, moderator, runner, change):
    question = make_question(make_user("asker"), title="How do I stop dreading Sunday evenings?", body="Mondays.")
    db.session.commit()
    assert "how-do-i-stop-dreading" in guest_search(app, "dreading")  # fill the cache
    if change == "new question":
        make_question(make_user("other"), title="Dreading the phone ringing", body="Calls scare me.")
        expected, unexpected = "dreading-the-phone-ringing", None
    elif change == "hide":
        curation.hide_post(moderator, question, "off topic")
        expected, unexpected = None, "how-do-i-stop-dreading"
    elif change == "crisis phrase":
        phrases.add_phrase(moderator, "crisis", "dreading")
        expected, unexpected = 'class="resources', None
    else:
        db.session.execute(text("DELETE FROM search_documents" if search.is_postgres() else "DELETE FROM search_fts"))
        db.session.commit()
        assert "how-do-i-stop-dreading" not in guest_search(app, "dreading")
        result = runner.invoke(args=["forum", "reindex"])
        assert result.exit_code == 0, result.output
        expected, unexpected = "how-do-i-stop-dreading", None
    db.session.commit()
    page = guest_search(app, "dreading")
    if expected:
        assert expected in page
    if unexpected:
        assert unexpected not in page


def test_a_members_search_is_their_own(app, make_user, auth, client):
    make_question(make_user("asker"), title="Is it normal to cry at work?", body="Often.")
    db.session.commit()
    member = make_user("privatereader")
    auth.login(member)
    assert "privatereader" in client.get("/search", query_string={"q": "cry work"}).get_data(as_text=True)
    auth.logout()
    page = guest_search(app, "cry work")
    assert "is-it-normal-to-cry-at-work" in page and "privatereader" not in page
