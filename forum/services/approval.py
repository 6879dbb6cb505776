"""The approval queue: which new or edited posts wait for a moderator, and the decision."""
from forum.models import Level
from forum.services import curation, notifications, phrases, queue, settings
from forum.services.errors import ValidationFailed

#: The cause of a hold for unsafe content (method detail, encouragement of harm).
UNSAFE_CAUSE = "unsafe content: "


def hold_reason(author, *texts):
    """Return why a post by ``author`` with these texts must wait for approval, or None.

    Blocked words hold everyone below moderator; the guest and low-points rules
    spare members of level "approved" and above.
    """
    level = Level(author.level) if author is not None and author.level in Level._value2member_map_ else None
    if level is not None and level >= Level.MODERATOR:
        return None
    unsafe = phrases.find("unsafe", *texts)
    if unsafe:
        return UNSAFE_CAUSE + ", ".join(unsafe[:5])
    matched = phrases.find("blocked", *texts)
    if matched:
        return "blocked words: " + ", ".join(matched[:5])
    if level is not None and level >= Level.APPROVED:
        return None
    if author is None:
        return "guest" if settings.get("approve_guest_posts") else None
    threshold = settings.get("approve_below_points")
    if threshold and author.points < threshold:
        return f"member below {threshold} points"
    return None


def edit_hold_reason(editor, *texts):
    """On an edit only the phrase lists apply (the post was already let through)."""
    if editor is not None and editor.level >= Level.MODERATOR:
        return None
    unsafe = phrases.find("unsafe", *texts)
    if unsafe:
        return UNSAFE_CAUSE + ", ".join(unsafe[:5])
    matched = phrases.find("blocked", *texts)
    return "blocked words: " + ", ".join(matched[:5]) if matched else None


def hold_after_edit(editor, post):
    """Take an edited post back to the approval queue if it now matches a blocked phrase."""
    cause = edit_hold_reason(editor, post.title or "", post.body)
    if cause is None:
        return
    if post.status == "visible":
        members = curation.affected_members(post)
        post.status = "queued"
        curation.refresh_after(post, members)
    if post.status == "queued":
        hold(post, cause)


def hold(post, cause):
    """Put a post in the approval queue."""
    queue.enqueue("approval", post, cause=cause)


def approve(moderator, item, note=None):
    """Publish a queued post and resolve its item."""
    post = item.post
    if post.status != "queued":
        raise ValidationFailed("That post is not waiting for approval.")
    curation.set_status(moderator, post, "visible", note, "approve")
    queue.close_item(moderator, item, "approve", note)
    notifications.moderation_outcome(post, approved=True)
    notifications.post_published(post)


def reject(moderator, item, note=None):
    """Keep a queued post from readers; its author sees that it was not approved."""
    post = item.post
    if post.status != "queued":
        raise ValidationFailed("That post is not waiting for approval.")
    curation.set_status(moderator, post, "hidden", note or "Not approved by a moderator.", "reject")
    queue.close_item(moderator, item, "reject", note)
    notifications.moderation_outcome(post, approved=False, note=note)
