"""The preview of a post: exactly the HTML its body would be saved with."""
from forum.markup import render_markdown
from forum.services import posting
from forum.services.errors import ValidationFailed

#: The kinds of post a body may be previewed as (each has its own longest body).
KINDS = ("question", "answer", "comment")


def preview_body(kind, body):
    """Return the sanitised HTML ``body`` would be saved with as a ``kind`` post.

    The body goes through the same normalisation (posting.clean_body) and the same
    renderer (markup.render_markdown) as a saved post, so the preview is the post.
    Only length is refused here; other problems are reported when posting.

    :raise ValidationFailed: with a ``body`` error when it is longer than a post may be.
    """
    errors = {}
    cleaned = posting.clean_body(kind, body or "", errors)
    maximum = posting.body_max(kind)
    if len(cleaned) > maximum:
        raise ValidationFailed(errors={"body": [
            f"That is {len(cleaned):,} characters, too long to post or preview; "
            f"please keep it under {maximum:,}."]})
    return render_markdown(cleaned)
