"""The purge: after the grace period nothing identifies a deleted member, and no points move."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import String, Text, select, text

from forum.extensions import db
from forum.models import (
    DataExport,
    Follow,
    ModerationAction,
    Notification,
    Post,
    RemovedText,
    User,
    Vote,
    utcnow,
)
from forum.services import (
    answers,
    comments,
    deletion,
    exports,
    flags,
    jobs,
    notifications,
    points,
    posting,
    questions,
    sanctions,
    search,
    selection,
    votes,
)
from forum.services import worker as worker_service
from forum.services.posting import Guest
from tests.fixtures.users import PASSWORD

NAME = "zephyrine"
EMAIL = "zephyrine.private@example.org"
IPS = ("203.0.113.77", "203.0.113.78", "2001:db8::7")


@pytest.fixture
def world(make_user, moderator):
    """A leaver with posts, votes both ways, best answers, follows, flags, a block and an export."""
    leaver = make_user(NAME, email=EMAIL)
    asker, helper, voter = make_user("asker"), make_user("helper"), make_user("voter")
    q1 = questions.ask_question(asker, "How do I tell my family about my diagnosis?", "They don't know yet.",
                                guest=Guest(), ip_address="198.51.100.1")
    a1 = answers.post_answer(q1, leaver, "Start with the person you trust most.", ip_address=IPS[0])
    a2 = answers.post_answer(q1, helper, "Write them a letter first.")
    anon = answers.post_answer(q1, leaver, "I told mine by text; it was easier.", anonymous=True,
                               ip_address=IPS[2])
    c1 = comments.post_comment(q1, leaver, "Thank you for asking this.", ip_address=IPS[1])
    q2 = questions.ask_question(leaver, "Does journalling really help with anxiety?", "I keep forgetting.",
                                guest=Guest(), ip_address=IPS[1])
    h2 = answers.post_answer(q2, helper, "It helped me after a few weeks.")
    mention = comments.post_comment(q1, helper, "@zephyrine said it well; see also `@zephyrine` and @asker.")
    db.session.flush()
    votes.cast_vote(leaver, a2, 1)
    votes.cast_vote(leaver, q1, -1)
    votes.cast_vote(voter, a1, 1)
    votes.cast_vote(helper, a1, -1)
    votes.cast_vote(voter, q2, 1)
    votes.cast_vote(asker, h2, 1)
    selection.select_answer(q1, a1)
    selection.select_answer(q2, h2)
    flags.flag_post(leaver, a2, "other", note="I think this is mine, zephyrine here")
    notifications.follow(leaver, "tag", 3)
    notifications.follow(asker, "user", leaver.id)
    sanctions.block_member(moderator, leaver, "day", "zephyrine keeps posting links")
    exports.request_export(leaver)
    db.session.commit()
    return {"leaver": leaver, "q1": q1, "q2": q2, "a1": a1, "a2": a2, "anon": anon, "c1": c1, "h2": h2,
            "mention": mention, "others": [asker, helper, voter, moderator]}


def _others_points(world):
    db.session.expire_all()
    return {u.username: db.session.get(User, u.id).points for u in world["others"]}


def _delete_and_age(leaver, mode, days=22):
    deletion.delete_account(leaver, PASSWORD, mode)
    leaver.deleted_at = utcnow() - timedelta(days=days)
    db.session.commit()


def _purge(runner):
    result = runner.invoke(args=["forum", "purge"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return result


def _text_columns(table):
    return [c for c in table.columns if isinstance(c.type, (String, Text))]


def _rows_holding(needle, skip=()):
    """Every (table, column, id) whose text holds ``needle`` (case-insensitive), except ``skip``."""
    found = []
    for table in db.metadata.sorted_tables:
        columns = _text_columns(table)
        if not columns:
            continue
        key = list(table.primary_key.columns)[0]
        for row in db.session.execute(select(key, *columns)):
            for column, value in zip(columns, row[1:], strict=True):
                if value and needle.lower() in value.lower() and (table.name, row[0]) not in skip:
                    found.append((table.name, column.name, row[0]))
    return found


def _index_text():
    if search.is_postgres():
        rows = db.session.execute(text("SELECT title, body, tags FROM search_documents")).all()
    else:
        rows = db.session.execute(text("SELECT title, body, tags FROM search_fts")).all()
    return " ".join(" ".join(value or "" for value in row) for row in rows).lower()


@pytest.mark.parametrize("mode", ["anonymise", "remove"])
def test_after_a_purge_nothing_holds_the_members_email_name_or_addresses(runner, world, mode):
    leaver = world["leaver"]
    _delete_and_age(leaver, mode)
    _purge(runner)
    leaver = db.session.get(User, leaver.id)
    assert leaver.purged_at is not None
    assert re.fullmatch(r"deleted-member-[0-9a-f]{6}", leaver.username)
    assert leaver.username_canonical == leaver.username
    assert leaver.email is None and leaver.email_canonical is None and leaver.password_hash is None
    assert leaver.notify_prefs == "{}" and leaver.muted_words == "[]"
    # Another member's words stay as written: "@zephyrine" in the helper's comment.
    mentions = {("posts", world["mention"].id)}
    mentions |= {("revisions", rid) for rid in db.session.scalars(
        text("SELECT id FROM revisions WHERE post_id = :p").bindparams(p=world["mention"].id))}
    assert _rows_holding(NAME, skip=mentions) == []
    assert _rows_holding(EMAIL) == [] and _rows_holding("zephyrine.private") == []
    for address in IPS:
        assert _rows_holding(address) == []
    index = _index_text()
    assert NAME not in index and EMAIL not in index and not any(ip in index for ip in IPS)
    assert db.session.scalar(select(RemovedText.id)) is None
    assert db.session.scalar(select(DataExport.id)) is None
    assert db.session.scalar(select(Follow.id).where(Follow.user_id == leaver.id)) is None
    assert db.session.scalar(select(Follow.id).where(Follow.target_type == "user")) is None
    assert db.session.scalar(select(Notification.id).where(Notification.user_id == leaver.id)) is None


@pytest.mark.parametrize("mode", ["anonymise", "remove"])
def test_a_purge_changes_nobody_elses_points_and_the_check_passes(runner, world, mode):
    before = _others_points(world)
    vote_count = db.session.scalar(text("SELECT count(*) FROM votes"))
    cast = db.session.scalar(select(db.func.count(Vote.id)).where(Vote.voter_id == world["leaver"].id))
    _delete_and_age(world["leaver"], mode)
    _purge(runner)
    assert _others_points(world) == before
    assert db.session.scalar(text("SELECT count(*) FROM votes")) == vote_count
    unlinked = db.session.scalars(select(Vote).where(Vote.voter_id.is_(None))).all()
    assert len(unlinked) == cast == 2 and {v.source for v in unlinked} == {"member"}
    assert db.session.get(Post, world["q1"].id).accepted_answer_id == world["a1"].id
    assert db.session.get(Post, world["q2"].id).accepted_answer_id == world["h2"].id
    assert points.find_mismatches() == []
    check = runner.invoke(args=["forum", "check"])
    assert check.exit_code == 0, check.output
    recount = runner.invoke(args=["forum", "recompute-points", "--check"])
    assert recount.exit_code == 0, recount.output


def test_anonymised_posts_stay_and_show_deleted_member(client, runner, world):
    _delete_and_age(world["leaver"], "anonymise")
    _purge(runner)
    answer = db.session.get(Post, world["a1"].id)
    assert answer.body == "Start with the person you trust most."
    page = client.get(f"/questions/{world['q2'].id}", follow_redirects=True).get_data(as_text=True)
    assert "deleted member" in page and "Does journalling really help" in page
    assert "deleted-member-" not in page


def test_removed_posts_stay_erased_and_their_originals_are_gone(runner, world):
    _delete_and_age(world["leaver"], "remove")
    _purge(runner)
    for key in ("a1", "c1", "q2", "anon"):
        assert db.session.get(Post, world[key].id).body == deletion.REMOVED_TEXT
    assert db.session.get(Post, world["h2"].id).body == "It helped me after a few weeks."
    assert _rows_holding("person you trust most") == []
    assert _rows_holding("journalling") == []  # the title, also where others' notifications copied it


def test_mentions_become_plain_text_and_stay_so_after_rerendering(runner, world, make_user):
    answer = answers.post_answer(world["q2"], world["others"][1], "Agree with @Zephyrine here.")
    db.session.commit()
    assert 'href="/users/Zephyrine"' in answer.body_html
    _delete_and_age(world["leaver"], "anonymise")
    _purge(runner)
    for post_id in (answer.id, world["mention"].id):
        html = db.session.get(Post, post_id).body_html
        assert "/users/zephyrine" not in html.lower()
    assert "@Zephyrine" in db.session.get(Post, answer.id).body_html
    html = db.session.get(Post, world["mention"].id).body_html
    assert "@zephyrine said it well" in html and "<code>@zephyrine</code>" in html
    assert 'href="/users/asker"' in html  # other mentions keep their links
    posting.rerender_posts(everything=True)
    db.session.commit()
    assert "/users/zephyrine" not in db.session.get(Post, world["mention"].id).body_html.lower()
    make_user(NAME)  # the name is free again, and the old mentions do not point at the newcomer
    assert "/users/zephyrine" not in db.session.get(Post, answer.id).body_html.lower()


def test_the_audit_log_names_the_member_only_by_the_pseudonym(runner, world, moderator):
    _delete_and_age(world["leaver"], "anonymise")
    _purge(runner)
    leaver = db.session.get(User, world["leaver"].id)
    entries = db.session.scalars(select(ModerationAction).where(ModerationAction.user_id == leaver.id)).all()
    assert {"block", "account-delete", "account-purge"} <= {e.action for e in entries}
    block = next(e for e in entries if e.action == "block")
    assert block.reason == f"{leaver.username} keeps posting links"
    assert _rows_holding(NAME, skip={("posts", world["mention"].id)} | {
        ("revisions", r) for r in db.session.scalars(
            text("SELECT id FROM revisions WHERE post_id = :p").bindparams(p=world["mention"].id))}) == []


def test_others_notifications_name_a_deleted_member(runner, world):
    asker = world["others"][0]
    assert any(NAME in n.text for n in notifications.inbox(asker))
    _delete_and_age(world["leaver"], "anonymise")
    _purge(runner)
    texts = [n.text for n in notifications.inbox(db.session.get(User, asker.id))]
    assert texts and not any(NAME in t for t in texts)
    assert any("deleted member" in t for t in texts)


def test_nobody_can_log_in_as_a_purged_member(client, runner, world):
    _delete_and_age(world["leaver"], "anonymise")
    _purge(runner)
    response = client.post("/login", data={"username": NAME, "password": PASSWORD})
    assert response.status_code == 400
    pseudonym = db.session.get(User, world["leaver"].id).username
    assert client.post("/login", data={"username": pseudonym, "password": PASSWORD}).status_code == 400
    assert client.get(f"/users/{pseudonym}").status_code == 404


def test_accounts_in_their_grace_period_are_left_alone(runner, world):
    _delete_and_age(world["leaver"], "remove", days=5)
    result = _purge(runner)
    assert "Purged 0 accounts." in result.output
    leaver = db.session.get(User, world["leaver"].id)
    assert leaver.username == NAME and leaver.email == EMAIL and leaver.purged_at is None
    assert db.session.scalar(select(RemovedText.id)) is not None


def test_a_dry_run_changes_nothing(runner, world):
    _delete_and_age(world["leaver"], "anonymise")
    result = runner.invoke(args=["forum", "purge", "--dry-run"])
    assert result.exit_code == 0 and f"ids {world['leaver'].id}" in result.output
    db.session.expire_all()
    assert db.session.get(User, world["leaver"].id).email == EMAIL


def test_now_purges_one_deleted_account_at_once(runner, world, make_user):
    deletion.delete_account(world["leaver"], PASSWORD, "anonymise")
    db.session.commit()
    refused = runner.invoke(args=["forum", "purge", "--now", "asker"])
    assert refused.exit_code == 1 and "Only a deleted account" in refused.output
    result = runner.invoke(args=["forum", "purge", "--now", NAME])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.get(User, world["leaver"].id).email is None


def test_the_worker_purges_daily(world):
    _delete_and_age(world["leaver"], "anonymise")
    jobs.register()
    worker_service.ensure_jobs()
    assert "purge-deleted-accounts" in worker_service.run_due_jobs()
    db.session.expire_all()
    assert db.session.get(User, world["leaver"].id).purged_at is not None


def test_pseudonyms_are_random(make_user):
    names = {deletion.pseudonym() for _ in range(20)}
    assert len(names) == 20 and all(n.startswith("deleted-member-") for n in names)


def test_nobody_may_register_a_pseudonym_like_name(app):
    from forum.services import accounts

    assert accounts.username_problems("deleted-member-7f3a9c") == ["This name is reserved; please choose another."]


def test_the_members_own_session_records_go_too(client, auth, runner, world):
    auth.login(world["leaver"])
    auth.logout()
    _delete_and_age(db.session.get(User, world["leaver"].id), "anonymise")
    _purge(runner)
    table = db.metadata.tables.get("member_sessions")
    if table is None:
        pytest.skip("this tree has no session records")
    assert db.session.execute(select(table.c.id).where(table.c.user_id == world["leaver"].id)).first() is None


def test_the_members_professional_credentials_go_too(runner, world):
    from datetime import date

    from forum.models import Credential

    leaver = world["leaver"]
    db.session.add(Credential(user_id=leaver.id, kind="psychologist", registration_number="PYL12345",
                              issuing_body="Health and Care Professions Council", jurisdiction="UK",
                              state="verified", verified_on=date.today(),
                              expires_on=date.today() + timedelta(days=300)))
    db.session.commit()
    _delete_and_age(db.session.get(User, leaver.id), "anonymise")
    _purge(runner)
    assert db.session.scalar(select(Credential.id).where(Credential.user_id == leaver.id)) is None
