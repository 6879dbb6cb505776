"""Sanctions: blocking members from writing, and blocking the addresses posts came from."""
import ipaddress
from datetime import timedelta

from flask import g, has_app_context
from sqlalchemy import or_, select

from forum.extensions import db
from forum.models import AddressBlock, Sanction, utcnow
from forum.services import audit
from forum.services.errors import ValidationFailed

DURATIONS = {
    "day": timedelta(days=1),
    "week": timedelta(weeks=1),
    "month": timedelta(days=30),
    "permanent": None,
}
#: What the ladder suggests after a member's earlier blocks.
LADDER = ["day", "week", "month", "permanent"]
#: How far in the future a permanent block ends (a date every database stores).
PERMANENT_UNTIL_YEARS = 100


def _reason(reason):
    reason = " ".join((reason or "").split())[:300]
    if not reason:
        raise ValidationFailed("Give a reason.", errors={"reason": ["Give a reason; the member will see it."]})
    return reason


def history(user):
    return list(db.session.scalars(
        select(Sanction).where(Sanction.user_id == user.id).order_by(Sanction.starts_at.desc())
    ))


def suggested_duration(user):
    """The next step on the ladder, from how many times the member was blocked before."""
    count = len(history(user))
    return LADDER[min(count, len(LADDER) - 1)]


def is_blocked(user):
    return user is not None and user.blocked_until is not None and user.blocked_until > utcnow()


def block_member(moderator, user, duration, reason):
    """Stop ``user`` from writing for ``duration`` (day, week, month, permanent).

    :raise ValidationFailed: without a reason or with an unknown duration.
    """
    if duration not in DURATIONS:
        raise ValidationFailed("Choose how long.", errors={"duration": ["Choose how long the block lasts."]})
    reason = _reason(reason)
    now = utcnow()
    length = DURATIONS[duration]
    ends_at = now + length if length else None
    db.session.add(Sanction(user_id=user.id, reason=reason, starts_at=now, ends_at=ends_at,
                            created_by_id=moderator.id))
    user.blocked_until = ends_at or now + timedelta(days=365 * PERMANENT_UNTIL_YEARS)
    user.block_reason = reason
    audit.record(moderator, "block", user=user, reason=reason, duration=duration)
    db.session.flush()


def lift_block(moderator, user, reason=None):
    if not is_blocked(user):
        raise ValidationFailed("That member is not blocked.")
    now = utcnow()
    for sanction in db.session.scalars(
        select(Sanction).where(Sanction.user_id == user.id, Sanction.lifted_at.is_(None),
                               or_(Sanction.ends_at.is_(None), Sanction.ends_at > now))
    ):
        sanction.lifted_at, sanction.lifted_by_id = now, moderator.id
    user.blocked_until, user.block_reason = None, None
    audit.record(moderator, "unblock", user=user, reason=reason)
    db.session.flush()


# --- Addresses ---------------------------------------------------------------------

def parse_network(text):
    """Parse an address or CIDR range; raise ValidationFailed with the reason."""
    try:
        return ipaddress.ip_network((text or "").strip(), strict=False)
    except ValueError:
        raise ValidationFailed("Not an address.", errors={
            "network": ["Enter an address like 203.0.113.7 or a range like 203.0.113.0/24."]}) from None


def block_network(admin, text, reason, duration="permanent"):
    network = parse_network(text)
    too_wide = network.prefixlen < 8 if network.version == 4 else network.prefixlen < 32
    if too_wide:
        raise ValidationFailed("Too wide.", errors={"network": ["That range is too wide to block."]})
    return _add_block(admin, str(network), _reason(reason), duration)


def block_post_address(moderator, post, reason, duration="week"):
    """Block the address a post came from, without showing it to the moderator.

    :raise ValidationFailed: when the post's address is not known (or was purged).
    """
    if not post.ip_address:
        raise ValidationFailed("The address of this post is not known, so it can't be blocked.")
    network = ipaddress.ip_network(post.ip_address, strict=False)
    return _add_block(moderator, str(network), _reason(reason), duration, post=post)


def _add_block(actor, network, reason, duration, post=None):
    if duration not in DURATIONS:
        raise ValidationFailed("Choose how long.", errors={"duration": ["Choose how long the block lasts."]})
    length = DURATIONS[duration]
    block = AddressBlock(network=network, reason=reason, created_by_id=actor.id,
                         ends_at=utcnow() + length if length else None)
    db.session.add(block)
    db.session.flush()
    # The audit log names the block, never the address: moderators read the log too.
    audit.record(actor, "block-address", post=post, reason=reason, block=block.id, duration=duration)
    forget_cached()
    return block


def lift_address_block(admin, block):
    audit.record(admin, "unblock-address", reason=None, block=block.id)
    db.session.delete(block)
    db.session.flush()
    forget_cached()


def active_blocks():
    now = utcnow()
    return list(db.session.scalars(
        select(AddressBlock).where(or_(AddressBlock.ends_at.is_(None), AddressBlock.ends_at > now))
        .order_by(AddressBlock.created_at.desc())
    ))


def forget_cached():
    if has_app_context():
        g.pop("forum_address_blocks", None)


def is_address_blocked(address):
    """Tell whether writes from ``address`` are blocked (blocks read once per request)."""
    if not address:
        return False
    if has_app_context() and "forum_address_blocks" in g:
        networks = g.forum_address_blocks
    else:
        networks = [ipaddress.ip_network(b.network, strict=False) for b in active_blocks()]
        if has_app_context():
            g.forum_address_blocks = networks
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)
