"""axe-core in Chromium on every key page, at phone and desktop widths, in light and dark.

No axe rule is disabled and no element excluded; a violation of impact serious or
critical fails. Each page must also fit 360 px (and 320 px) without sideways scrolling.
Screenshots go to tests/artifacts/ (ignored by git).
"""
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.fixtures.users import PASSWORD
from tests.key_pages import seed_key_pages

pytestmark = pytest.mark.browser

WIDTHS = (360, 1280)
THEMES = ("light", "dark")
FAILING_IMPACTS = ("serious", "critical")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
AXE = Axe()
#: Every rule axe runs by default, plus WCAG 2.2's target size (24x24 px), which it leaves off.
#: The other rules off by default are deprecated or AAA.
AXE_OPTIONS = {"resultTypes": ["violations"], "rules": {"target-size": {"enabled": True}}}


def log_in(tab, base, username):
    tab.goto(base + "/login")
    tab.get_by_label("Username").fill(username)
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Log in").click()
    tab.wait_for_url(lambda url: "/login" not in url)


def describe(violation, where):
    targets = "; ".join(" ".join(node["target"]) for node in violation["nodes"][:8])
    more = len(violation["nodes"]) - 8
    return (f"{where}: {violation['id']} ({violation['impact']}) {violation['help']}\n"
            f"    at {targets}{f' and {more} more' if more > 0 else ''}\n    see {violation['helpUrl']}")


def test_key_pages_have_no_serious_axe_violations(live_server, browser):
    pages = seed_key_pages()
    ARTIFACTS.mkdir(exist_ok=True)
    tabs = {}
    failures, notes, overflow, misplaced = [], [], [], []
    try:
        for key_page in pages:
            if key_page.viewer not in tabs:
                context = browser.new_context(color_scheme="light", viewport={"width": 1280, "height": 900})
                tabs[key_page.viewer] = context.new_page()
                if key_page.viewer:
                    log_in(tabs[key_page.viewer], live_server.url, key_page.viewer)
            tab = tabs[key_page.viewer]
            for width in WIDTHS:
                tab.set_viewport_size({"width": width, "height": 900})
                tab.emulate_media(color_scheme="light")
                response = tab.goto(live_server.url + key_page.path)
                assert response.status == 200, f"{key_page.path} at {width}px: HTTP {response.status}"
                first_links = tab.locator("header a").all_text_contents()[:2]
                if first_links[1:] != ["Need help now?"]:
                    misplaced.append(f"{key_page.name}: the header starts with {first_links}")
                if width == 360:
                    # No sideways scrolling at 360 px, nor at the narrowest phones' 320 px.
                    for narrow in (360, 320):
                        tab.set_viewport_size({"width": narrow, "height": 900})
                        scroll_width = tab.evaluate("document.documentElement.scrollWidth")
                        if scroll_width > narrow:
                            overflow.append(f"{key_page.name} ({key_page.path}) is {scroll_width}px wide "
                                            f"at {narrow}px")
                    tab.set_viewport_size({"width": width, "height": 900})
                # One load, both themes: the page follows the system setting without reloading.
                for theme in THEMES:
                    where = f"{key_page.name} ({key_page.path}) at {width}px, {theme}"
                    tab.emulate_media(color_scheme=theme)
                    tab.screenshot(path=ARTIFACTS / f"{key_page.name}-{width}-{theme}.png", full_page=True)
                    for violation in AXE.run(tab, options=AXE_OPTIONS).response["violations"]:
                        (failures if violation["impact"] in FAILING_IMPACTS else notes).append(
                            describe(violation, where))
    finally:
        for tab in tabs.values():
            tab.context.close()
    print(f"screenshots: {ARTIFACTS}")
    for note in notes:
        print(f"axe (not failing): {note}")
    problems = failures + overflow + misplaced
    assert not problems, f"{len(failures)} serious or critical axe violation(s), " \
        f"{len(overflow)} page(s) wider than the screen, {len(misplaced)} without the help link " \
        "right after the site name:\n" + "\n".join(problems)


def test_axe_finds_a_missing_label_and_low_contrast(page):
    """The check itself works here: a bad page fails it."""
    page.set_content('<!doctype html><html lang="en"><head><title>Bad</title></head><body><main>'
                     '<input type="text"><p style="color:#bbb;background:#fff">faint</p></main></body></html>')
    violations = AXE.run(page, options=AXE_OPTIONS).response["violations"]
    found = {(v["id"], v["impact"]) for v in violations}
    assert ("label", "critical") in found and ("color-contrast", "serious") in found
    message = describe(next(v for v in violations if v["id"] == "label"), "bad page")
    assert message.startswith("bad page: label (critical) Form elements must have labels\n    at input")


def test_the_skip_link_comes_first_and_focus_is_never_hidden(live_server, browser):
    pages = {key_page.name: key_page for key_page in seed_key_pages()}
    context = browser.new_context(viewport={"width": 360, "height": 640})
    tab = context.new_page()
    try:
        log_in(tab, live_server.url, "alex")
        tab.goto(live_server.url + pages["question"].path)
        tab.keyboard.press("Tab")
        assert tab.evaluate("document.activeElement.textContent") == "Skip to content"
        tab.keyboard.press("Enter")
        assert tab.evaluate("document.activeElement.id") == "content"
        # Every control, reached by keyboard, is in view and not covered by anything.
        hidden = []
        for _ in range(80):
            tab.keyboard.press("Tab")
            state = tab.evaluate("""() => {
                const el = document.activeElement;
                if (el === document.body) return null;
                const box = el.getBoundingClientRect();
                const x = box.left + Math.min(box.width / 2, 4), y = box.top + box.height / 2;
                const top = document.elementFromPoint(x, y);
                return {name: el.outerHTML.slice(0, 120), seen: !!top && (el.contains(top) || top.contains(el)),
                        width: box.width, height: box.height};
            }""")
            if state is None:
                break
            if not state["seen"]:
                hidden.append(state["name"])
        assert not hidden, "focused but hidden or covered:\n" + "\n".join(hidden)
    finally:
        context.close()


def test_the_question_page_loads_one_stylesheet_and_one_script(live_server, page):
    pages = {key_page.name: key_page for key_page in seed_key_pages()}
    loaded = []
    page.on("request", lambda request: loaded.append((request.resource_type, request.url)))
    page.goto(live_server.url + pages["question"].path)
    page.wait_for_load_state("networkidle")
    kinds = [kind for kind, _ in loaded]
    assert kinds.count("stylesheet") == 1 and kinds.count("script") == 1, loaded
    assert not [url for kind, url in loaded if kind in ("font", "image", "media")], loaded
