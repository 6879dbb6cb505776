"""Resolving queue items: each outcome carried out, then the item closed, all audited."""
from forum.services import approval, curation, queue
from forum.services.errors import ValidationFailed

#: Which outcomes fit which kind of item.
OUTCOMES_BY_KIND = {
    "flag": ("dismiss", "hide", "delete", "edit"),
    "approval": ("approve", "reject", "delete", "edit"),
    "risk": ("dismiss", "hide", "edit"),
}


def resolve(moderator, item, outcome, note=None):
    """Carry out ``outcome`` on the item's post and resolve the item.

    :raise ValidationFailed: for a resolved item or an outcome that does not fit.
    """
    if item.state == "resolved":
        raise ValidationFailed("That item is already resolved.")
    if outcome not in OUTCOMES_BY_KIND.get(item.kind, ()):
        raise ValidationFailed("Choose one of the offered actions.")
    post = item.post
    note = " ".join((note or "").split())[:500] or None
    if outcome == "approve":
        approval.approve(moderator, item, note)
        return
    if outcome == "reject":
        approval.reject(moderator, item, note)
        return
    if outcome == "dismiss" and post is not None and post.status == "hidden" and post.hidden_by_id is None:
        # Hidden automatically by flags; a moderator found nothing wrong.
        curation.set_status(moderator, post, "visible", note, "unhide")
    elif outcome == "hide" and post is not None and post.status != "hidden":
        curation.set_status(moderator, post, "hidden", note or "Hidden by a moderator.", "hide")
    elif outcome == "delete" and post is not None and post.status != "deleted":
        curation.set_status(moderator, post, "deleted", note or "Deleted by a moderator.", "delete")
    queue.close_item(moderator, item, outcome, note)
