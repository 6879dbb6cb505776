"""Member profiles."""
from datetime import timedelta

from flask import Blueprint, abort, render_template, request

from forum.models import utcnow
from forum.services import accounts, points

bp = Blueprint("users", __name__)


def get_user_or_404(username):
    """Return the member named ``username`` (canonically).

    :raise 404: when there is no such member.
    """
    user = accounts.get_user_by_name(username)
    if user is None or user.deleted_at is not None:
        abort(404)
    return user


@bp.get("/users")
def index():
    """Top members, of all time or of the last seven days."""
    period = request.args.get("period", "all")
    if period not in ("all", "week"):
        abort(404)
    since = utcnow() - timedelta(days=7) if period == "week" else None
    return render_template("users/index.html", period=period, rows=points.top_members(50, since=since))


@bp.get("/users/<username>")
def show(username):
    user = get_user_or_404(username)
    return render_template("users/show.html", user=user)
