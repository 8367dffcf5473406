from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tenants.rls import tenant_context
from tests.factories import (
    MacroFactory,
    MembershipFactory,
    TeamFactory,
    TeamMemberFactory,
    UserFactory,
)
from tickets import events, selectors, services
from tickets.models import Message, Status, Ticket, TicketEvent

pytestmark = pytest.mark.django_db


def _create(tenant, **kwargs):
    data = {"subject": "Card not arrived", "body": "My card has not arrived yet.", "channel": "web",
            "requester_email": "Jane@Example.test", "requester_name": "Jane"}
    data.update(kwargs)
    return services.ticket_create(tenant=tenant, **data)


class TestCreate:
    def test_it_numbers_tickets_per_tenant(self, in_acme, globex):
        first, second = _create(in_acme), _create(in_acme)
        with tenant_context(globex.id):
            other = _create(globex)
        assert (first.number, second.number, other.number) == (1, 2, 1)

    def test_the_customer_message_is_the_first_message_and_the_contact_is_reused(self, in_acme):
        first = _create(in_acme)
        second = _create(in_acme, requester_email="jane@example.test")
        assert first.requester_id == second.requester_id
        assert first.requester.email == "jane@example.test"
        message = first.messages.get()
        assert (message.author_type, message.kind) == ("customer", "reply")
        assert message.body == "My card has not arrived yet."

    def test_it_announces_creation_and_the_message_on_commit(self, in_acme, django_capture_on_commit_callbacks):
        received = []

        def on_created(sender, **kwargs):
            received.append(("created", kwargs["tenant_id"], kwargs["ticket_id"]))

        def on_posted(sender, **kwargs):
            received.append(("posted", kwargs["tenant_id"], kwargs["message_id"]))

        events.ticket_created.connect(on_created)
        events.message_posted.connect(on_posted)
        try:
            with django_capture_on_commit_callbacks(execute=False) as callbacks:
                ticket = _create(in_acme)
            assert received == []  # nothing before commit
            for callback in callbacks:
                # The channel-layer and broker calls among them are not under test here.
                with contextlib.suppress(Exception):
                    callback()
        finally:
            events.ticket_created.disconnect(on_created)
            events.message_posted.disconnect(on_posted)
        assert ("created", in_acme.id, ticket.id) in received
        assert ("posted", in_acme.id, ticket.messages.get().id) in received

    @pytest.mark.parametrize(("field", "kwargs"), [
        ("channel", {"channel": "fax"}),
        ("priority", {"priority": "critical"}),
        ("subject", {"subject": "  "}),
        ("body", {"body": ""}),
        ("requester_email", {"requester_email": "not-an-email"}),
    ])
    def test_bad_input_names_the_field(self, in_acme, field, kwargs):
        with pytest.raises(ValidationError) as exc:
            _create(in_acme, **kwargs)
        assert field in exc.value.message_dict

    def test_oversized_attachment_is_refused(self, in_acme, settings):
        settings.MAX_ATTACHMENT_BYTES = 10
        with pytest.raises(ValidationError) as exc:
            _create(in_acme, attachments=[services.AttachmentIn("big.bin", "application/octet-stream", b"x" * 11)])
        assert "attachments" in exc.value.message_dict
        assert not Ticket.objects.exists()

    def test_sla_due_times_come_from_the_default_policy(self, in_acme, acme_sla):
        ticket = _create(in_acme, priority="urgent")
        assert ticket.first_response_due_at - ticket.created_at == timedelta(minutes=30)
        assert ticket.resolution_due_at - ticket.created_at == timedelta(minutes=240)

    def test_chat_hand_off_keeps_the_transcript(self, in_acme):
        t0 = timezone.now() - timedelta(minutes=5)
        transcript = [
            {"sender": "customer", "text": "I was charged twice", "created_at": t0},
            {"sender": "bot", "text": "Let me look that up.", "created_at": t0 + timedelta(seconds=5)},
            {"sender": "customer", "text": "A human please", "created_at": t0 + timedelta(seconds=30)},
        ]
        ticket = services.ticket_create_from_chat(tenant=in_acme, customer_email=None, customer_name="Visitor",
                                                  subject="Charged twice", transcript=transcript)
        messages = list(ticket.messages.order_by("id"))
        assert ticket.channel == "chat"
        assert [(m.author_type, m.body) for m in messages] == [
            ("customer", "I was charged twice"), ("bot", "Let me look that up."), ("customer", "A human please")]
        assert messages[0].created_at == t0

    def test_chat_hand_off_rejects_unknown_senders(self, in_acme):
        with pytest.raises(ValidationError) as exc:
            services.ticket_create_from_chat(tenant=in_acme, customer_email=None, customer_name="", subject="x",
                                             transcript=[{"sender": "robot", "text": "hi",
                                                          "created_at": timezone.now()}])
        assert "transcript" in exc.value.message_dict


class TestReplyAndStatus:
    def test_reply_stops_the_first_response_clock_and_opens_the_ticket(self, in_acme, alice, acme_sla):
        ticket = _create(in_acme)
        message = services.ticket_reply(tenant=in_acme, ticket=ticket, author=alice, body="We're on it.")
        ticket.refresh_from_db()
        assert ticket.first_response_at == message.created_at
        assert ticket.status == Status.OPEN
        assert message.message_id.startswith("<") and message.author_type == "agent"

    def test_a_note_changes_no_clock(self, in_acme, alice):
        ticket = _create(in_acme)
        note = services.ticket_note(tenant=in_acme, ticket=ticket, author=alice, body="VIP customer")
        ticket.refresh_from_db()
        assert note.kind == "note" and ticket.first_response_at is None and ticket.status == Status.NEW

    def test_transitions_are_enforced(self, in_acme, alice):
        ticket = _create(in_acme)
        services.ticket_set_status(tenant=in_acme, ticket=ticket, status="closed", actor=alice)
        with pytest.raises(ValidationError) as exc:
            services.ticket_set_status(tenant=in_acme, ticket=ticket, status="open", actor=alice)
        assert "cannot become" in exc.value.message_dict["status"][0]
        with pytest.raises(ValidationError) as exc:
            services.ticket_set_status(tenant=in_acme, ticket=ticket, status="bogus", actor=alice)
        assert "Unknown status" in exc.value.message_dict["status"][0]

    def test_status_changes_are_recorded_as_events(self, in_acme, alice):
        ticket = _create(in_acme)
        services.ticket_set_status(tenant=in_acme, ticket=ticket, status="pending", actor=alice)
        event = TicketEvent.objects.filter(ticket=ticket, kind="status.changed").get()
        assert event.actor == alice and event.data == {"field": "status", "from": "new", "to": "pending"}

    def test_pending_pauses_the_sla_and_resuming_shifts_the_due_times(self, in_acme, alice, acme_sla):
        ticket = _create(in_acme)
        due = ticket.resolution_due_at
        services.ticket_set_status(tenant=in_acme, ticket=ticket, status="pending", actor=alice)
        Ticket.objects.filter(id=ticket.id).update(sla_paused_at=timezone.now() - timedelta(hours=2))
        ticket.refresh_from_db()
        # While pending nothing breaches, even long past the due time.
        assert services.sla_mark_breaches(tenant=in_acme, now=due + timedelta(days=1)) == 0
        services.ticket_set_status(tenant=in_acme, ticket=ticket, status="open", actor=alice)
        ticket.refresh_from_db()
        assert ticket.sla_paused_at is None
        assert timedelta(hours=2) <= ticket.resolution_due_at - due < timedelta(hours=2, minutes=1)

    def test_customer_reply_reopens_a_pending_ticket(self, in_acme, alice):
        ticket = _create(in_acme)
        services.ticket_set_status(tenant=in_acme, ticket=ticket, status="pending", actor=alice)
        services.ticket_customer_message(tenant=in_acme, ticket=ticket, customer=ticket.requester, body="Still broken")
        ticket.refresh_from_db()
        assert ticket.status == Status.OPEN


class TestSla:
    def test_breaches_are_marked_once(self, in_acme, acme_sla):
        ticket = _create(in_acme, priority="urgent")
        later = ticket.created_at + timedelta(minutes=31)
        assert services.sla_mark_breaches(tenant=in_acme, now=later) == 1
        assert services.sla_mark_breaches(tenant=in_acme, now=later) == 0
        ticket.refresh_from_db()
        assert ticket.first_response_breached_at == later and ticket.resolution_breached_at is None
        assert TicketEvent.objects.filter(ticket=ticket, kind="sla.breached").count() == 1

    def test_answered_tickets_do_not_breach_first_response(self, in_acme, alice, acme_sla):
        ticket = _create(in_acme, priority="urgent")
        services.ticket_reply(tenant=in_acme, ticket=ticket, author=alice, body="Hi")
        assert services.sla_mark_breaches(tenant=in_acme, now=ticket.created_at + timedelta(minutes=31)) == 0

    def test_business_hours_skip_nights_and_weekends(self):
        hours = {"days": [0, 1, 2, 3, 4], "start": "09:00", "end": "17:00"}
        friday_4pm = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)
        # One hour left on Friday, the second hour on Monday morning.
        assert services.add_business_minutes(friday_4pm, 120, hours) == datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
        saturday = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
        assert services.add_business_minutes(saturday, 30, hours) == datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
        assert services.add_business_minutes(saturday, 30, {}) == saturday + timedelta(minutes=30)

    def test_business_hours_follow_the_policys_time_zone_across_dst(self):
        berlin = {"days": [0, 1, 2, 3, 4], "start": "09:00", "end": "17:00", "timezone": "Europe/Berlin"}
        # Friday 24 October 2025 16:00 in Berlin (14:00 UTC, summer time); clocks go back on Sunday 26th, so
        # Monday 09:00 Berlin is 08:00 UTC: one hour on Friday, the second on Monday 09:00-10:00 local.
        friday = datetime(2025, 10, 24, 14, 0, tzinfo=UTC)
        assert services.add_business_minutes(friday, 120, berlin) == datetime(2025, 10, 27, 9, 0, tzinfo=UTC)
        new_york = {**berlin, "timezone": "America/New_York"}
        # The same instant is 10:00 in New York (summer time until 2 November): inside its working day.
        assert services.add_business_minutes(friday, 60, new_york) == datetime(2025, 10, 24, 15, 0, tzinfo=UTC)

    @pytest.mark.parametrize(("hours", "message"), [
        ({"timezone": "Mars/Olympus"}, "Unknown time zone"),
        ({"start": "17:00", "end": "09:00"}, "must end after it starts"),
        ({"start": "9h"}, "times such as 09:00"),
        ({"days": [7]}, "weekday numbers"),
        ({"days": []}, "weekday numbers"),
    ])
    def test_bad_business_hours_are_field_errors(self, in_acme, hours, message):
        with pytest.raises(ValidationError) as error:
            services.sla_policy_save(tenant=in_acme, name="SLA", targets={"normal": {"first_response": 60}},
                                     business_hours=hours)
        assert message in " ".join(error.value.message_dict["business_hours"])


class TestAssignment:
    def test_manual_assignment_needs_a_member_of_the_tenant(self, in_acme, alice, carol):
        ticket = _create(in_acme)
        services.ticket_assign(tenant=in_acme, ticket=ticket, assignee_id=alice.id, actor=alice)
        assert Ticket.objects.get(id=ticket.id).assignee == alice
        with pytest.raises(ValidationError) as exc:
            services.ticket_assign(tenant=in_acme, ticket=ticket, assignee_id=carol.id, actor=alice)
        assert "assignee" in exc.value.message_dict

    def test_round_robin_rotates_among_available_members(self, acme, alice, bob):
        team = TeamFactory(tenant=acme, name="Cards")
        TeamMemberFactory(tenant=acme, team=team, user=alice)
        TeamMemberFactory(tenant=acme, team=team, user=bob)
        away = UserFactory(email="away@acme.test")
        MembershipFactory(tenant=acme, user=away)
        TeamMemberFactory(tenant=acme, team=team, user=away, is_available=False)
        with tenant_context(acme.id):
            assignees = []
            for _ in range(4):
                ticket = services.ticket_assign_round_robin(tenant=acme, ticket=_create(acme), team=team)
                assignees.append(ticket.assignee_id)
            assert assignees[:2] != [assignees[0]] * 2
            assert sorted(assignees) == sorted([alice.id, bob.id] * 2)
            assert away.id not in assignees
            assert Ticket.objects.get(id=ticket.id).team == team

    def test_round_robin_without_available_agents_is_a_field_error(self, in_acme):
        team = TeamFactory(tenant=in_acme)
        with pytest.raises(ValidationError) as exc:
            services.ticket_assign_round_robin(tenant=in_acme, ticket=_create(in_acme), team=team)
        assert "team" in exc.value.message_dict


class TestTriage:
    def test_triage_raises_priority_but_never_lowers_it(self, in_acme):
        ticket = _create(in_acme, priority="high")
        services.ticket_set_triage(tenant=in_acme, ticket=ticket, category="card_arrival", priority="low",
                                   sentiment="negative", language="en")
        ticket.refresh_from_db()
        assert (ticket.priority, ticket.category, ticket.sentiment, ticket.language) == (
            "high", "card_arrival", "negative", "en")
        services.ticket_set_triage(tenant=in_acme, ticket=ticket, category=None, priority="urgent", sentiment=None,
                                   language=None)
        ticket.refresh_from_db()
        assert ticket.priority == "urgent"
        assert TicketEvent.objects.filter(ticket=ticket, kind="triage.set").count() == 2


class TestMergeAndMacro:
    def test_merge_moves_the_conversation_and_closes_the_source(self, in_acme, alice):
        source, target = _create(in_acme, subject="one"), _create(in_acme, subject="two")
        services.ticket_merge(tenant=in_acme, source=source, target=target, actor=alice)
        source.refresh_from_db()
        assert source.status == Status.CLOSED and source.merged_into_id == target.id
        assert Message.objects.filter(ticket=target, author_type="customer").count() == 2
        with pytest.raises(ValidationError):
            services.ticket_merge(tenant=in_acme, source=target, target=target, actor=alice)

    def test_macro_replies_and_changes_fields(self, in_acme, alice):
        ticket = _create(in_acme)
        macro = MacroFactory(tenant=in_acme, body="Hi {{customer_name}}, we sent a new card.",
                             actions={"status": "pending", "priority": "high", "add_tags": ["cards"],
                                      "assign_to_me": True})
        message = services.macro_apply(tenant=in_acme, ticket=ticket, macro=macro, actor=alice)
        ticket.refresh_from_db()
        assert message.body == "Hi Jane, we sent a new card."
        assert (ticket.status, ticket.priority, ticket.tags, ticket.assignee) == ("pending", "high", ["cards"], alice)

    def test_macro_actions_are_validated(self, in_acme):
        with pytest.raises(ValidationError) as exc:
            services.macro_create(tenant=in_acme, name="x", body="", actions={"status": "nope"})
        assert "actions" in exc.value.message_dict


class TestCsat:
    def test_solving_requests_a_rating_once_and_the_customer_rates(self, in_acme, alice, eager_tasks, mailoutbox,
                                                                   django_capture_on_commit_callbacks):
        ticket = _create(in_acme)
        with django_capture_on_commit_callbacks(execute=True):
            services.ticket_set_status(tenant=in_acme, ticket=ticket, status="solved", actor=alice)
        ticket.refresh_from_db()
        assert ticket.csat_requested_at is not None
        [request] = [m for m in mailoutbox if m.subject.startswith("How did we do?")]
        assert request.to == ["jane@example.test"] and request.extra_headers["Auto-Submitted"] == "auto-generated"
        assert f"/h/acme/portal/{ticket.id}/rate/?token=" in request.body
        from tickets.tasks import csat_send_request

        csat_send_request.delay(in_acme.id, ticket.id)  # redelivered: not sent twice
        assert len([m for m in mailoutbox if m.subject.startswith("How did we do?")]) == 1
        services.ticket_rate(tenant=in_acme, ticket=ticket, rating=5, comment="Great")
        ticket.refresh_from_db()
        assert (ticket.csat_rating, ticket.csat_comment) == (5, "Great")
        with pytest.raises(ValidationError):
            services.ticket_rate(tenant=in_acme, ticket=ticket, rating=9)


class TestMailHeaderValues:
    """Values that go out in mail headers are stored on one line, whoever writes them."""

    def test_line_breaks_in_a_new_tickets_subject_and_requester_name_become_spaces(self, in_acme):
        ticket = _create(in_acme, subject="Card lost\r\nBcc: all@example.test\x00", requester_name="Jane\n\tDoe")
        assert ticket.subject == "Card lost Bcc: all@example.test"
        assert ticket.requester.name == "Jane Doe"

    def test_an_updated_subject_is_cleaned_the_same_way(self, in_acme, alice):
        ticket = _create(in_acme)
        services.ticket_update(tenant=in_acme, ticket=ticket, actor=alice, subject=" Card\r\nlost\u2028again\x7f")
        assert Ticket.objects.get(id=ticket.id).subject == "Card lost again"
        assert TicketEvent.objects.get(ticket=ticket, kind="subject.changed").data["to"] == "Card lost again"
        services.ticket_update(tenant=in_acme, ticket=ticket, actor=alice, subject="\r\n")  # nothing left: kept
        assert Ticket.objects.get(id=ticket.id).subject == "Card lost again"

    def test_threading_ids_are_stored_on_one_line(self, in_acme):
        ticket = _create(in_acme)
        message = services.ticket_customer_message(
            tenant=in_acme, ticket=ticket, customer=ticket.requester, body="More", message_id="<m@x>\r\n",
            in_reply_to="<a@x>\nX-Evil: 1", references="<a@x>\r\n\t<b@x>",
        )
        assert (message.message_id, message.in_reply_to, message.references) == (
            "<m@x>", "<a@x> X-Evil: 1", "<a@x> <b@x>")


class TestEmailDelivery:
    def test_a_reply_is_pending_until_its_mail_is_sent_and_a_note_is_never_mailed(self, in_acme, alice):
        ticket = _create(in_acme)
        reply = services.ticket_reply(tenant=in_acme, ticket=ticket, author=alice, body="On its way")
        note = services.ticket_note(tenant=in_acme, ticket=ticket, author=alice, body="Check the ledger")
        assert (reply.email_status, note.email_status) == ("pending", "")

    def test_only_a_reply_that_failed_can_be_sent_again(self, in_acme, alice, django_capture_on_commit_callbacks):
        ticket = _create(in_acme)
        reply = services.ticket_reply(tenant=in_acme, ticket=ticket, author=alice, body="On its way")
        with pytest.raises(ValidationError):
            services.message_email_retry(tenant=in_acme, message=reply, actor=alice)
        services.message_email_failed(tenant=in_acme, message_id=reply.id, reason="the mail server\r\nwas down")
        reply.refresh_from_db()
        assert (reply.email_status, reply.email_error) == ("failed", "the mail server was down")
        with django_capture_on_commit_callbacks() as callbacks:
            services.message_email_retry(tenant=in_acme, message=reply, actor=alice)
        reply.refresh_from_db()
        assert (reply.email_status, reply.email_error) == ("pending", "")
        assert len(callbacks) >= 1  # the mail task, queued on commit
        assert TicketEvent.objects.get(ticket=ticket, kind="email.retried").actor == alice
        with pytest.raises(ValidationError):  # a second click while it is being sent
            services.message_email_retry(tenant=in_acme, message=reply, actor=alice)

    def test_a_failure_reported_after_the_mail_went_out_changes_nothing(self, in_acme, alice):
        ticket = _create(in_acme)
        reply = services.ticket_reply(tenant=in_acme, ticket=ticket, author=alice, body="On its way")
        Message.objects.filter(id=reply.id).update(email_sent_at=timezone.now(), email_status="sent")
        assert services.message_email_failed(tenant=in_acme, message_id=reply.id, reason="late") is None
        assert Message.objects.get(id=reply.id).email_status == "sent"


class TestSelectors:
    def test_ticket_get_hides_other_tenants_ticket(self, acme, globex, alice):
        with tenant_context(globex.id):
            theirs = _create(globex)
        with tenant_context(acme.id):
            from django.http import Http404

            with pytest.raises(Http404):
                selectors.ticket_get(tenant=acme, user=alice, ticket_id=theirs.id)

    def test_queue_views_and_search(self, acme, globex, alice, bob):
        with tenant_context(globex.id):
            _create(globex, subject="Refund for duplicate payment")
        with tenant_context(acme.id):
            mine = _create(acme, subject="Refund please", body="I want my money back")
            services.ticket_assign(tenant=acme, ticket=mine, assignee_id=alice.id, actor=alice)
            other = _create(acme, subject="Card arrival", body="where is my card")
            ids = lambda **kw: [t.id for t in selectors.ticket_list(  # noqa: E731
                tenant=acme, user=alice, filters=selectors.TicketFilters(**kw))]
            team = TeamFactory(tenant=acme)
            TeamMemberFactory(tenant=acme, team=team, user=alice)
            services.ticket_update(tenant=acme, ticket=mine, actor=alice, team_id=team.id)
            assert ids(view="teams") == [mine.id]
            assert ids(view="mine") == [mine.id]
            assert ids(view="unassigned") == [other.id]
            assert ids(q="refund") == [mine.id]
            assert ids(q="card") == [other.id]
            assert ids(q=f"#{other.number}") == [other.id]
            assert ids() == [other.id, mine.id]


def test_seed_is_idempotent(acme, alice, bob):
    import io

    from tickets.seed import seed

    with tenant_context(acme.id):
        seed(tenant=acme, stdout=io.StringIO())
        seed(tenant=acme, stdout=io.StringIO())
        assert Ticket.objects.count() == 40
        assert Ticket.objects.filter(team__isnull=False).exists()
        assert Message.objects.filter(author_type="agent").exists()


def test_long_chinese_and_emoji_subjects_are_cut_between_characters(acme):
    subject = "发票😀" * 200  # emoji lie outside the BMP: two UTF-16 units, four UTF-8 bytes
    with tenant_context(acme.id):
        ticket = _create(acme, subject=subject)
        ticket.refresh_from_db()
    assert ticket.subject == subject[:250] and len(ticket.subject) == 250
