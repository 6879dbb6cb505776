"""Every key page is valid HTML by the Nu Html Checker (vnu.jar from npm, on the machine's Java).

All pages are rendered once and checked by one run of the checker, to keep the JVM
start-up to a single one per test run. Errors fail; warnings are printed.
"""
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from forum.extensions import db
from tests.fixtures.app import build_app, truncate_all
from tests.fixtures.live import require_services
from tests.fixtures.users import PASSWORD
from tests.key_pages import PAGE_NAMES, seed_key_pages

VNU_VERSION = "26.9.27"
VNU_DIR = Path(__file__).resolve().parent.parent / ".cache" / "vnu"
VNU_JAR = VNU_DIR / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
#: The same pages again in an explicit theme, as remembered by the theme cookie.
THEMED = (("home", "dark"), ("question", "light"))
#: Forms sent back with errors, as a guest: name -> (path given the key pages, form data).
WITH_ERRORS = {
    "register-errors": (lambda pages: "/register", {"username": "sam", "email": "not an address", "confirm": "y"}),
    "answer-errors": (lambda pages: pages["question"].path.rsplit("/", 1)[0] + "/answers", {"body": ""}),
    "theme-errors": (lambda pages: "/theme", {"theme": "purple", "next": "/help"}),
}


def _unavailable(reason):
    if require_services():
        pytest.fail(f"{reason} (FORUM_REQUIRE_SERVICES=1)")
    pytest.skip(reason)


def vnu_command():
    """Return the command that runs the checker, fetching vnu.jar with npm on first use."""
    java = shutil.which("java")
    if java is None:
        _unavailable("the HTML check needs Java (apt-get install default-jre-headless)")
    jar = Path(os.environ.get("FORUM_VNU_JAR") or VNU_JAR)
    if not jar.exists():
        npm = shutil.which("npm")
        if npm is None:
            _unavailable(f"the HTML check needs {jar} or npm to fetch vnu-jar")
        VNU_DIR.mkdir(parents=True, exist_ok=True)
        # --ignore-scripts: the package's post-install step would try to download a JRE.
        done = subprocess.run([npm, "install", "--prefix", str(VNU_DIR), "--no-save", "--no-audit",
                               "--no-fund", "--ignore-scripts", f"vnu-jar@{VNU_VERSION}"],
                              capture_output=True, text=True, timeout=300)
        if done.returncode != 0 or not jar.exists():
            _unavailable(f"npm could not fetch vnu-jar: {done.stderr.strip()[-500:]}")
    return [java, "-Xss4m", "-jar", str(jar), "--format", "json", "--stdout"]


def _render_pages(app):
    """Render each key page (and the themed variants) as its viewer sees it; return name -> HTML."""
    with app.app_context():
        pages = {page.name: page for page in seed_key_pages()}
        db.session.remove()
    assert set(pages) == set(PAGE_NAMES)
    # Requests run outside any app context, so each gets its own `g` and login state.
    rendered = {}
    variants = [(name, None) for name in PAGE_NAMES] + list(THEMED)
    for name, theme in variants:
        page = pages[name]
        client = app.test_client()
        if theme:
            client.set_cookie("theme", theme)
        if page.viewer:
            response = client.post("/login", data={"username": page.viewer, "password": PASSWORD})
            assert response.status_code == 302, f"{page.viewer} could not log in"
        response = client.get(page.path)
        assert response.status_code == 200, f"{page.path} answered {response.status_code}"
        rendered[f"{name}-{theme}" if theme else name] = response.get_data(as_text=True)
    for name, (path, data) in WITH_ERRORS.items():
        path = path(pages)
        response = app.test_client().post(path, data=data)
        assert response.status_code == 400, f"POST {path} answered {response.status_code}"
        rendered[name] = response.get_data(as_text=True)
    return rendered


@pytest.fixture(scope="session")
def html_report(database_url, tmp_path_factory):
    """Render every key page, check them all in one run of vnu; return name -> messages."""
    command = vnu_command()
    app = build_app(database_url, tmp_path_factory.mktemp("vnu-instance"))
    try:
        rendered = _render_pages(app)
    finally:
        with app.app_context():
            truncate_all()
            db.engine.dispose()
    folder = tmp_path_factory.mktemp("vnu-pages")
    files = {}
    for name, html in rendered.items():
        path = folder / f"{name}.html"
        path.write_text(html, encoding="utf-8")
        files[path.resolve().as_uri()] = name
    done = subprocess.run(command + sorted(str(folder / f"{name}.html") for name in rendered),
                          capture_output=True, text=True, timeout=300)
    try:
        messages = json.loads(done.stdout)["messages"]
    except (ValueError, KeyError):
        pytest.fail(f"vnu gave no report (exit {done.returncode}): {done.stderr[-2000:]}")
    report = {name: [] for name in rendered}
    for message in messages:
        url = message.get("url", "")
        name = files.get(url) or files.get(url.replace("file:/", "file:///", 1))
        if name is None:  # a message about the run itself, not a page
            pytest.fail(f"vnu: {message}")
        report[name].append(message)
    return report, rendered


def _describe(message, html):
    line = message.get("lastLine")
    source = html.splitlines()[line - 1].strip()[:200] if line else ""
    return (f"  line {line}: {message.get('message')}\n"
            f"    extract: {message.get('extract', '').strip()!r}\n    source: {source}")


@pytest.mark.parametrize("name", list(PAGE_NAMES) + [f"{name}-{theme}" for name, theme in THEMED]
                         + list(WITH_ERRORS))
def test_page_is_valid_html(html_report, name):
    report, rendered = html_report
    messages = report[name]
    warnings = [m for m in messages if m.get("type") == "info"]
    errors = [m for m in messages if m.get("type") != "info"]
    for warning in warnings:
        print(f"vnu warning on {name}:\n{_describe(warning, rendered[name])}")
    assert not errors, f"{len(errors)} HTML error(s) on the {name} page:\n" + "\n".join(
        _describe(error, rendered[name]) for error in errors)
