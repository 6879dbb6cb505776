"""Helpers that build Q&A content through the services, for tests."""
from forum.extensions import db
from forum.services import answers, categories, comments, questions
from forum.services.posting import Guest


def make_category(title="Anxiety", slug=None, parent=None):
    category = categories.create_category(title, slug=slug, parent=parent)
    db.session.commit()
    return category


def make_question(author=None, title="How can I sleep better at night?", body="I lie awake.",
                  category=None, tags="", guest_name=None):
    question = questions.ask_question(author, title, body, category=category, tag_text=tags,
                                      guest=Guest(guest_name, None))
    db.session.commit()
    return question


def make_answer(question, author=None, body="Try a routine.", guest_name=None):
    answer = answers.post_answer(question, author, body, guest=Guest(guest_name, None))
    db.session.commit()
    return answer


def make_comment(parent, author=None, body="Thank you.", guest_name=None):
    comment = comments.post_comment(parent, author, body, guest=Guest(guest_name, None))
    db.session.commit()
    return comment
