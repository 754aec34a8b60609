"""Fixture modules shared by the test files, with pytest's assertion rewriting."""

import pytest

pytest.register_assert_rewrite("tests.gateway_support", "tests.serve_support", "tests.partner_backend_support")
pytest_plugins = ("tests.gateway_support", "tests.partner_backend_support")
