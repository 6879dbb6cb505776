"""App-wide guards on writes: blocked addresses write nothing."""
from flask import abort, request
from flask_login import current_user

from forum.models import Level
from forum.permissions import at_least
from forum.services import sanctions
from forum.views.forms_util import client_ip

#: Writes still allowed from a blocked address: logging in and out.
#: Open even from a blocked network: logging in and out, and a member's rights over their
#: own data (asking for it, deleting the account).
OPEN_ENDPOINTS = frozenset({"auth.login", "auth.logout", "static",
                            "account_data.request_export", "account_data.delete_account"})


def refuse_blocked_addresses():
    if request.method in ("GET", "HEAD", "OPTIONS") or request.endpoint in OPEN_ENDPOINTS:
        return
    if at_least(current_user, Level.MODERATOR):
        return
    if sanctions.is_address_blocked(client_ip()):
        abort(403, "Posting from your network has been paused by the moderators. You can "
                   "still read everything.")


def init_app(app):
    app.before_request(refuse_blocked_addresses)
