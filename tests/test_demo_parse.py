"""Demo data preparation: CounselChat parsing/anonymisation and the built-in demo.

The CounselChat tests need ``shared/data/counselchat/counsel_chat_20200325.csv``
(``$FORUM_SHARED_DIR``, default ``../shared`` next to the repository) and are skipped
when it is absent. Expected numbers come from ``shared/data/README.md`` section 1.
"""

import os
import re
from collections import Counter
from pathlib import Path

import pytest

from forum.demo import builtin, counselchat
from forum.demo.counselchat import (
    clean_body,
    iter_identity_strings,
    load_counselchat,
    pseudonym_for,
    read_therapists,
    scrub_identity,
)

SHARED_DIR = Path(
    os.environ.get("FORUM_SHARED_DIR") or Path(__file__).resolve().parents[1].parent / "shared"
)
CSV_PATH = SHARED_DIR / "data" / "counselchat" / "counsel_chat_20200325.csv"

needs_csv = pytest.mark.skipif(
    not CSV_PATH.is_file(),
    reason=f"CounselChat CSV not found at {CSV_PATH} (set FORUM_SHARED_DIR to the shared/ folder)",
)

# README: upvote distribution of the 2,009 de-duplicated answers
README_UPVOTES_DEDUP = {0: 1374, 1: 410, 2: 147, 3: 40, 4: 25, 5: 7, 6: 1, 7: 1, 9: 4}
USERNAME_RE = re.compile(r"[A-Za-z0-9]{3,30}")


@pytest.fixture(scope="module")
def progress_calls():
    return []


@pytest.fixture(scope="module")
def cc_data(progress_calls):
    if not CSV_PATH.is_file():
        pytest.skip(f"CounselChat CSV not found at {CSV_PATH}")
    return load_counselchat(CSV_PATH, progress=lambda i, total: progress_calls.append((i, total)))


@pytest.fixture(scope="module")
def identity_strings():
    if not CSV_PATH.is_file():
        pytest.skip(f"CounselChat CSV not found at {CSV_PATH}")
    return iter_identity_strings(CSV_PATH)


def _all_answers(data):
    return [a for q in data.questions for a in q.answers]


# ------------------------------------------------------------------- CounselChat


@needs_csv
def test_counts_match_readme(cc_data):
    answers = _all_answers(cc_data)
    assert len(cc_data.questions) == 824
    assert len(cc_data.categories) == 31
    assert len(cc_data.members) == 307
    assert len(answers) == 2009
    assert sum(1 for q in cc_data.questions if q.tags) == 9
    assert sum(len(q.tags) for q in cc_data.questions) == 833 - 824  # topic assignments


@needs_csv
def test_upvotes_after_dedup_match_readme(cc_data):
    expected_sum = sum(votes * n for votes, n in README_UPVOTES_DEDUP.items())
    assert expected_sum == 0 * 1374 + 1 * 410 + 2 * 147 + 3 * 40 + 4 * 25 + 5 * 7 + 6 + 7 + 9 * 4
    answers = _all_answers(cc_data)
    assert sum(a.upvotes for a in answers) == expected_sum == 1008
    assert Counter(a.upvotes for a in answers) == README_UPVOTES_DEDUP


@needs_csv
def test_structure_is_consistent(cc_data, progress_calls):
    slugs = [c.slug for c in cc_data.categories]
    assert len(set(slugs)) == len(slugs)
    titles = {c.slug: c.title for c in cc_data.categories}
    assert titles["family-conflict"] == "Family conflict"
    assert titles["lgbtq"] == "LGBTQ"
    member_keys = {m.key for m in cc_data.members}
    q_keys = [q.key for q in cc_data.questions]
    assert len(set(q_keys)) == len(q_keys)
    a_keys = [a.key for a in _all_answers(cc_data)]
    assert len(set(a_keys)) == len(a_keys)
    for q in cc_data.questions:
        assert q.category in titles
        assert all(t in titles and t != q.category for t in q.tags)
        assert q.title and q.body and q.answers and q.views >= 2
        votes = [a.upvotes for a in q.answers]
        assert votes == sorted(votes, reverse=True)
        for a in q.answers:
            assert a.member_key in member_keys
            assert a.body.strip()
            assert "\xa0" not in a.body
    big = {q.key: q for q in cc_data.questions}["do-i-have-too-many-issues-for-counseling"]
    assert big.category == "depression" and big.tags == ["counseling-fundamentals"]
    assert progress_calls and progress_calls[-1][0] == progress_calls[-1][1] == 2129


@needs_csv
def test_pseudonyms_deterministic_unique_and_safe(cc_data):
    again = {t.url: t.username for t in read_therapists(CSV_PATH).values()}
    assert {m.key: m.username for m in cc_data.members} == again
    names = [m.username for m in cc_data.members]
    assert len(set(n.lower() for n in names)) == len(names) == 307
    for m in cc_data.members:
        assert USERNAME_RE.fullmatch(m.username), m.username
    for t in read_therapists(CSV_PATH).values():
        for part in re.split(r"[^a-z]+", t.name.lower()):
            if len(part) >= 3:
                assert part not in t.username.lower(), (t.username, part)
    assert pseudonym_for("https://example.org/x") == pseudonym_for("https://example.org/x")


@needs_csv
def test_no_therapist_identity_anywhere(cc_data, identity_strings):
    assert len(identity_strings) > 307  # every URL plus at least one name per therapist
    assert "sherry katz" in identity_strings
    assert "https://counselchat.com/therapists/sherry-katz-lcsw" in identity_strings
    texts = []
    for q in cc_data.questions:
        texts += [q.title, q.body] + [a.body for a in q.answers]
    texts += [m.username for m in cc_data.members]
    corpus = "\n".join(texts).lower()
    leaks = sorted(s for s in identity_strings if s in corpus)
    assert leaks == []
    assert "counselchat.com/therapists" not in corpus
    assert "robin j. landwehr" not in corpus


@needs_csv
def test_text_cleaning_on_real_rows(cc_data):
    first = cc_data.questions[0]
    katz = next(a for a in first.answers if a.member_key.endswith("sherry-katz-lcsw"))
    assert katz.body.startswith(
        "If everyone thinks you're worthless, then maybe you need to find new people to hang "
        "out with.\n\nSeriously, the social context"
    )
    # the question's own line breaks became paragraphs
    assert "\n\nI've never tried or contemplated suicide." in first.body


# ------------------------------------------------------------------------ scrub


@pytest.mark.parametrize(
    "text, names, expected",
    [
        (
            "I hope this was helpful. Be well.Robin J. Landwehr, DBH, LPC, NCC",
            ["Robin Landwehr"],
            "I hope this was helpful. Be well.",
        ),
        ("Don't give up! Hope that helps,\xa0Allison", ["Allison Velez"], "Don't give up! Hope that helps"),
        ("Best of luck.  -keith", ["Keith Hughes"], "Best of luck."),
        ("All the best. Rossana Mag.", ["Rossana Magalhaes"], "All the best."),
        ("My best to you. Dr. Spencer", ["Donald Spencer"], "My best to you."),
        (
            "Cheering you on,Tamara Powell, LMHCP.S. You might enjoy this book.",
            ["Tamara Powell"],
            "Cheering you on,\n\nP.S. You might enjoy this book.",
        ),
        (
            "Take it slow!  ~Mark (www.MarkMorrisLCSW.com and www.example.org)",
            ["Mark Morris"],
            "Take it slow!",
        ),
        ("Stay strong. Mirella~Some Practice Name", ["Mirella Caro-Cortes"], "Stay strong."),
        ("Hi, I'm Amelia! Oh, that is hard.", ["Amelia Mora Mars"], "Hi! Oh, that is hard."),
        (
            "Low thyroid matters. At Makin Wellness, we can assess it.",
            ["Sara Makin"],
            "Low thyroid matters. At my practice, we can assess it.",
        ),
        (
            "Good luck. Visit sherrykatz.example.com for more information. Take care.",
            ["Sherry Katz"],
            "Good luck. Take care.",
        ),
        (
            "The Lifeline is 1-800-273-8255. You may reach me at 787-555-0100 to book. Take care.",
            ["Jane Roe"],
            "The Lifeline is 1-800-273-8255. Take care.",
        ),
        (
            "Read more: https://counselchat.com/therapists/someone-else",
            ["Sherry Katz"],
            "",
        ),
        # nothing to do: the first name is not a sign-off, other names untouched
        (
            "Robin is a bird. Grace matters. Talk to Mark about it, he is kind.",
            ["Robin Landwehr", "Grace Bell"],
            "Robin is a bird. Grace matters. Talk to Mark about it, he is kind.",
        ),
    ],
)
def test_scrub_identity_examples(text, names, expected):
    assert scrub_identity(text, names) == expected


def test_scrub_identity_removes_profile_url_and_middle_initials():
    url = "https://counselchat.com/therapists/sherry-katz-lcsw"
    out = scrub_identity(f"Thanks for asking. See my profile {url} for more.", ["Sherry Katz"], urls=[url])
    assert out == "Thanks for asking."
    out = scrub_identity("Warm regards,Shawn T. Berthel, M.S., LMHC", ["Shawn Thomas Berthel"])
    assert out == "Warm regards"


def test_clean_body_rules():
    assert clean_body("Fix your life.Seriously, do it.") == "Fix your life.\n\nSeriously, do it."
    assert clean_body("Try e.g.Yoga or i.e.This.") == "Try e.g.Yoga or i.e.This."
    assert clean_body("Ask Dr.Smith today.") == "Ask Dr.Smith today."
    assert clean_body("See www.LivingYes.org now.Then rest.") == "See www.LivingYes.org now.\n\nThen rest."
    assert clean_body("  a\xa0b  ") == "a b"
    assert clean_body("#1 tip is sleep.\n\n> not a quote") == "\\#1 tip is sleep.\n\n\\> not a quote"
    assert clean_body("You have\nseveral things going on.") == "You have several things going on."
    assert clean_body("First line.\n   Second paragraph.") == "First line.\n\nSecond paragraph."
    assert clean_body("Tips:\n1. Sleep\n2. Eat") == "Tips:\n\n1. Sleep\n\n2. Eat"
    assert clean_body("healthy.1. Nutrition first") == "healthy.\n\n1. Nutrition first"


def test_category_titles():
    assert counselchat.category_title("family-conflict") == "Family conflict"
    assert counselchat.category_title("lgbtq") == "LGBTQ"
    assert counselchat.category_title("grief-and-loss") == "Grief and loss"


def test_therapist_name_derivation():
    tn = counselchat.therapist_name
    url = "https://counselchat.com/therapists/"
    assert tn("Sherry Katz, LCSWCouples and Family Therapist, LCSW", url + "sherry-katz-lcsw") == "Sherry Katz"
    assert tn("Lee KingI use an integrative approach", url + "lee-king") == "Lee King"
    assert tn("Dr. Timothy Paul'man'; Online", url + "dr-timothy-paul") == "Timothy Paul"
    assert tn("Lynda MartensMarriage & Family Therapist", url + "ms-lynda-martens-london-ontario") == "Lynda Martens"
    assert tn("David Mora- M.A. LPCA helpful listening ear", url + "david-mora-m-a-lpc") == "David Mora"


# ----------------------------------------------------------------------- builtin


def test_builtin_demo_is_well_formed():
    data = builtin.load_builtin()
    assert len(data.categories) == 5
    assert len(data.members) == 4
    assert 8 <= len(data.questions) <= 12
    cat_slugs = {c.slug for c in data.categories}
    member_keys = {m.key for m in data.members}
    assert len(cat_slugs) == 5 and len(member_keys) == 4
    for m in data.members:
        assert USERNAME_RE.fullmatch(m.username)
    q_keys = [q.key for q in data.questions]
    assert len(set(q_keys)) == len(q_keys)
    a_keys = [a.key for a in _all_answers(data)]
    assert len(set(a_keys)) == len(a_keys)
    assert sum(1 for q in data.questions if q.tags) >= 3
    assert sum(a.upvotes for a in _all_answers(data)) > 0
    for q in data.questions:
        assert q.category in cat_slugs
        assert q.title and q.body
        assert 1 <= len(q.answers) <= 3
        votes = [a.upvotes for a in q.answers]
        assert votes == sorted(votes, reverse=True)
        for a in q.answers:
            assert a.member_key in member_keys
            assert a.body.strip()
            assert "committed suicide" not in a.body.lower()
    # every category is used
    assert {q.category for q in data.questions} == cat_slugs
    # deterministic
    assert builtin.load_builtin() == data
