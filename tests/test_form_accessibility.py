"""Form errors are tied to their fields, summed up at the top, announced and focused."""
import re

from tests.test_browser_accessibility import AXE, AXE_OPTIONS, FAILING_IMPACTS, describe


def test_errors_are_tied_to_their_fields_and_summed_up(client):
    response = client.post("/register", data={"username": "sam", "email": "not an address",
                                              "password": "a long enough password", "confirm": "y"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    summary = re.search(r'<div class="error-summary" role="alert" tabindex="-1" autofocus>(.*?)</div>', html, re.S)
    assert summary, "no error summary"
    links = re.findall(r'<a href="#([a-z_]+)">', summary.group(1))
    assert {"email", "confirm"} <= set(links)
    for name in links:
        field = re.search(rf'<(?:input|textarea|select)[^>]*\bid="{name}"[^>]*>', html).group(0)
        assert 'aria-invalid="true"' in field
        described = re.search(r'aria-describedby="([^"]+)"', field).group(1).split()
        assert f"{name}-error" in described
        assert f'id="{name}-error"' in html
    assert 'value="sam"' in html  # what was typed is kept


def test_a_valid_form_has_no_summary(client):
    html = client.get("/register").get_data(as_text=True)
    assert "error-summary" not in html and "aria-invalid" not in html


def test_the_summary_is_focused_and_links_to_its_fields(live_server, page):
    page.goto(live_server.url + "/register")
    page.get_by_label("Email").fill("not an address")
    page.get_by_role("button", name="Create account").click()
    summary = page.locator(".error-summary")
    summary.wait_for()
    assert page.evaluate("document.activeElement.className") == "error-summary"
    summary.get_by_role("link").first.click()
    assert page.evaluate("document.activeElement.id") == summary.get_by_role("link").first.get_attribute(
        "href").lstrip("#")
    serious = [describe(v, "register with errors") for v in AXE.run(page, options=AXE_OPTIONS).response["violations"]
               if v["impact"] in FAILING_IMPACTS]
    assert not serious, "\n".join(serious)
