"""The forum's key pages, with content that exercises them, for the axe and HTML checks."""
from dataclasses import dataclass

from forum.extensions import db
from forum.models import Level
from forum.services import flags, selection, votes
from forum.text import slugify
from tests.factories import make_answer, make_category, make_comment, make_question
from tests.fixtures.users import create_user

QUESTION_BODY = """I lie awake for hours, and **nothing** I try helps for long.

What I have tried so far:

- no screens after ten
- a warm drink
- counting breaths

> "Sleep comes when you stop chasing it," my doctor said.

I even keep a log with a little script: `sleep-log --today`

    for night in nights:
        print(night.hours)  # and a long line that must wrap inside its box, not widen the page: xxxxxxxxxxxxxxxxxxxxxxxx

My log file is sleep-log-2026-11-28-very-long-name-without-any-break-at-all-just-dashes-and-letters.txt
"""

ANSWER_BODY = """A *steady* routine helped me most.

1. Get up at the same time every day.
2. Keep the bedroom for sleep.

> Be patient with yourself; it takes a couple of weeks.

See [the sleep guide](https://example.org/sleep) too.

| Week | Bedtime | Hours asleep | Notes from my sleep diary, written each morning |
|:-----|:-------:|-------------:|-------------------------------------------------|
| 1    | 23:30   | 5.5          | woke at 3 and again at 5, couldn't settle       |
| 2    | 23:00   | 6.5          | better after cutting coffee after noon          |
"""


#: the pages every check visits, by name
PAGE_NAMES = ("home", "question", "ask", "login", "register", "search", "profile", "notifications",
              "moderation-queue", "admin-settings", "help")


@dataclass(frozen=True)
class KeyPage:
    name: str
    path: str
    #: the username of the member who views the page, or None for a guest
    viewer: str | None = None


def seed_key_pages():
    """Write a thread with answers, comments, votes, a best answer and a flag; return the pages.

    Needs an app context on an empty database; commits.
    """
    asker = create_user("alex")
    helper = create_user("sam", points=250)
    reader = create_user("robin")
    create_user("morgan", level=Level.MODERATOR)
    create_user("ada", level=Level.ADMIN)
    category = make_category("Sleep")
    question = make_question(asker, title="How can I sleep better when my mind keeps racing?",
                             body=QUESTION_BODY, category=category, tags="sleep routine")
    best = make_answer(question, helper, body=ANSWER_BODY)
    other = make_answer(question, None, body="Have you tried writing your worries down first?",
                        guest_name="Kim")
    make_comment(question, reader, body="Same here, following this.")
    make_comment(best, asker, body="Thank you, I will try the routine.")
    make_question(reader, title="Is it normal to feel tired all day after a bad night?",
                  body="Even when I sleep eight hours I wake up exhausted.", category=category)
    for voter, post, value in ((reader, question, 1), (asker, best, 1), (reader, best, 1), (reader, other, -1)):
        votes.cast_vote(voter, post, value)
    selection.select_answer(question, best)
    flags.flag_post(reader, other, "rude")
    db.session.commit()
    return [
        KeyPage("home", "/"),
        KeyPage("question", f"/questions/{question.id}/{slugify(question.title)}", "alex"),
        KeyPage("ask", "/ask"),
        KeyPage("login", "/login"),
        KeyPage("register", "/register"),
        KeyPage("search", "/search?q=sleep"),
        KeyPage("profile", "/users/sam"),
        KeyPage("notifications", "/notifications", "alex"),
        KeyPage("moderation-queue", "/moderation/queue", "morgan"),
        KeyPage("admin-settings", "/admin/settings", "ada"),
        KeyPage("help", "/help"),
    ]
