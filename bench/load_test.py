"""A bounded mixed load on a running forum: reading, voting and answering at once.

    .venv/bin/python bench/load_test.py http://127.0.0.1:8000 --seconds 120 --users bench1,bench2 \
        --password benchpass --questions 1,2,3

Readers fetch question pages and lists; members vote and answer, each answer with a
unique marker. Every write the server acknowledged (a redirect after the POST) is
recorded, so the caller can check afterwards that each one is in the database. Prints
the counts of requests, responses by class and acknowledged writes, and exits 1 on any
5xx. ``tests/test_load.py`` runs it for 30 seconds in CI.
"""
import argparse
import random
import re
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.cookiejar import CookieJar

TOKEN = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"|<input[^>]*value="([^"]+)"[^>]*name="csrf_token"')
SUBMISSION = re.compile(r'name="submission_token"[^>]*value="([^"]+)"')
ANSWER_ID = re.compile(r'id="a(\d+)"')


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@dataclass
class Results:
    statuses: dict = field(default_factory=dict)
    answers: list = field(default_factory=list)   # (question id, marker) acknowledged
    votes: list = field(default_factory=list)     # (member, post id) acknowledged up votes
    errors: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, status):
        with self.lock:
            key = f"{status // 100}xx"
            self.statuses[key] = self.statuses.get(key, 0) + 1

    @property
    def server_errors(self):
        return self.statuses.get("5xx", 0)


class Session:
    def __init__(self, base, results):
        self.base, self.results = base, results
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()), _NoRedirect())

    def request(self, path, data=None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(urllib.request.Request(self.base + path, data=body), timeout=60) as response:
                status, text = response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read().decode(errors="replace")
        except OSError as error:  # connection refused or reset: count it as a server failure
            with self.results.lock:
                self.results.errors.append(f"{path}: {error}")
            status, text = 599, ""
        self.results.count(status)
        return status, text

    def token(self, html):
        found = TOKEN.search(html)
        return (found.group(1) or found.group(2)) if found else ""

    def login(self, username, password):
        _, page = self.request("/login")
        status, _ = self.request("/login", {"csrf_token": self.token(page), "username": username,
                                            "password": password})
        return status == 302


def _reader(base, results, questions, stop):
    session = Session(base, results)
    while not stop.is_set():
        path = random.choice([f"/questions/{random.choice(questions)}", "/", "/unanswered", "/questions/hot"])
        status, _ = session.request(path)
        if status == 301:
            session.request(path)  # the canonical address; the redirect itself was the answer


def _member(base, results, username, password, questions, stop, number):
    session = Session(base, results)
    if not session.login(username, password):
        with results.lock:
            results.errors.append(f"{username} could not log in")
        return
    n = 0
    while not stop.is_set():
        question_id = random.choice(questions)
        status, page = session.request(f"/questions/{question_id}")
        if status == 301:
            status, page = session.request(_location_path(session, question_id))
        if status != 200:
            continue
        n += 1
        if n % 3 == 0:
            marker = f"load-{number}-{n}-{random.randrange(10**9)}"
            form = page.split('id="your-answer"', 1)[-1]
            submission = SUBMISSION.search(form)
            status, _ = session.request(f"/questions/{question_id}/answers", {
                "csrf_token": session.token(form), "submission_token": submission.group(1) if submission else "",
                "body": f"An answer written under load, marked {marker}."})
            if status in (302, 303):
                with results.lock:
                    results.answers.append((question_id, marker))
        else:
            answer_ids = ANSWER_ID.findall(page)
            if not answer_ids:
                continue
            post_id = int(random.choice(answer_ids))
            status, _ = session.request(f"/posts/{post_id}/vote", {"csrf_token": session.token(page), "value": "up"})
            if status in (302, 303):
                with results.lock:
                    results.votes.append((username, post_id))


def _location_path(session, question_id):
    request = urllib.request.Request(session.base + f"/questions/{question_id}")
    try:
        session.opener.open(request, timeout=60)
    except urllib.error.HTTPError as error:
        return urllib.parse.urlsplit(error.headers["Location"]).path
    return f"/questions/{question_id}"


def run_load(base, seconds, members, password, questions, readers=4):
    """Run readers and members against ``base`` for ``seconds``; return the Results."""
    results, stop = Results(), threading.Event()
    threads = [threading.Thread(target=_reader, args=(base, results, questions, stop)) for _ in range(readers)]
    threads += [threading.Thread(target=_member, args=(base, results, name, password, questions, stop, i))
                for i, name in enumerate(members)]
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join(timeout=120)
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base", help="the forum's address, e.g. http://127.0.0.1:8000")
    parser.add_argument("--seconds", type=int, default=120)
    parser.add_argument("--users", required=True, help="comma-separated members who may vote and answer")
    parser.add_argument("--password", required=True)
    parser.add_argument("--questions", required=True, help="comma-separated question ids")
    parser.add_argument("--readers", type=int, default=4)
    args = parser.parse_args(argv)
    results = run_load(args.base.rstrip("/"), args.seconds, args.users.split(","), args.password,
                       [int(q) for q in args.questions.split(",")], readers=args.readers)
    total = sum(results.statuses.values())
    print(f"{total} requests in {args.seconds} s ({total / args.seconds:.0f}/s): {results.statuses}")
    print(f"acknowledged: {len(results.answers)} answers, {len(results.votes)} votes; errors: {results.errors[:5]}")
    return 1 if results.server_errors else 0


if __name__ == "__main__":
    sys.exit(main())
