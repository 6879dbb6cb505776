"""Two gunicorn servers on one database and one Redis, as deployed behind a proxy.

A vote through one server shows in the next logged-out page served by the other (whose
cached thread must not be stale), and a guest posts an answer from a cached page.
"""
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from forum.extensions import db
from forum.models import Answer
from tests.factories import make_answer, make_question
from tests.fixtures.live import Browserless, csrf_token
from tests.fixtures.users import PASSWORD

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_serving(port, process, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn on {port} exited: {process.stderr.read().decode()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn on {port} did not start")


@pytest.fixture
def two_servers(app, database_url, tmp_path):
    redis_url = os.environ.get("FORUM_TEST_REDIS_URL")
    if not redis_url:
        if os.environ.get("FORUM_REQUIRE_SERVICES") == "1":
            pytest.fail("FORUM_TEST_REDIS_URL is required in CI")
        pytest.skip("set FORUM_TEST_REDIS_URL to run two servers sharing Redis")
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    env = {**os.environ, "FORUM_ENV": "development", "DATABASE_URL": database_url, "REDIS_URL": redis_url,
           "SECRET_KEY": "two-servers-shared-secret", "MAIL_BACKEND": "console"}
    servers = []
    for name in ("one", "two"):
        port = _free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}",
             "--chdir", str(ROOT), "wsgi:app"],
            env={**env, "FORUM_INSTANCE_NAME": name}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        servers.append((f"http://127.0.0.1:{port}", process))
    try:
        for url, process in servers:
            _wait_until_serving(int(url.rsplit(":", 1)[1]), process)
        yield [url for url, _ in servers]
    finally:
        for _, process in servers:
            process.send_signal(signal.SIGTERM)
        for _, process in servers:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        redis.Redis.from_url(redis_url).flushdb()


def _score_of(html, answer_id):
    article = html.split(f'id="a{answer_id}"', 1)[1]
    return re.search(r'class="score-value"[^>]*>([^<]+)<', article).group(1)


def test_a_vote_on_one_server_shows_on_the_other_and_guests_answer_from_cached_pages(
        two_servers, make_user):
    one, two = two_servers
    asker, helper, voter = make_user("askerone"), make_user("helperone"), make_user("voterone")
    question = make_question(asker, title="How do I sleep after a night shift?", body="I can't settle.")
    answer = make_answer(question, helper, body="Blackout curtains and the same routine each time.")
    db.session.commit()
    path = f"/questions/{question.id}/how-do-i-sleep-after-a-night-shift"

    guest = Browserless(two)
    status, before = guest.get(path)
    assert status == 200 and _score_of(before, answer.id) == "0"
    assert guest.get(path)[1].count("Blackout curtains") == 1  # now cached, in Redis

    member = Browserless(one)
    status, login_page = member.get("/login")
    assert member.post("/login", {"csrf_token": csrf_token(login_page), "username": voter.username,
                                  "password": PASSWORD})[0] == 302
    status, page = member.get(path)
    assert member.post(f"/posts/{answer.id}/vote", {"csrf_token": csrf_token(page), "value": "up"})[0] == 303

    status, after = Browserless(two).get(path)
    assert status == 200 and _score_of(after, answer.id) == "+1"

    # A new guest on the first server answers from the page it got (its thread from the cache).
    newcomer = Browserless(one)
    status, page = newcomer.get(path)
    form = page.split('id="your-answer"', 1)[1]
    submission = re.search(r'name="submission_token"[^>]*value="([^"]+)"', form).group(1)
    status, _ = newcomer.post(f"/questions/{question.id}/answers", {
        "csrf_token": csrf_token(form), "submission_token": submission,
        "body": "Wear sunglasses on the way home, it helps the body clock."})
    assert status in (302, 303)
    db.session.rollback()  # a fresh snapshot: the servers wrote in other processes
    assert db.session.query(Answer).filter(Answer.body.like("Wear sunglasses%")).count() == 1
    assert "Wear sunglasses on the way home" in Browserless(two).get(path)[1]
