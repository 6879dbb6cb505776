"""Forms for asking, answering, commenting, editing, previewing and searching."""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Length,
    Optional,
)

from forum.forms.fields import (
    GuestFields,
    no_control_characters,
    strip_text,
    valid_token_or_none,
)
from forum.text import clean_input


class PostForm(FlaskForm):
    #: A one-time token so a double-clicked submit creates one post.
    submission_token = HiddenField(filters=[valid_token_or_none])
    content_warning = StringField(
        "Content warning (optional)", filters=[strip_text],
        validators=[Length(max=100, message="Keep it to one short line (100 characters)."),
                    no_control_characters],
        description="e.g. “mentions self-harm”: readers then choose whether to open your post.",
    )
    #: Set when the author has seen the crisis resources and chose to post.
    crisis_ack = HiddenField()
    anonymous = BooleanField(
        "Post anonymously",
        description="Others see “Anonymous” with a number for this thread, never your name. "
        "Anonymous posts earn no points. Moderators can find out who wrote it only by giving a "
        "reason, which is logged.",
    )


class AskForm(PostForm, GuestFields):
    title = StringField(
        "Your question in one sentence",
        filters=[strip_text],
        validators=[DataRequired("Please write your question as a title.")],
        description="For example: “How can I support a friend who is grieving?”",
    )
    body = TextAreaField(
        "More detail (optional)",
        filters=[lambda v: clean_input(v) if isinstance(v, str) else v],
        description="Markdown works: **bold**, *italic*, lists, links. Please leave out "
        "names, phone numbers and addresses.",
    )
    category = SelectField("Category", choices=[], validate_choice=False)
    tags = StringField(
        "Tags (optional)",
        filters=[strip_text],
        description="Up to 5 words separated by spaces or commas, e.g. sleep anxiety.",
    )
    #: "1" once the asker has been shown the similar questions (the review step, or
    #: the live list under the title); anything else counts as not yet.
    reviewed = HiddenField(filters=[lambda v: "1" if v == "1" else ""])


class AnswerForm(PostForm, GuestFields):
    body = TextAreaField(
        "Your answer",
        filters=[lambda v: clean_input(v) if isinstance(v, str) else v],
        validators=[DataRequired("Please write your answer first.")],
        description="Markdown works. Be kind; share what helped you rather than telling "
        "someone what to do.",
    )


class CommentForm(PostForm, GuestFields):
    body = TextAreaField(
        "Your comment",
        filters=[lambda v: clean_input(v) if isinstance(v, str) else v],
        validators=[DataRequired("Please write your comment first.")],
    )


class PreviewForm(FlaskForm):
    """The live preview's request: which kind of post, and its text."""

    kind = SelectField("Kind", choices=[SelectChoice(kind, kind) for kind in ("question", "answer", "comment")])
    body = TextAreaField("Text", filters=[lambda v: clean_input(v) if isinstance(v, str) else v])


# --- Curation -----------------------------------------------------------------


class EditForm(FlaskForm):
    title = StringField("Title", filters=[strip_text])
    body = TextAreaField("Text", filters=[lambda v: clean_input(v) if isinstance(v, str) else v])
    category = SelectField("Category", choices=[], validate_choice=False)
    tags = StringField("Tags", filters=[strip_text],
                       description="Up to 5 words separated by spaces or commas.")
    reason = StringField(
        "Why are you editing? (optional)", filters=[strip_text],
        validators=[Length(max=200, message="Keep the reason under 200 characters."), no_control_characters],
        description="For example: removed a phone number; fixed spelling.",
    )
    silent = BooleanField("Silent edit: don't show “edited by” (moderators only)")
    crisis_ack = HiddenField()


class SearchForm(FlaskForm):
    """The search page's GET form; unknown choices fall back to their defaults."""

    class Meta:
        csrf = False  # a GET form that changes nothing

    q = StringField("Search for", validators=[Optional(), Length(max=300)],
                    description='Words must all appear; use "quotes" for a phrase and word* for a prefix.')
    category = SelectField("Category", choices=[SelectChoice("", "Any category")], validate_choice=False)
    tag = StringField("Tag", validators=[Optional(), Length(max=50)])
    answered = SelectField("Answers", validate_choice=False, choices=[
        SelectChoice("", "Answered or not"), SelectChoice("yes", "Answered"), SelectChoice("no", "Unanswered")])
    sort = SelectField("Sort by", validate_choice=False, choices=[
        SelectChoice("relevance", "Relevance"), SelectChoice("newest", "Newest"), SelectChoice("votes", "Most votes")])


# --- Safety -------------------------------------------------------------------
