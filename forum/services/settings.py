"""Site settings: typed defaults, stored overrides, one read per request."""
import json
from dataclasses import dataclass

from flask import g, has_app_context
from sqlalchemy import select

from forum.extensions import db
from forum.models import Post, Setting
from forum.services import audit, generation
from forum.services.errors import ValidationFailed


@dataclass(frozen=True)
class SettingSpec:
    key: str
    type: type
    default: object
    label: str
    help: str = ""
    minimum: int | None = None
    maximum: int | None = None
    max_length: int | None = None
    #: Extra rule for the value: raises ValueError with the reason.
    check: object = None


#: Every setting the site has. Later features add theirs here.
SPECS = {
    spec.key: spec
    for spec in [
        SettingSpec(
            "site_name", str, "Forum", "Site name", max_length=60,
            help="Shown in the header and in page titles.",
        ),
        SettingSpec(
            "tagline",
            str,
            "Welcome to Forum, where you can ask questions about relationships and "
            "mental health.",
            "Tagline",
            max_length=200,
            help="Shown under the site name on every page.",
        ),
        SettingSpec(
            "guests_may_post", bool, True, "Guests may post",
            help="Let visitors without an account ask, answer and comment.",
        ),
        SettingSpec(
            "answers_per_page", int, 20, "Answers per page", minimum=5, maximum=200,
            help="How many answers a question page shows before paging.",
        ),
        SettingSpec(
            "questions_per_page", int, 30, "Questions per page", minimum=5, maximum=100,
            help="How many questions a list page shows.",
        ),
    ]
}

#: The points scheme: Question2Answer's formula and defaults. Every number is a setting.
POINTS_SPECS = [
    SettingSpec("points_base", int, 100, "Points everyone starts with", minimum=0, maximum=1_000_000),
    SettingSpec("points_multiple", int, 10, "Multiply all points below by", minimum=0, maximum=1000),
    SettingSpec("points_post_q", int, 2, "Asking a question", minimum=0, maximum=1000),
    SettingSpec("points_post_a", int, 4, "Posting an answer", minimum=0, maximum=1000),
    SettingSpec("points_select_a", int, 3, "Selecting a best answer for one's question", minimum=0, maximum=1000),
    SettingSpec("points_a_selected", int, 30, "Having one's answer selected as best", minimum=0, maximum=1000),
    SettingSpec("points_vote_up_cast", int, 1, "Casting an up vote", minimum=0, maximum=1000),
    SettingSpec("points_vote_down_cast", int, 1, "Casting a down vote", minimum=0, maximum=1000),
    SettingSpec("points_q_voted_up", int, 1, "Per up vote on one's question", minimum=0, maximum=1000),
    SettingSpec("points_q_voted_down", int, 1, "Per down vote on one's question (lost)", minimum=0, maximum=1000),
    SettingSpec("points_q_voted_max_gain", int, 10, "Most a question can gain from votes", minimum=0, maximum=100_000),
    SettingSpec("points_q_voted_max_loss", int, 3, "Most a question can lose from votes", minimum=0, maximum=100_000),
    SettingSpec("points_a_voted_up", int, 2, "Per up vote on one's answer", minimum=0, maximum=1000),
    SettingSpec("points_a_voted_down", int, 2, "Per down vote on one's answer (lost)", minimum=0, maximum=1000),
    SettingSpec("points_a_voted_max_gain", int, 20, "Most an answer can gain from votes", minimum=0, maximum=100_000),
    SettingSpec("points_a_voted_max_loss", int, 5, "Most an answer can lose from votes", minimum=0, maximum=100_000),
]
#: Each privileged action: its default minimum level and minimum points. A member
#: may act when their level OR their points reach it. Both are admin settings
#: (``privilege_<action>_level``, ``privilege_<action>_points``; -1 points means the
#: level alone decides). Levels are Question2Answer's numbers (see models.Level).
PRIVILEGES = {
    "vote_up": (10, 100, "Vote up"),
    "vote_down": (20, 500, "Vote down"),
    "comment": (10, 100, "Comment"),
    "flag": (0, -1, "Flag posts"),
    "retag": (50, 2_000, "Retag and recategorise others' questions"),
    "edit_others": (50, 5_000, "Edit others' posts"),
    "close": (80, 10_000, "Close and reopen questions"),
    "hide": (80, -1, "Hide and delete posts"),
    "see_queues": (80, -1, "See the moderation queues"),
}
PRIVILEGE_SPECS = []
for _action, (_level, _points, _label) in PRIVILEGES.items():
    PRIVILEGE_SPECS.append(SettingSpec(f"privilege_{_action}_level", int, _level,
                                       f"{_label}: minimum level", minimum=0, maximum=120))
    PRIVILEGE_SPECS.append(SettingSpec(f"privilege_{_action}_points", int, _points,
                                       f"{_label}: or minimum points (-1: never by points)",
                                       minimum=-1, maximum=10_000_000))
SPECS["member_titles"] = SettingSpec(
    "member_titles", str,
    "0: New member; 300: Member; 1000: Regular; 5000: Trusted helper; 20000: Pillar of the community",
    "Member titles by points", max_length=500,
    help="Pairs of “points: title” separated by semicolons, lowest first.",
    check=lambda text: parse_titles(text),
)
SPECS["comment_votes"] = SettingSpec(
    "comment_votes", bool, False, "Members may up-vote comments",
    help="Comment votes are worth no points.",
)

#: A scheme for caring communities: no points for posting or voting, only for helping.
CARE_PRESET = {"points_post_q": 0, "points_post_a": 0, "points_select_a": 0,
               "points_vote_up_cast": 0, "points_vote_down_cast": 0}

#: The settings on the general admin page (points and privileges have their own pages).
GENERAL_SPECS = dict(SPECS)

#: Titles are stored in a 200-character column, so the limit can't go past it.
TITLE_COLUMN_LENGTH = Post.__table__.c.title.type.length
#: Posting limits, read by services.posting when a post is written or edited.
POSTING_SPECS = [
    SettingSpec("title_min_length", int, 8, "Shortest question title", minimum=1, maximum=50,
                help="In characters."),
    SettingSpec("title_max_length", int, 200, "Longest question title", minimum=50,
                maximum=min(300, TITLE_COLUMN_LENGTH),
                help=f"In characters; at most {min(300, TITLE_COLUMN_LENGTH)}, what the database stores."),
    SettingSpec("question_body_max_length", int, 30_000, "Longest question text",
                minimum=100, maximum=100_000, help="In characters."),
    SettingSpec("answer_body_max_length", int, 30_000, "Longest answer",
                minimum=100, maximum=100_000, help="In characters."),
    SettingSpec("comment_body_max_length", int, 2_000, "Longest comment",
                minimum=100, maximum=100_000, help="In characters."),
]
GENERAL_SPECS.update({spec.key: spec for spec in POSTING_SPECS})
SPECS.update({spec.key: spec for spec in POSTING_SPECS})
PRIVILEGE_SPECS_BY_KEY = {spec.key: spec for spec in PRIVILEGE_SPECS}
POINTS_SPECS_BY_KEY = {spec.key: spec for spec in POINTS_SPECS}
PRESETS = {
    "default": {spec.key: spec.default for spec in POINTS_SPECS},
    "care": {**{spec.key: spec.default for spec in POINTS_SPECS}, **CARE_PRESET},
}
SPECS.update({spec.key: spec for spec in POINTS_SPECS + PRIVILEGE_SPECS})



def _load():
    """Return the stored overrides as a dict, once per app context."""
    if has_app_context() and "forum_settings" in g:
        return g.forum_settings
    # The rows are the same until a write raises the cache generation (settings are watched).
    rows = generation.memoized(("settings",), lambda: tuple(
        tuple(row) for row in db.session.execute(select(Setting.key, Setting.value))))
    stored = {}
    for key, raw in rows:
        try:
            stored[key] = json.loads(raw)
        except ValueError:
            continue  # a corrupt value falls back to the default
    if has_app_context():
        g.forum_settings = stored
    return stored


def get(key):
    """Return the setting's value, or its default when unset or of the wrong type."""
    return _valid(SPECS[key], _load())


def _valid(spec, stored):
    value = stored.get(spec.key, spec.default)
    if spec.type is int and isinstance(value, bool):
        return spec.default
    if not isinstance(value, spec.type):
        return spec.default
    return value


def all_values():
    """Return every setting's current value."""
    stored = _load()
    return {key: _valid(spec, stored) for key, spec in SPECS.items()}


def derived(name, compute):
    """Return ``compute()``, a value made from the settings, once per app context.

    Permission checks ask for the same thresholds hundreds of times on a long thread.
    """
    if not has_app_context():
        return compute()
    memo = g.setdefault("forum_settings_derived", {})
    if name not in memo:
        memo[name] = compute()
    return memo[name]


def fingerprint():
    """Every setting's value as one string (for cache keys)."""
    return derived("fingerprint", lambda: repr(sorted(all_values().items())))


def coerce(spec, raw):
    """Turn a submitted value into the setting's type, or raise ValidationFailed."""
    if spec.type is bool:
        return bool(raw) and raw not in ("0", "false", "off", "")
    if spec.type is int:
        try:
            value = int(raw)
        except (TypeError, ValueError):
            raise ValidationFailed(errors={spec.key: ["Enter a whole number."]}) from None
        if spec.minimum is not None and value < spec.minimum:
            raise ValidationFailed(errors={spec.key: [f"Must be at least {spec.minimum}."]})
        if spec.maximum is not None and value > spec.maximum:
            raise ValidationFailed(errors={spec.key: [f"Must be at most {spec.maximum}."]})
        return value
    value = (raw or "").strip()
    if not value:
        raise ValidationFailed(errors={spec.key: ["This cannot be empty."]})
    if spec.max_length and len(value) > spec.max_length:
        raise ValidationFailed(
            errors={spec.key: [f"Keep it under {spec.max_length} characters."]}
        )
    return value


def parse_titles(text):
    """Parse "0: New member; 1000: Regular" into [(0, "New member"), (1000, "Regular")].

    :raise ValueError: with a reason, for text that is not such a list.
    """
    titles = []
    for part in (text or "").split(";"):
        if not part.strip():
            continue
        points, sep, title = part.partition(":")
        if not sep or not points.strip().lstrip("-").isascii() or not points.strip().lstrip("-").isdigit():
            raise ValueError(f"“{part.strip()}” is not “points: title”.")
        if not title.strip():
            raise ValueError(f"“{part.strip()}” has no title.")
        titles.append((int(points), title.strip()))
    return sorted(titles)


def member_title(points):
    """Return the title a member with ``points`` has earned, or ""."""
    def parsed():
        try:
            return parse_titles(get("member_titles"))
        except ValueError:
            return []

    titles = derived("member_titles", parsed)
    earned = [title for threshold, title in titles if points >= threshold]
    return earned[-1] if earned else ""


def update_settings(actor, values):
    """Store the given settings (already coerced); return the keys that changed."""
    changed = []
    current = all_values()
    for key, value in values.items():
        spec = SPECS[key]
        if not isinstance(value, spec.type):
            raise ValidationFailed(errors={key: ["Invalid value."]})
        if current[key] == value:
            continue
        row = db.session.get(Setting, key)
        if row is None:
            db.session.add(Setting(key=key, value=json.dumps(value)))
        else:
            row.value = json.dumps(value)
        changed.append(key)
        audit.record(actor, "settings", reason=None, setting=key, old=current[key], new=value)
    db.session.flush()
    if has_app_context():
        g.pop("forum_settings", None)
        g.pop("forum_settings_derived", None)
    return changed

#: Moderation settings (the approval queue and flags).
MODERATION_SPECS = [
    SettingSpec("flags_to_hide", int, 5, "Flags that hide a post until a moderator decides",
                minimum=1, maximum=100, help="Question2Answer's default is 5."),
    SettingSpec("approve_guest_posts", bool, False, "Hold guests' posts for approval"),
    SettingSpec("approve_below_points", int, 0, "Hold posts of members below this many points (0: off)",
                minimum=0, maximum=1_000_000, help="Members of level “approved” and above are never held."),
]
SPECS.update({spec.key: spec for spec in MODERATION_SPECS})
GENERAL_SPECS.update({spec.key: spec for spec in MODERATION_SPECS})

#: The "hot" list (Question2Answer's hot_weight_* options): how much newness, answers,
#: net votes and views count; each 0-100.
HOT_SPECS = [
    SettingSpec("hot_weight_age", int, 100, "Hot list: weight of newness", minimum=0, maximum=100),
    SettingSpec("hot_weight_answers", int, 100, "Hot list: weight of answers", minimum=0, maximum=100),
    SettingSpec("hot_weight_votes", int, 100, "Hot list: weight of votes", minimum=0, maximum=100),
    SettingSpec("hot_weight_views", int, 100, "Hot list: weight of views", minimum=0, maximum=100),
]
SPECS.update({spec.key: spec for spec in HOT_SPECS})
GENERAL_SPECS.update({spec.key: spec for spec in HOT_SPECS})

SPECS["crisis_resources"] = SettingSpec(
    "crisis_resources", str, "", "Crisis services", max_length=20_000,
    help="Empty means the bundled list (forum/data/crisis_resources.json).",
)

#: Who counts as a new member (level basic and below the points or younger than the days),
#: and how many links such a member's (or a guest's) post may hold. See permissions.is_new_member.
NEW_MEMBER_SPECS = [
    SettingSpec("new_member_points", int, 200, "New members: below this many points", minimum=0,
                maximum=1_000_000, help="Members of level basic below these points, or whose account is "
                "younger than the days below, get stricter posting limits."),
    SettingSpec("new_member_days", int, 7, "New members: accounts younger than this many days",
                minimum=0, maximum=365),
    SettingSpec("new_member_max_links", int, 2, "Links a new member's or guest's post may hold",
                minimum=0, maximum=100),
]
SPECS.update({spec.key: spec for spec in NEW_MEMBER_SPECS})
GENERAL_SPECS.update({spec.key: spec for spec in NEW_MEMBER_SPECS})

SPECS["ip_retention_days"] = SettingSpec(
    "ip_retention_days", int, 90, "Keep posters' IP addresses for this many days", minimum=1, maximum=3650,
    help="Older addresses are erased by the worker every day.",
)
GENERAL_SPECS["ip_retention_days"] = SPECS["ip_retention_days"]

SPECS["account_deletion_grace_days"] = SettingSpec(
    "account_deletion_grace_days", int, 21, "Days a deleted account can still be restored", minimum=1,
    maximum=365, help="Logging in within this time undoes the deletion; after it the worker erases "
                      "the account's personal data for good.",
)
GENERAL_SPECS["account_deletion_grace_days"] = SPECS["account_deletion_grace_days"]
