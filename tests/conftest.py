"""Test configuration: fixture modules are loaded as plugins; hypothesis profiles."""
import os

from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

#: CI (CI=true): reproducible examples and no per-example deadline on a busy 2-core machine.
#: Tests choose their own number of examples; this profile only makes CI runs repeatable.
hypothesis_settings.register_profile(
    "forum-ci", derandomize=True, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
hypothesis_settings.register_profile("forum-dev", deadline=None)
hypothesis_settings.load_profile(
    "forum-ci" if os.environ.get("CI", "").lower() in ("1", "true", "yes") else "forum-dev")

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
