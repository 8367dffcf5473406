from __future__ import annotations

import io

import pytest

from chat import seed
from chat.models import Conversation, Status

pytestmark = pytest.mark.django_db


def test_the_demo_seed_is_idempotent(in_acme, alice):
    seed.seed(tenant=in_acme, stdout=io.StringIO())
    seed.seed(tenant=in_acme, stdout=io.StringIO())
    assert sorted(Conversation.objects.values_list("status", flat=True)) == [Status.CLOSED, Status.WAITING]
    waiting = Conversation.objects.get(status=Status.WAITING)
    assert "travel" in waiting.handoff_summary
