"""Small helpers shared by views: form errors from services, the viewer, the client."""
import re

from flask import request
from flask_login import current_user

_ASCII_DIGITS = re.compile(r"[0-9]{1,10}")


def apply_errors(form, error):
    """Put a service's field errors next to the form's fields."""
    for name, messages in error.errors.items():
        field = getattr(form, name, None)
        if field is None:
            field = form.body if hasattr(form, "body") else None
        if field is not None:
            field.errors = list(field.errors) + list(messages)


def parse_id(raw, maximum=2**31 - 1):
    """Return ``raw`` as a positive int if it is plain ASCII digits in range, else None.

    ``str.isdigit`` also accepts "²" and other digits ``int`` refuses, so it is not used.
    """
    if not isinstance(raw, str) or not _ASCII_DIGITS.fullmatch(raw):
        return None
    value = int(raw)
    return value if 0 < value <= maximum else None


def viewer_id():
    return current_user.id if current_user.is_authenticated else None


def client_ip():
    """Return the client's address (the proxy's X-Forwarded-For is handled by ProxyFix)."""
    return request.remote_addr
