"""'Download my data': queued, built by the worker, served only to its member for 7 days."""
import io
import json
import re
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.models import DataExport, Job, Notification, utcnow
from forum.services import answers, editing, exports, flags, jobs, notifications, sanctions, votes
from forum.services import worker as worker_service
from tests.factories import make_answer, make_question


@pytest.fixture
def history(member, make_user, moderator):
    """The member's posts (one anonymous), an edit, votes, a flag, a follow and a block."""
    other = make_user("sam")
    question = make_question(member, title="How do I stop overthinking at night?", body="My own words.")
    editing.edit_post(member, question, body="My own words, edited.")
    other_question = make_question(other, title="What do you do on bad days?")
    anonymous = answers.post_answer(other_question, member, "A walk, secretly.", anonymous=True)
    other_answer = make_answer(question, other, body="Write the thoughts down.")
    votes.cast_vote(member, other_answer, 1)
    flags.flag_post(member, other_question, "spam", note="looks like an advert")
    notifications.follow(member, "tag", 7)
    sanctions.block_member(moderator, member, "day", "Shouting at someone")
    db.session.commit()
    return {"question": question, "anonymous": anonymous, "other_answer": other_answer}


def _request(client, auth, user):
    auth.login(user)
    return client.post("/account/data/export", data={})


def _build():
    db.session.rollback()  # see what other requests (also a live server's) committed
    built = exports.build_pending()
    db.session.commit()
    return built


def _link(client):
    html = client.get("/account/data").get_data(as_text=True)
    return re.search(r'href="(/account/data/download/[^"]+)"', html).group(1)


def _archive(response):
    return zipfile.ZipFile(io.BytesIO(response.data))


def test_a_request_is_queued_and_the_worker_builds_it(client, auth, member, history):
    assert _request(client, auth, member).status_code == 303
    export = db.session.scalar(select(DataExport))
    assert export.status == "pending" and export.user_id == member.id
    assert "being prepared" in client.get("/account/data").get_data(as_text=True)
    jobs.register()
    worker_service.ensure_jobs()
    ran = worker_service.run_due_jobs()
    assert "build-data-exports" in ran
    db.session.refresh(export)
    assert export.status == "ready" and export.size > 0
    assert export.expires_at - export.ready_at == timedelta(days=7)
    note = db.session.scalar(select(Notification).where(Notification.user_id == member.id,
                                                        Notification.kind == "data-export"))
    assert note is not None and "ready to download" in note.text


def test_a_second_request_while_one_is_pending_adds_nothing(client, auth, member):
    _request(client, auth, member)
    response = client.post("/account/data/export", data={}, follow_redirects=True)
    assert "already being prepared" in response.get_data(as_text=True)
    assert len(db.session.scalars(select(DataExport)).all()) == 1


def test_the_archive_holds_the_members_data_and_no_secrets(client, auth, member, moderator, history):
    _request(client, auth, member)
    _build()
    response = client.get(_link(client))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Content-Type"] == "application/zip"
    archive = _archive(response)
    data = {name: json.loads(archive.read(name)) for name in archive.namelist() if name.endswith(".json")}
    raw = b"".join(archive.read(name) for name in archive.namelist()).decode()
    assert "README.txt" in archive.namelist()
    profile = data["profile.json"]
    assert profile["username"] == "alex" and profile["email"] == member.email
    assert "password_hash" not in profile and "session_epoch" not in profile
    assert "scrypt" not in raw and "pbkdf2" not in raw
    bodies = {post["body"] for post in data["posts.json"]}
    assert {"My own words, edited.", "A walk, secretly."} <= bodies
    assert any(post["is_anonymous"] for post in data["posts.json"])
    assert [r["body"] for r in data["revisions.json"]] == ["My own words.", "My own words, edited.",
                                                          "A walk, secretly."]
    assert data["votes.json"] == [{"post_id": history["other_answer"].id, "value": 1,
                                   "created_at": data["votes.json"][0]["created_at"]}]
    assert data["flags.json"][0]["note"] == "looks like an advert"
    assert {f["target_type"] for f in data["follows.json"]} == {"question", "tag"}
    block = next(a for a in data["moderation.json"] if a["action"] == "block")
    assert block["by"] == "morgan" and block["reason"] == "Shouting at someone"
    assert moderator.email not in raw
    assert data["sanctions.json"][0]["reason"] == "Shouting at someone"
    assert any(n["kind"] == "answer" for n in data["notifications.json"])


def test_moderators_private_notes_stay_out(client, auth, member, moderator, history):
    from forum.services import queue

    queue.enqueue("flag", history["question"], cause="test")
    db.session.commit()
    item = queue.get_item(queue.open_item("flag", history["question"]).id)
    queue.close_item(moderator, item, "dismiss", note="private: this member worries me")
    db.session.commit()
    raw = json.dumps(exports.user_data(member), default=str)
    assert "queue-resolve" in raw
    assert "this member worries me" not in raw


def test_only_the_member_can_use_their_link(app, client, auth, member, make_user):
    _request(client, auth, member)
    _build()
    link = _link(client)
    auth.logout()
    assert client.get(link).status_code == 302  # guests are asked to log in
    other = make_user("sam")
    auth.login(other)
    response = client.get(link)
    assert response.status_code == 403
    assert response.headers["Cache-Control"] == "no-store"
    assert b"PK" not in response.data[:2]
    assert "another account" in response.get_data(as_text=True)


def test_a_tampered_link_is_not_found(client, auth, member):
    _request(client, auth, member)
    _build()
    link = _link(client)
    forged = link[:-3] + ("aaa" if not link.endswith("aaa") else "bbb")
    assert client.get(forged).status_code == 404
    assert client.get("/account/data/download/not-a-token").status_code == 404
    # A genuinely signed token for an id that is someone else's export.
    other_token = exports._serializer().dumps({"x": 999, "u": member.id})
    assert client.get(f"/account/data/download/{other_token}").status_code == 410


def test_an_expired_link_is_gone_and_the_job_deletes_the_file(client, auth, member):
    _request(client, auth, member)
    _build()
    link = _link(client)
    export = db.session.scalar(select(DataExport))
    export.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    response = client.get(link)
    assert response.status_code == 410 and "expired" in response.get_data(as_text=True)
    assert exports.delete_expired() == 1
    db.session.commit()
    assert db.session.scalar(select(DataExport)) is None
    assert client.get(link).status_code == 410  # reused after expiry: still a clear refusal


def test_a_link_older_than_seven_days_is_gone(client, auth, member, monkeypatch):
    _request(client, auth, member)
    _build()
    link = _link(client)
    import time

    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 8 * 24 * 3600)
    assert client.get(link).status_code == 410


def test_a_new_copy_replaces_the_old_one(client, auth, member):
    _request(client, auth, member)
    _build()
    first = db.session.scalar(select(DataExport.id))
    client.post("/account/data/export", data={})
    _build()
    assert db.session.scalars(select(DataExport.id)).all() == [first + 1]


def test_the_jobs_are_registered(app):
    jobs.register()
    worker_service.ensure_jobs()
    names = set(db.session.scalars(select(Job.name)))
    assert {"build-data-exports", "delete-expired-exports", "purge-deleted-accounts"} <= names


@pytest.mark.ratelimit
def test_requests_are_rate_limited(client, auth, member):
    auth.login(member)
    statuses = []
    for _ in range(4):
        statuses.append(client.post("/account/data/export", data={}).status_code)
        db.session.execute(DataExport.__table__.delete())
        db.session.commit()
    assert statuses == [303, 303, 303, 429]


def login_with_token(client, user):
    """Log in through the form with its CSRF token (for tests with CSRF on)."""
    from tests.fixtures.live import csrf_token
    from tests.fixtures.users import PASSWORD

    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"username": user.username, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302


@pytest.mark.csrf
def test_a_request_without_csrf_token_is_refused(client, member):
    login_with_token(client, member)
    assert client.post("/account/data/export", data={}).status_code == 400
    assert db.session.scalar(select(DataExport)) is None


def test_the_command_line_writes_the_same_archive(runner, member, history, tmp_path):
    target = tmp_path / "out.zip"
    result = runner.invoke(args=["forum", "export-user", "alex", "--output", str(target)])
    assert result.exit_code == 0, result.output
    names = zipfile.ZipFile(target).namelist()
    assert {"profile.json", "posts.json", "votes.json", "moderation.json"} <= set(names)
    by_id = runner.invoke(args=["forum", "export-user", str(member.id), "--output", str(tmp_path / "b.zip")])
    assert by_id.exit_code == 0
    missing = runner.invoke(args=["forum", "export-user", "nobody-here"])
    assert missing.exit_code == 1 and "No member" in missing.output


def test_the_members_credential_applications_are_in_the_export(member, moderator):
    from datetime import date, timedelta

    from forum.models import Credential

    assert exports.user_data(member)["credentials.json"] == []
    db.session.add(Credential(user_id=member.id, kind="counsellor", registration_number="BACP-0042",
                              issuing_body="BACP", jurisdiction="UK", state="verified", reviewer_id=moderator.id,
                              verified_on=date.today(), expires_on=date.today() + timedelta(days=90)))
    db.session.commit()
    [credential] = exports.user_data(member)["credentials.json"]
    assert credential["registration_number"] == "BACP-0042" and credential["state"] == "verified"


def test_download_in_a_browser(live_server, page, member, history):
    from playwright.sync_api import expect

    page.goto(live_server.url + "/login")
    page.get_by_label("Username").fill(member.username)
    from tests.fixtures.users import PASSWORD

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(live_server.url + "/account/data")
    page.get_by_role("button", name="Prepare my data").click()
    expect(page.get_by_text("being prepared")).to_be_visible()
    _build()
    page.reload()
    with page.expect_download() as info:
        page.get_by_role("link", name="Download my data").click()
    download = info.value
    assert re.fullmatch(r"my-data-\d{4}-\d\d-\d\d\.zip", download.suggested_filename)
    archive = zipfile.ZipFile(download.path())
    assert "posts.json" in archive.namelist()


def test_session_records_are_included_without_their_keys(client, auth, member):
    auth.login(member)
    data = exports.user_data(member)
    if "member_sessions" not in db.metadata.tables:
        assert "sessions.json" not in data
        return
    assert len(data["sessions.json"]) == 1
    assert "key_hash" not in data["sessions.json"][0] and "user_agent" in data["sessions.json"][0]
