"""`flask forum import-q2a` and `flask forum import-stackexchange`: progress, summary, exit status."""
import os
import sys
import time

import click
from sqlalchemy.exc import SQLAlchemyError

from forum.extensions import db
from forum.importers.common import ImportFailed


class Progress:
    """One click progress bar per stage; calling it starts the next stage."""

    def __init__(self):
        self.bar = None

    def __call__(self, stage, total):
        self.close()
        self.bar = click.progressbar(length=max(total, 1), label=f"{stage:<14}", file=sys.stderr,
                                     show_pos=True)
        self.bar.__enter__()
        return self.bar.update

    def close(self):
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def _run(what, work):
    started = time.monotonic()
    progress = Progress()
    try:
        report, drift = work(progress)
    except ImportFailed as error:
        progress.close()
        db.session.rollback()
        click.echo(f"Not imported: {error.message}", err=True)
        sys.exit(1)
    except SQLAlchemyError as error:
        progress.close()
        db.session.rollback()
        click.echo(f"Import stopped by a database error: {error.__class__.__name__}: "
                   f"{str(error.orig if hasattr(error, 'orig') else error).splitlines()[0]}. "
                   "Batches committed before it are kept; the batch in progress was rolled back; "
                   "run the command again to continue.", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        progress.close()
        db.session.rollback()
        click.echo("Interrupted: the batch in progress was rolled back; run the command again to continue.",
                   err=True)
        sys.exit(130)
    finally:
        progress.close()
    for line in report.lines():
        click.echo(line)
    click.echo(f"{what} import finished in {time.monotonic() - started:.1f} s.")
    if drift:
        for line in drift[:20]:
            click.echo(f"  drift: {line}")
        click.echo(f"flask forum check: {len(drift)} counters drifted.", err=True)
        sys.exit(1)
    click.echo("flask forum check: all counters match their recount.")
    if report.errors:
        sys.exit(1)


@click.command("import-q2a")
@click.argument("database_url")
@click.option("--prefix", default="qa_", show_default=True, help="The Question2Answer table prefix.")
@click.option("--jobs", default=os.cpu_count() or 1, show_default=True,
              help="Processes rendering post bodies (used for large sites).")
def import_q2a(database_url, prefix, jobs):
    """Import a Question2Answer site from its MySQL/MariaDB database (mysql://user:pw@host/db).

    Safe to re-run: what is already here is skipped, and an interrupted run continues.
    """
    from forum.importers import q2a

    _run("Question2Answer", lambda progress: q2a.import_site(database_url, prefix=prefix, jobs=max(1, jobs),
                                                             progress=progress))


@click.command("import-stackexchange")
@click.argument("folder", type=click.Path(file_okay=False, path_type=str))
@click.option("--site", help="The site's host name, e.g. cooking.stackexchange.com "
                             "(default: from the folder's name).")
def import_stackexchange(folder, site):
    """Import a Stack Exchange data dump folder (Posts.xml, Users.xml, Votes.xml, Comments.xml, ...).

    Safe to re-run: what is already here is skipped, and an interrupted run continues.
    """
    from forum.importers import stackexchange

    _run("Stack Exchange", lambda progress: stackexchange.import_dump(folder, site=site, progress=progress))


def register(group):
    group.add_command(import_q2a)
    group.add_command(import_stackexchange)
