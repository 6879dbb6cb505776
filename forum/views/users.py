"""Member profiles."""
from flask import Blueprint, abort, render_template

from forum.services import accounts

bp = Blueprint("users", __name__)


def get_user_or_404(username):
    """Return the member named ``username`` (canonically).

    :raise 404: when there is no such member.
    """
    user = accounts.get_user_by_name(username)
    if user is None:
        abort(404)
    return user


@bp.get("/users/<username>")
def show(username):
    user = get_user_or_404(username)
    return render_template("users/show.html", user=user)
