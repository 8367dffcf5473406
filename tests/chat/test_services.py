from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from chat import events, selectors, services, tokens
from chat.models import ChatMessage, Conversation, Sender, Status
from helpdesk import ratelimit
from tenants.models import Membership
from tenants.rls import tenant_context
from tests.factories import ConversationFactory, MembershipFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversation(acme):
    return ConversationFactory(tenant=acme)


class Recorder:
    def __init__(self, signal):
        self.calls: list[dict] = []
        self.signal = signal
        signal.connect(self.receive, weak=False)

    def receive(self, sender, signal, **kwargs):
        self.calls.append(kwargs)

    def close(self):
        self.signal.disconnect(self.receive)


@pytest.fixture
def posted():
    recorder = Recorder(events.customer_message_posted)
    yield recorder
    recorder.close()


@pytest.fixture
def handed_off():
    recorder = Recorder(events.conversation_handed_off)
    yield recorder
    recorder.close()


class TestCustomerMessages:
    def test_messages_get_consecutive_sequence_numbers(self, in_acme, conversation):
        first = services.post_customer_message(tenant=in_acme, conversation=conversation, text="Hi", client_msg_id="a")
        second = services.post_customer_message(tenant=in_acme, conversation=conversation, text="Yo", client_msg_id="b")
        assert (first.seq, second.seq) == (1, 2)
        conversation.refresh_from_db()
        assert conversation.last_seq == 2

    def test_a_resend_with_the_same_client_id_is_idempotent(self, in_acme, conversation, posted,
                                                            django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            first = services.post_customer_message(tenant=in_acme, conversation=conversation, text="Hi",
                                                   client_msg_id="same")
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            again = services.post_customer_message(tenant=in_acme, conversation=conversation, text="Hi",
                                                   client_msg_id="same")
        assert again.id == first.id
        assert callbacks == []  # nothing broadcast, no second event
        assert ChatMessage.objects.filter(conversation=conversation).count() == 1
        conversation.refresh_from_db()
        assert conversation.last_seq == 1
        assert posted.calls == [{"tenant_id": in_acme.id, "conversation_id": conversation.id,
                                 "message_id": first.id}]

    @pytest.mark.parametrize("text", ["", "   ", None, 42, "x" * 4001])
    def test_bad_text_is_a_field_error(self, in_acme, conversation, text):
        with pytest.raises(ValidationError) as exc:
            services.post_customer_message(tenant=in_acme, conversation=conversation, text=text, client_msg_id="c")
        assert "text" in exc.value.message_dict
        assert not ChatMessage.objects.exists()

    def test_a_closed_conversation_takes_no_messages(self, in_acme, conversation, alice):
        services.close(tenant=in_acme, conversation=conversation, actor=alice, resolved=True)
        with pytest.raises(ValidationError):
            services.post_customer_message(tenant=in_acme, conversation=conversation, text="Hi", client_msg_id="z")


class TestBot:
    def test_the_bot_speaks_in_the_bot_state_with_citations(self, in_acme, conversation):
        reply = services.post_bot_reply(tenant=in_acme, conversation=conversation, text="See this.",
                                        citations=[{"title": "Cards", "url": "/h/acme/cards/"}])
        assert reply is not None and reply.sender == Sender.BOT
        assert reply.citations == [{"title": "Cards", "url": "/h/acme/cards/"}]

    def test_the_bot_is_silent_while_waiting(self, in_acme, conversation):
        services.handoff(tenant=in_acme, conversation=conversation, summary="s", sources=[], reason="low_confidence")
        before = ChatMessage.objects.count()
        assert services.post_bot_reply(tenant=in_acme, conversation=conversation, text="Hi", citations=[]) is None
        assert ChatMessage.objects.count() == before

    def test_a_take_over_silences_the_bot_for_good_even_after_reopen(self, in_acme, conversation, bob):
        services.agent_take_over(tenant=in_acme, conversation=conversation, agent=bob)
        services.close(tenant=in_acme, conversation=conversation, actor=bob, resolved=True)
        reopened = services.reopen(tenant=in_acme, conversation=conversation, actor=bob)
        assert reopened.status == Status.WAITING
        assert services.post_bot_reply(tenant=in_acme, conversation=conversation, text="Hi", citations=[]) is None
        assert not ChatMessage.objects.filter(sender=Sender.BOT).exists()


class TestHandoff:
    def test_handoff_moves_to_waiting_with_a_summary_for_agents(self, in_acme, conversation, handed_off,
                                                               django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            result = services.handoff(tenant=in_acme, conversation=conversation, summary="Card blocked abroad",
                                      sources=[{"title": "Travel", "url": "/t"}], reason="low_confidence")
        assert result.status == Status.WAITING
        assert result.handoff_summary == "Card blocked abroad"
        assert result.handoff_sources == [{"title": "Travel", "url": "/t"}]
        note = ChatMessage.objects.get(internal=True)
        assert "Card blocked abroad" in note.text
        assert ChatMessage.objects.filter(internal=False, sender=Sender.SYSTEM).count() == 1
        assert handed_off.calls == [{"tenant_id": in_acme.id, "conversation_id": conversation.id}]

    def test_a_second_handoff_changes_nothing(self, in_acme, conversation, bob):
        services.handoff(tenant=in_acme, conversation=conversation, summary="s", sources=[], reason="r")
        services.agent_take_over(tenant=in_acme, conversation=conversation, agent=bob)
        again = services.handoff(tenant=in_acme, conversation=conversation, summary="x", sources=[],
                                 reason="customer_request")
        assert again.status == Status.AGENT

    @pytest.mark.parametrize(("language", "notice"), [
        ("zh", "正在为您转接人工客服，请稍候。"),
        ("zh-Hans", "正在为您转接人工客服，请稍候。"),
        ("en", "We're connecting you with a member of our team. They'll be with you shortly."),
        ("", "We're connecting you with a member of our team. They'll be with you shortly."),
    ])
    def test_the_customer_sees_the_handoff_notice_in_their_language(self, in_acme, conversation, language, notice):
        services.handoff(tenant=in_acme, conversation=conversation, summary="s", sources=[], reason="low_confidence",
                         language=language)
        assert ChatMessage.objects.get(internal=False, sender=Sender.SYSTEM).text == notice

    def test_without_a_language_the_notice_follows_the_conversations_language(self, in_acme, conversation):
        # The "talk to a human" button passes no language: triage has recorded the customer's.
        Conversation.objects.filter(id=conversation.id).update(language="zh")
        services.handoff(tenant=in_acme, conversation=conversation, summary="s", sources=[],
                         reason="customer_request")
        assert ChatMessage.objects.get(internal=False, sender=Sender.SYSTEM).text == "正在为您转接人工客服，请稍候。"

    def test_customer_summary_quotes_what_they_wrote(self, in_acme, conversation):
        services.post_customer_message(tenant=in_acme, conversation=conversation, text="My card is lost",
                                       client_msg_id="1")
        summary = services.customer_handoff_summary(tenant=in_acme, conversation=conversation)
        assert "My card is lost" in summary


class TestAgents:
    def test_only_the_assigned_agent_replies(self, in_acme, conversation, alice, bob):
        with pytest.raises(PermissionDenied):
            services.agent_reply(tenant=in_acme, conversation=conversation, agent=bob, text="Hi")
        services.agent_take_over(tenant=in_acme, conversation=conversation, agent=bob)
        with pytest.raises(ValidationError):
            services.agent_take_over(tenant=in_acme, conversation=conversation, agent=alice)
        with pytest.raises(PermissionDenied):
            services.agent_reply(tenant=in_acme, conversation=conversation, agent=alice, text="Hi")
        reply = services.agent_reply(tenant=in_acme, conversation=conversation, agent=bob, text="Hi", client_msg_id="r")
        assert reply.sender == Sender.AGENT and reply.author == bob
        assert services.agent_reply(tenant=in_acme, conversation=conversation, agent=bob, text="Hi",
                                    client_msg_id="r").id == reply.id

    def test_another_tenants_user_cannot_take_over(self, in_acme, conversation, carol):
        with pytest.raises(PermissionDenied):
            services.agent_take_over(tenant=in_acme, conversation=conversation, agent=carol)

    def test_notes_are_internal(self, in_acme, conversation, alice):
        note = services.note_add(tenant=in_acme, conversation=conversation, agent=alice, text="VIP customer")
        assert note.internal
        assert selectors.recent_messages(tenant=in_acme, conversation=conversation, limit=10) == []

    def test_transfer_to_an_agent_or_a_team(self, in_acme, conversation, alice, bob, globex):
        TeamFactory(tenant=in_acme, name="Billing")
        TeamFactory(tenant=globex, name="Fraud")
        services.agent_take_over(tenant=in_acme, conversation=conversation, agent=alice)
        moved = services.transfer(tenant=in_acme, conversation=conversation, actor=alice, to_agent=bob)
        assert (moved.status, moved.assigned_agent_id) == (Status.AGENT, bob.id)
        queued = services.transfer(tenant=in_acme, conversation=conversation, actor=bob, team="Billing")
        assert (queued.status, queued.assigned_agent_id, queued.team) == (Status.WAITING, None, "Billing")
        with pytest.raises(ValidationError):
            services.transfer(tenant=in_acme, conversation=conversation, actor=bob)
        with pytest.raises(ValidationError):  # another tenant's team
            services.transfer(tenant=in_acme, conversation=conversation, actor=bob, team="Fraud")

    def test_transfer_to_another_tenants_user_is_refused(self, in_acme, conversation, alice, carol):
        services.agent_take_over(tenant=in_acme, conversation=conversation, agent=alice)
        with pytest.raises(ValidationError):
            services.transfer(tenant=in_acme, conversation=conversation, actor=alice, to_agent=carol)

    def test_read_markers_only_move_forward(self, in_acme, conversation):
        for n in range(3):
            services.post_customer_message(tenant=in_acme, conversation=conversation, text="x", client_msg_id=str(n))
        assert services.mark_read(tenant=in_acme, conversation=conversation, by_customer=False, seq=2) == 2
        assert services.mark_read(tenant=in_acme, conversation=conversation, by_customer=False, seq=1) == 2
        assert services.mark_read(tenant=in_acme, conversation=conversation, by_customer=False, seq=99) == 3


class TestRating:
    def test_rating_needs_a_closed_chat_and_a_score_from_1_to_5(self, in_acme, conversation, bob):
        with pytest.raises(ValidationError):
            services.rate(tenant=in_acme, conversation=conversation, score=5)
        services.close(tenant=in_acme, conversation=conversation, actor=bob, resolved=True)
        for bad in (0, 6, "5", True, None):
            with pytest.raises(ValidationError):
                services.rate(tenant=in_acme, conversation=conversation, score=bad)
        rated = services.rate(tenant=in_acme, conversation=conversation, score=4, comment="Quick")
        assert (rated.csat_score, rated.csat_comment) == (4, "Quick")
        with pytest.raises(ValidationError):
            services.rate(tenant=in_acme, conversation=conversation, score=1)


class TestPostingScopesItself:
    """chat_message_post sets the tenant itself, so the chat sockets call it outside a transaction."""

    @pytest.mark.django_db(transaction=True)
    def test_outside_a_transaction_a_message_is_stored_and_committed(self, acme):
        conversation = ConversationFactory(tenant=acme)
        message = services.post_customer_message(tenant=acme, conversation=conversation, text="Hi",
                                                 client_msg_id="x1")
        assert (message.seq, message.text, message.sender) == (1, "Hi", Sender.CUSTOMER)
        with tenant_context(acme.id):
            stored = ChatMessage.objects.for_tenant(acme).get(id=message.id)
            assert stored.seq == 1 and Conversation.objects.get(id=conversation.id).last_seq == 1

    @pytest.mark.django_db(transaction=True)
    def test_a_tenant_cannot_post_into_another_tenants_conversation(self, acme, globex):
        theirs = ConversationFactory(tenant=globex)
        theirs.tenant = acme  # a forged object: the statement still runs as acme, and sees no such conversation
        with pytest.raises(ValidationError, match="No such conversation"):
            services.post_customer_message(tenant=acme, conversation=theirs, text="Hi", client_msg_id="x")
        with tenant_context(globex.id):
            assert not ChatMessage.objects.filter(conversation_id=theirs.id).exists()
            assert Conversation.objects.get(id=theirs.id).last_seq == 0


class TestSelectors:
    def test_another_tenants_conversation_is_a_404(self, acme, globex):
        theirs = ConversationFactory(tenant=globex)
        with tenant_context(acme.id), pytest.raises(Http404):
            selectors.conversation_get(tenant=acme, conversation_id=theirs.id)

    def test_recent_messages_are_the_last_turns_oldest_first(self, in_acme, conversation):
        for n in range(5):
            services.post_customer_message(tenant=in_acme, conversation=conversation, text=f"m{n}",
                                           client_msg_id=str(n))
        assert [m.text for m in selectors.recent_messages(tenant=in_acme, conversation=conversation, limit=3)] == [
            "m2", "m3", "m4"]

    def test_transcript_has_sender_text_and_time(self, in_acme, conversation, bob):
        services.post_customer_message(tenant=in_acme, conversation=conversation, text="Hi", client_msg_id="1")
        services.note_add(tenant=in_acme, conversation=conversation, agent=bob, text="secret")
        transcript = services.conversation_transcript(tenant=in_acme, conversation=conversation)
        assert [(i["sender"], i["text"]) for i in transcript] == [("customer", "Hi")]
        assert transcript[0]["created_at"] <= timezone.now()

    def test_only_online_agents_are_available(self, acme, globex, alice, bob):
        MembershipFactory(tenant=globex, user=UserFactory(), presence="online")
        with tenant_context(acme.id):
            Membership.objects.filter(user=bob).update(presence="online")
            Membership.objects.filter(user=alice).update(presence="away")
            assert [m.user for m in selectors.available_agents(tenant=acme)] == [bob]


class TestTokensAndLimits:
    def test_a_token_only_works_for_its_tenant(self, acme, globex):
        token = tokens.visitor_token(tenant_id=acme.id, visitor_key="k")
        assert tokens.visitor_key_from_token(tenant_id=acme.id, token=token) == "k"
        assert tokens.visitor_key_from_token(tenant_id=globex.id, token=token) is None
        assert tokens.visitor_key_from_token(tenant_id=acme.id, token=token + "x") is None

    def test_the_fixed_window_counts_in_redis(self):
        scope = f"test:{id(self)}"
        assert all(ratelimit.hit(scope=scope, limit=3) for _ in range(3))
        assert not ratelimit.hit(scope=scope, limit=3)

    def test_chat_start_requires_the_prechat_form_fields(self, in_acme):
        with pytest.raises(ValidationError) as exc:
            services.chat_start(tenant=in_acme, name="", email="nope")
        assert set(exc.value.message_dict) == {"name", "email"}
        session = services.chat_start(tenant=in_acme, name="Ann", email="ann@example.test")
        assert session.conversation.status == Status.BOT
        assert services.visitor_from_token(tenant=in_acme, token=session.token) == session.visitor
        assert Conversation.objects.count() == 1


class TestTickets:
    def _chat(self, tenant, conversation, agent):
        services.post_customer_message(tenant=tenant, conversation=conversation, text="My card is lost",
                                       client_msg_id="1")
        services.agent_take_over(tenant=tenant, conversation=conversation, agent=agent)
        services.agent_reply(tenant=tenant, conversation=conversation, agent=agent, text="I blocked it.")
        services.note_add(tenant=tenant, conversation=conversation, agent=agent, text="internal only")

    def test_an_unresolved_close_makes_a_ticket_with_the_whole_transcript(self, in_acme, conversation, bob):
        from tickets.models import Ticket

        self._chat(in_acme, conversation, bob)
        closed = services.close(tenant=in_acme, conversation=conversation, actor=bob, resolved=False)
        ticket = Ticket.objects.for_tenant(in_acme).get(id=closed.ticket_id)
        bodies = list(ticket.messages.order_by("created_at", "id").values_list("author_type", "body"))
        assert ("customer", "My card is lost") in bodies and ("agent", "I blocked it.") in bodies
        assert [b for _, b in bodies].index("My card is lost") < [b for _, b in bodies].index("I blocked it.")
        assert not any("internal only" in b for _, b in bodies)
        assert ticket.requester.email == conversation.visitor.email
        assert ticket.subject == "Chat: My card is lost"

    def test_a_resolved_close_makes_no_ticket_and_convert_makes_one_later(self, in_acme, conversation, bob):
        self._chat(in_acme, conversation, bob)
        closed = services.close(tenant=in_acme, conversation=conversation, actor=bob, resolved=True)
        assert closed.ticket_id is None
        converted = services.convert_to_ticket(tenant=in_acme, conversation=conversation, actor=bob)
        assert converted.ticket_id is not None
        again = services.convert_to_ticket(tenant=in_acme, conversation=conversation, actor=bob)
        assert again.ticket_id == converted.ticket_id

    def test_converting_an_open_chat_closes_it_unresolved(self, in_acme, conversation, bob):
        self._chat(in_acme, conversation, bob)
        converted = services.convert_to_ticket(tenant=in_acme, conversation=conversation, actor=bob)
        assert (converted.status, converted.resolved) == (Status.CLOSED, False)
        assert converted.ticket_id is not None
