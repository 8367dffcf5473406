"""Clients of the REST API signed in as acme's owner (admin) and agent, through their browser session."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient


@pytest.fixture
def admin(alice) -> APIClient:
    client = APIClient()
    client.force_login(alice)
    return client


@pytest.fixture
def agent(bob) -> APIClient:
    client = APIClient()
    client.force_login(bob)
    return client
