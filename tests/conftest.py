"""Test configuration: fixture modules are loaded as plugins."""
pytest_plugins = [
    "tests.fixtures.app",
    "tests.fixtures.users",
    "tests.fixtures.network",
    "tests.fixtures.live",
    "tests.fixtures.mail",
]


def pytest_collection_modifyitems(config, items):
    """Mark every test that uses a browser page, so CI can run them once."""
    import pytest

    for item in items:
        if {"page", "page_without_js", "browser"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.browser)
