"""Notification email through a real SMTP server: content, outages, several workers, unsubscribing."""
import re
import threading
import time
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import delete, func, select, update

from forum.extensions import db
from forum.models import Job, Notification, OutboxMessage, Post, User, utcnow
from forum.services import answers, mail, notifications, worker
from forum.services.posting import Guest
from tests.factories import make_answer, make_question

REPLY = "A steady bedtime routine helped me a lot."


def outbox():
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def make_due():
    """Move every waiting email's time to now: the test's stand-in for waiting."""
    db.session.execute(update(OutboxMessage).where(OutboxMessage.sent_at.is_(None))
                       .values(not_before=utcnow() - timedelta(seconds=1)))
    db.session.commit()


def queue(count, prefix="Message"):
    for i in range(count):
        mail.queue_email(f"reader{i}@example.org", f"{prefix} {i}", "Hello.")
    db.session.commit()


def path_of(url):
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def subject(message):
    # Flask-Mailman folds a long encoded subject onto its own line; unfolded it starts with a space.
    return str(message["Subject"]).strip()


def unsubscribe_path(message):
    return path_of(message["List-Unsubscribe"].strip().removeprefix("<").removesuffix(">"))


def read_it_here(message):
    """The link to the post that the email is about."""
    return re.search(r"Read it here: (\S+)", message.get_content()).group(1)


def answer_as(client, auth, user, question, body=REPLY):
    auth.login(user)
    response = client.post(f"/questions/{question.id}/answers", data={"body": body})
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:300]
    auth.logout()
    return response


# --- What is sent ----------------------------------------------------------------------

def test_an_answer_to_a_members_question_is_emailed_and_shown_in_the_site(
        client, auth, member, troll, mailbox):
    question = make_question(member, title="How can I sleep better at night?")
    answer_as(client, auth, troll, question)
    assert mailbox.messages == []  # nothing is sent from the request

    assert worker.run_once("w1")[1:] == (1, 0)
    message = mailbox.to(member.email)[0]
    assert len(mailbox.envelopes) == 1 and mailbox.envelopes[0].rcpt_tos == [member.email]
    assert message["To"] == member.email
    assert message["From"] == "Forum <noreply@forum.invalid>"
    assert subject(message) == "[Forum] fred answered “How can I sleep better at night?”"
    assert "fred answered" in message.get_content()
    row = outbox()[0]
    assert message["Message-ID"] == row.message_id and row.sent_at is not None and row.attempts == 0

    # One-click unsubscribe headers (RFC 8058) point at this member's own link.
    unsubscribe = message["List-Unsubscribe"].strip()
    assert re.fullmatch(r"<http://\S+/unsubscribe/\S+>", unsubscribe)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # The link in the email leads to the new answer.
    response = client.get(path_of(read_it_here(message)), follow_redirects=True)
    assert response.status_code == 200 and REPLY in response.get_data(as_text=True)
    assert f"/questions/{question.id}" in response.request.path

    # And the member sees it in the site.
    note = db.session.scalar(select(Notification).where(Notification.user_id == member.id))
    assert note.kind == "answer" and note.read_at is None
    auth.login(member)
    assert "fred answered" in client.get("/notifications").get_data(as_text=True)


def test_an_answer_to_a_guests_question_is_emailed_to_the_address_they_left(client, auth, troll, mailbox):
    response = client.post("/ask", data={"title": "How can I sleep better at night?", "body": "",
                                         "guest_name": "Sam", "guest_email": "sam@example.org"})
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:300]
    question = db.session.scalar(select(Post).where(Post.type == "question"))
    assert question.guest_email == "sam@example.org"
    answer_as(client, auth, troll, question)
    worker.run_once("w1")
    message = mailbox.to("sam@example.org")[0]
    assert "fred answered" in subject(message)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    response = client.get(path_of(read_it_here(message)), follow_redirects=True)
    assert response.status_code == 200 and REPLY in response.get_data(as_text=True)
    # A guest has no inbox: only the email.
    assert db.session.scalar(select(func.count(Notification.id))) == 0


def test_a_notification_read_in_the_site_first_is_not_emailed(app, client, auth, member, troll, mailbox):
    app.config["NOTIFY_EMAIL_DELAY"] = 10
    first = make_question(member, title="How can I sleep better at night?")
    second = make_question(member, title="How do I stop worrying at work?")
    answer_as(client, auth, troll, first)
    # A different text: the same one again within minutes would be refused as a repeat.
    answer_as(client, auth, troll, second, body="Short walks at lunch helped me at work.")
    assert all(row.not_before > utcnow() + timedelta(minutes=9) for row in outbox())
    assert worker.run_once("w1")[1:] == (0, 0)  # not due yet

    auth.login(member)
    read = db.session.scalar(select(Notification.id).where(Notification.post_id != None)  # noqa: E711
                             .order_by(Notification.id))
    assert client.post("/notifications/read", data={"id": str(read)}).status_code in (302, 303)
    make_due()
    worker.run_once("w1")
    assert [subject(m) for m in mailbox.messages] == ["[Forum] fred answered “How do I stop worrying at work?”"]
    skipped, sent = outbox()
    assert skipped.skipped and skipped.sent_at is not None
    assert not sent.skipped and sent.sent_at is not None


# --- Outages and retries ------------------------------------------------------------------

def test_while_the_mail_server_is_down_posting_works_and_the_mail_waits(client, auth, member, troll, mailbox):
    mailbox.stop()
    question = make_question(member)
    started = time.monotonic()
    answer_as(client, auth, troll, question)  # posting does not wait for mail
    assert time.monotonic() - started < 2
    assert worker.run_once("w1")[1:] == (0, 1)
    [row] = outbox()
    assert row.attempts == 1 and row.sent_at is None and row.claimed_by is None
    assert row.not_before > utcnow() and "refused" in row.last_error

    mailbox.start()
    assert worker.run_once("w1")[1:] == (0, 0)  # backing off: not before its time
    assert mailbox.messages == []
    make_due()
    assert worker.run_once("w1")[1:] == (1, 0)
    assert worker.run_once("w1")[1:] == (0, 0)
    assert len(mailbox.messages) == 1
    [row] = outbox()
    assert row.sent_at is not None and row.attempts == 1


def test_the_message_id_is_the_same_when_a_message_is_sent_again(member, mailbox):
    notifications.notify_member(member, "answer", None, "An answer for you")
    db.session.commit()
    mailbox.fail_next()  # the server takes the message but answers "try later"
    assert worker.run_once("w1")[1:] == (0, 1)
    make_due()
    assert worker.run_once("w1")[1:] == (1, 0)
    [first] = mailbox.refused
    [second] = mailbox.envelopes
    assert first.message["Message-ID"] == second.message["Message-ID"] == outbox()[0].message_id
    assert subject(first.message) == subject(second.message)


def test_back_off_grows_after_each_failure(mailbox):
    mailbox.stop()
    queue(1)
    waits = []
    for _ in range(4):
        before = utcnow()
        worker.run_once("w1")
        row = outbox()[0]
        waits.append(round((row.not_before - before).total_seconds() / 60))
        make_due()
    assert waits == [1, 2, 4, 8]
    assert outbox()[0].attempts == 4


# --- Several workers ----------------------------------------------------------------------

def test_two_workers_interleaving_deliver_each_email_once(mailbox):
    queue(10)
    first = worker.claim_batch("worker-a", limit=6)
    second = worker.claim_batch("worker-b", limit=6)
    assert len(first) == 6 and len(second) == 4 and not set(first) & set(second)
    assert worker.claim_batch("worker-c") == []
    # A worker never sends what another one claimed.
    assert worker.deliver(second, "worker-a") == (0, 0)
    assert worker.deliver(first, "worker-a") == (6, 0)
    assert worker.deliver(first, "worker-b") == (0, 0)
    assert worker.deliver(second, "worker-b") == (4, 0)
    ids = [m["Message-ID"] for m in mailbox.messages]
    assert len(ids) == 10 and len(set(ids)) == 10
    assert worker.claim_batch("worker-a") == []


def test_two_worker_threads_deliver_each_email_once(app, mailbox):
    queue(40)
    errors = []
    barrier = threading.Barrier(2)

    def run(name):
        with app.app_context():
            try:
                barrier.wait()
                for _ in range(50):
                    _, sent, failed = worker.run_once(name)
                    if not sent and not failed and not db.session.scalar(
                            select(func.count(OutboxMessage.id)).where(OutboxMessage.sent_at.is_(None))):
                        break
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(f"thread-{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    ids = [m["Message-ID"] for m in mailbox.messages]
    assert len(ids) == 40 and len(set(ids)) == 40
    assert all(row.sent_at is not None for row in outbox())


def test_a_worker_killed_mid_batch_leaves_nothing_undelivered(app, mailbox):
    queue(3)
    claimed = worker.claim_batch("killed")  # ... and the process dies here
    assert len(claimed) == 3
    assert worker.claim_batch("survivor") == []  # the lease still holds
    later = utcnow() + timedelta(seconds=app.config["OUTBOX_LEASE_SECONDS"] + 1)
    taken = worker.claim_batch("survivor", now=later)
    assert sorted(taken) == sorted(claimed)
    assert worker.deliver(taken, "survivor") == (3, 0)
    # Should the first worker come back to life, it sends nothing twice.
    assert worker.deliver(claimed, "killed") == (0, 0)
    assert len(mailbox.messages) == 3


# --- Periodic jobs -------------------------------------------------------------------------

@pytest.fixture
def counting_job(app, monkeypatch):
    runs = []
    lock = threading.Lock()

    def tick():
        with lock:
            runs.append(1)

    monkeypatch.setattr(worker, "JOBS", {"test-tick": (3600, tick)})
    worker.ensure_jobs()
    return runs


def test_two_workers_running_due_jobs_at_once_run_each_job_once(app, counting_job):
    now = utcnow()
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        with app.app_context():
            try:
                barrier.wait()
                results.append(worker.run_due_jobs(now=now))
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert len(counting_job) == 1
    assert sorted(results, key=len) == [[], ["test-tick"]]
    job = db.session.get(Job, "test-tick")
    db.session.refresh(job)
    assert job.next_run_at > now + timedelta(minutes=59)


def test_a_job_runs_once_per_interval(counting_job):
    now = utcnow()
    assert worker.run_due_jobs(now=now) == ["test-tick"]
    assert worker.run_due_jobs(now=now) == []
    assert worker.run_due_jobs(now=now + timedelta(minutes=30)) == []
    assert worker.run_due_jobs(now=now + timedelta(hours=1, seconds=1)) == ["test-tick"]
    assert len(counting_job) == 2


# --- Header injection -----------------------------------------------------------------------

EVIL = "\r\nBcc: evil@example.org"


def _header_lines(raw):
    head = raw.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0].decode("ascii")
    return head.split("\n")


def test_a_display_name_or_subject_with_a_line_break_adds_no_header_or_recipient(member, mailbox):
    question = make_question(member)
    answer = answers.post_answer(question, None, REPLY, guest=Guest("Eve", None))
    db.session.commit()
    db.session.execute(delete(OutboxMessage))
    # The form refuses control characters; this is what the mail layer does if one slips in.
    db.session.execute(update(Post).where(Post.id == answer.id).values(guest_name="Eve" + EVIL))
    db.session.commit()
    notifications.post_published(db.session.get(Post, answer.id))
    mail.queue_email(member.email, "Hello" + EVIL, "Body" + EVIL, category="account")
    db.session.commit()
    worker.run_once("w1")
    assert len(mailbox.envelopes) == 2
    for envelope in mailbox.envelopes:
        assert envelope.rcpt_tos == [member.email]
        lines = _header_lines(envelope.raw)
        assert not [line for line in lines if line.lower().startswith("bcc")]
        message = envelope.message
        assert message["Bcc"] is None and "\n" not in message["Subject"]
        assert "evil@example.org" not in message["To"]


def test_a_recipient_address_with_a_line_break_reaches_nobody_else(mailbox):
    mail.queue_email("victim@example.org" + EVIL, "Hello", "Body")
    db.session.commit()
    worker.run_once("w1")
    assert all("evil@example.org" not in e.rcpt_tos for e in mailbox.envelopes)
    assert all(b"evil@example.org" not in e.raw for e in mailbox.envelopes)


# --- Unsubscribing -----------------------------------------------------------------------------

def _unsubscribe_path(member, troll, mailbox):
    make_answer(make_question(member), troll)
    worker.run_once("w1")
    return unsubscribe_path(mailbox.to(member.email)[0])


def _prefs(user_id):
    db.session.expire_all()
    return notifications.prefs(db.session.get(User, user_id))


def test_opening_the_unsubscribe_link_only_asks(client, auth, member, troll, mailbox):
    path = _unsubscribe_path(member, troll, mailbox)
    response = client.get(path)
    assert response.status_code == 200 and "Stop all notification emails" in response.get_data(as_text=True)
    assert all(_prefs(member.id).values())


@pytest.mark.csrf
def test_one_click_unsubscribe_works_without_a_csrf_token(app, member, troll, mailbox):
    path = _unsubscribe_path(member, troll, mailbox)
    # As a mail program does it (RFC 8058): a bare POST, no cookies, no token.
    response = app.test_client().post(path, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200 and "Done" in response.get_data(as_text=True)
    assert not any(_prefs(member.id).values())
    # Later answers reach the inbox but no longer the mailbox.
    mailbox.clear()
    make_answer(make_question(member, title="Another question about sleep?"), troll)
    worker.run_once("w1")
    assert mailbox.messages == []
    assert db.session.scalar(select(func.count(Notification.id)).where(Notification.user_id == member.id)) == 2


def test_a_tampered_unsubscribe_link_says_so_and_changes_nothing(client, auth, member, troll, mailbox):
    path = _unsubscribe_path(member, troll, mailbox)
    tampered = path[:-2] + ("xy" if not path.endswith("xy") else "zz")
    for response in (client.get(tampered), client.post(tampered)):
        assert response.status_code == 400 and "not valid" in response.get_data(as_text=True)
    assert all(_prefs(member.id).values())


def test_a_guest_who_unsubscribes_is_forgotten_on_all_their_posts(client, auth, troll, mailbox):
    asked = [make_question(None, title=f"Guest question number {i}?", guest_name="Sam") for i in range(2)]
    other = make_question(None, title="Someone else's question?", guest_name="Kim")
    for question in asked:
        db.session.get(Post, question.id).guest_email = "sam@example.org"
    db.session.get(Post, other.id).guest_email = "kim@example.org"
    db.session.commit()
    answer_as(client, auth, troll, asked[0])
    worker.run_once("w1")
    path = unsubscribe_path(mailbox.to("sam@example.org")[0])
    assert client.post(path).status_code == 200
    db.session.expire_all()
    assert [db.session.get(Post, q.id).guest_email for q in asked] == [None, None]
    assert db.session.get(Post, other.id).guest_email == "kim@example.org"
    mailbox.clear()
    answer_as(client, auth, troll, asked[1], body="Short walks at lunch helped me at work.")
    worker.run_once("w1")
    assert mailbox.messages == []


def test_a_members_answer_to_their_own_question_sends_nothing(client, auth, member, mailbox):
    answer_as(client, auth, member, make_question(member))
    worker.run_once("w1")
    assert mailbox.messages == []


def test_the_inbox_works_while_the_worker_is_away(client, auth, member, troll):
    make_answer(make_question(member), troll)
    auth.login(member)
    assert "fred answered" in client.get("/notifications").get_data(as_text=True)
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 1


# --- Found while testing: leases running out, unsubscribing while mail waits -------------------

def test_a_worker_whose_lease_ran_out_keeps_what_it_is_sending(app, mailbox, monkeypatch):
    """A slow batch outlives its lease; another worker must not take the message being sent."""
    queue(1)
    lease = timedelta(seconds=app.config["OUTBOX_LEASE_SECONDS"] + 1)
    slow = worker.claim_batch("slow")
    # ... long ago: its lease has run out by the time it reaches this message.
    db.session.execute(update(OutboxMessage).values(claimed_at=utcnow() - lease))
    db.session.commit()
    real_send = worker._send
    other = []

    def send_while_another_worker_polls(connection, email):
        def poll():
            with app.app_context():
                ids = worker.claim_batch("fast")
                other.append(worker.deliver(ids, "fast"))
                db.session.remove()

        thread = threading.Thread(target=poll)
        thread.start()
        thread.join(timeout=30)
        real_send(connection, email)

    monkeypatch.setattr(worker, "_send", send_while_another_worker_polls)
    assert worker.deliver(slow, "slow") == (1, 0)
    assert other == [(0, 0)]
    assert len(mailbox.messages) == 1


def test_mail_waiting_when_a_member_unsubscribes_is_not_sent(app, member, troll, mailbox):
    app.config["NOTIFY_EMAIL_DELAY"] = 10
    make_answer(make_question(member), troll)
    [row] = outbox()
    token = row.unsubscribe_url.rsplit("/", 1)[1]
    assert app.test_client().post(f"/unsubscribe/{token}").status_code == 200
    make_due()
    worker.run_once("w1")
    assert mailbox.messages == []
    [row] = outbox()
    assert row.skipped and row.sent_at is not None


def test_mail_waiting_when_a_guest_unsubscribes_is_not_sent(app, troll, mailbox):
    question = make_question(None, guest_name="Sam")
    db.session.get(Post, question.id).guest_email = "sam@example.org"
    db.session.commit()
    make_answer(question, troll)
    mailbox.stop()  # the first attempt fails, so the email waits
    worker.run_once("w1")
    mailbox.start()
    [row] = outbox()
    token = row.unsubscribe_url.rsplit("/", 1)[1]
    assert app.test_client().post(f"/unsubscribe/{token}").status_code == 200
    make_due()
    worker.run_once("w1")
    assert mailbox.messages == []
    assert outbox()[0].skipped


def test_account_mail_is_sent_whatever_the_notification_choices(member, mailbox):
    notifications.unsubscribe({"u": member.id})
    mail.queue_email(member.email, "Reset your password", "A link.", category="account")
    db.session.commit()
    worker.run_once("w1")
    assert len(mailbox.to(member.email)) == 1


def test_the_worker_holds_no_database_lock_while_the_mail_server_is_slow(app, mailbox, is_postgres):
    """SQLite has one write lock, and the worker's transactions take it up front."""
    if is_postgres:
        pytest.skip("PostgreSQL locks rows, not the database")
    queue(1)
    mailbox.delay = 2

    def run():
        with app.app_context():  # as `flask forum worker` runs: no request, BEGIN IMMEDIATE
            worker.run_once("w1")
            db.session.remove()

    thread = threading.Thread(target=run)
    thread.start()
    assert mailbox.receiving.wait(timeout=10)
    started = time.monotonic()
    queue(1, prefix="Written meanwhile")  # e.g. a request posting an answer
    waited = time.monotonic() - started
    thread.join(timeout=30)
    assert waited < 1, f"a write waited {waited:.1f}s for the worker's lock"
    assert len(mailbox.messages) == 1
