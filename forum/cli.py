"""`flask forum ...` commands; each calls services and commits once."""
import sys

import click
from flask.cli import AppGroup

from forum.extensions import db
from forum.models import Level
from forum.services import accounts
from forum.services.errors import ValidationFailed

forum_cli = AppGroup("forum", help="Forum administration commands.")


def _fail(message):
    click.echo(message, err=True)
    sys.exit(1)


def _errors_text(error):
    return "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in error.errors.items())


@forum_cli.command("create-admin")
@click.argument("username")
@click.option("--email", required=True, help="The admin's email address (kept private).")
@click.option(
    "--password",
    envvar="FORUM_ADMIN_PASSWORD",
    help="Read from FORUM_ADMIN_PASSWORD, or asked for when omitted.",
)
@click.option("--super", "make_super", is_flag=True, help="Make a super admin.")
def create_admin(username, email, password, make_super):
    """Create an admin account (the first admin of a new site)."""
    if not password:
        if not sys.stdin.isatty():
            _fail("No password: pass --password or set FORUM_ADMIN_PASSWORD.")
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    level = Level.SUPER if make_super else Level.ADMIN
    if accounts.get_user_by_email(email) is not None:
        _fail("Could not create the admin: email: another account uses this address.")
    try:
        # The operator vouches for the address: the account is confirmed at once.
        user = accounts.register_user(username, email, password, consent=True, level=level,
                                      verified=True)
    except ValidationFailed as error:
        db.session.rollback()
        _fail(f"Could not create the admin: {_errors_text(error)}")
    db.session.commit()
    click.echo(f"Created {level.label.lower()} {user.username}.")


@forum_cli.command("set-level")
@click.argument("username")
@click.argument("level", type=click.Choice([level.name.lower() for level in Level]))
def set_level(username, level):
    """Give a member a level (basic ... super)."""
    user = accounts.get_user_by_name(username)
    if user is None:
        _fail(f"No member is called {username!r}.")
    accounts.set_level(user, Level[level.upper()])
    db.session.commit()
    click.echo(f"{user.username} is now {Level[level.upper()].label}.")


def init_app(app):
    from forum.importers.cli import register

    register(forum_cli)
    app.cli.add_command(forum_cli)


@forum_cli.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when the forum already has questions.")
def seed_demo(if_empty):
    """Load the demo: CounselChat from FORUM_SHARED_DIR, or the built-in demo."""
    from flask import current_app

    from forum.services import demo

    if if_empty and demo.has_questions():
        click.echo("The forum already has questions; no demo loaded.")
        return
    source, data = demo.load_demo_data(current_app.config.get("FORUM_SHARED_DIR"))
    click.echo(f"Loading the {source} demo: {len(data.questions)} questions.")
    with click.progressbar(length=len(data.questions), label="Questions") as bar:
        last = [0]

        def progress(done, total):
            bar.update(done - last[0])
            last[0] = done

        stats = demo.seed(source, data, progress=progress)
    db.session.commit()
    problems = stats.pop("problems", [])
    click.echo(", ".join(f"{value} {key}" for key, value in stats.items()) + " added.")
    for problem in problems:
        click.echo(f"  skipped {problem}")


@forum_cli.command("check")
def check():
    """Verify every denormalised counter against a recount; exit 1 on any drift."""
    from forum.services import integrity

    drift = integrity.find_drift()
    if drift:
        for line in drift:
            click.echo(line)
        _fail(f"{len(drift)} counters drifted.")
    click.echo("All counters match their recount.")


@forum_cli.command("flush-views")
def flush_views():
    """Add the buffered question views to the database."""
    from forum.services import viewcounts

    added = viewcounts.flush_views()  # commits
    click.echo(f"Added {added} views.")


@forum_cli.command("rerender")
@click.option("--all", "everything", is_flag=True, help="Re-render every post, not only outdated ones.")
def rerender(everything):
    """Re-render stored post HTML with the current Markdown renderer."""
    from forum.services import posting

    count = posting.rerender_posts(everything)
    db.session.commit()
    click.echo(f"Re-rendered {count} posts.")


@forum_cli.command("recompute-points")
@click.option("--check", "check_only", is_flag=True,
              help="Change nothing; list every member whose stored points differ and exit 1.")
def recompute_points(check_only):
    """Recalculate every member's points from the points scheme."""
    from forum.services import points

    if check_only:
        mismatches = points.find_mismatches()
        for user_id, username, stored, expected in mismatches:
            click.echo(f"member {user_id} ({username}): stored {stored}, recount {expected}")
        if mismatches:
            _fail(f"{len(mismatches)} members have wrong points.")
        click.echo("Every member's points equal the recomputation.")
        return
    changed = points.recompute()
    db.session.commit()
    click.echo(f"Recalculated points; {changed} members changed.")


@forum_cli.command("worker")
@click.option("--once", is_flag=True, help="Run one pass (due jobs and one batch of email), then stop.")
@click.option("--poll", default=5, show_default=True, help="Seconds to wait when there is nothing to do.")
def worker(once, poll):
    """Deliver queued email and run periodic jobs (run beside the web server)."""
    from forum.services import jobs
    from forum.services import worker as worker_service

    jobs.register()
    if once:
        worker_service.ensure_jobs()
        ran, sent, failed = worker_service.run_once()
        click.echo(f"Jobs run: {', '.join(ran) or 'none'}; emails sent: {sent}; failed: {failed}.")
        return
    click.echo("Worker started; stop it with Ctrl-C.")
    try:
        worker_service.run_forever(poll_seconds=poll)
    except KeyboardInterrupt:
        click.echo("Worker stopped.")


@forum_cli.command("reindex")
@click.option("--batch", default=500, show_default=True, help="Questions indexed per flush.")
def reindex(batch):
    """Rebuild the full-text search index from the posts (one transaction)."""
    from forum.services import search

    def progress(done):
        click.echo(f"  {done} questions indexed…")

    count = search.reindex_all(batch=batch, progress=progress)
    db.session.commit()
    click.echo(f"Search index rebuilt: {count} questions.")


def _member(name_or_id):
    """The member named ``name_or_id``, or with that id; exits when there is none."""
    from forum.models import User

    user = accounts.get_user_by_name(name_or_id)
    if user is None and name_or_id.isascii() and name_or_id.isdigit():
        user = db.session.get(User, int(name_or_id))
    if user is None:
        _fail(f"No member is called {name_or_id!r} or has that id.")
    return user


@forum_cli.command("export-user")
@click.argument("member")
@click.option("--output", type=click.Path(dir_okay=False, writable=True),
              help="Where to write the ZIP (default: my-data-<id>.zip).")
def export_user(member, output):
    """Write a member's "Download my data" ZIP (by username or id)."""
    from pathlib import Path

    from forum.services import exports

    user = _member(member)
    path = Path(output or f"my-data-{user.id}.zip")
    data = exports.archive(user)
    db.session.rollback()
    path.write_bytes(data)
    path.chmod(0o600)
    click.echo(f"Wrote {len(data):,} bytes to {path}.")


@forum_cli.command("purge")
@click.option("--dry-run", is_flag=True, help="List the accounts that would be purged; change nothing.")
@click.option("--now", "now_member", metavar="MEMBER",
              help="Purge this deleted account at once, without waiting for its grace period.")
def purge(dry_run, now_member):
    """Erase the personal data of deleted accounts whose grace period is over."""
    from forum.services import deletion

    if now_member:
        user = _member(now_member)
        if user.deleted_at is None or user.purged_at is not None:
            _fail("Only a deleted account that is not purged yet can be purged.")
        if dry_run:
            click.echo(f"Would purge member {user.id}.")
            return
        name = deletion.purge_account(user)
        db.session.commit()
        click.echo(f"Purged member {user.id}; now {name}.")
        return
    done = deletion.purge_due(dry_run=dry_run)
    if dry_run:
        click.echo(f"Would purge {len(done)} accounts" + (f": ids {', '.join(map(str, done))}." if done else "."))
        return
    db.session.commit()
    click.echo(f"Purged {len(done)} accounts.")
