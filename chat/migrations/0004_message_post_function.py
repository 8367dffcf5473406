"""chat_message_post(): a chat message in one statement (the hot path of every chat message).

Taking the conversation's next sequence number, checking that the sender may speak in its state, inserting (or
finding the stored message of a resent client id) and giving the number back on a refusal: one round trip instead
of six (BEGIN, the tenant setting, UPDATE, INSERT, the setting restored, COMMIT). The function runs with the
caller's rights (SECURITY INVOKER), so row-level security applies to it as to any query; it sets the tenant itself,
like tenants.rls.tenant_context, for the transaction it runs in.
"""

from django.db import migrations

FUNCTION = r"""
CREATE OR REPLACE FUNCTION chat_message_post(
    p_tenant bigint, p_conversation bigint, p_sender text, p_author bigint, p_internal boolean, p_text text,
    p_attachments jsonb, p_meta jsonb, p_client_msg_id text,
    p_statuses text[], p_assigned_agent bigint, p_unsilenced boolean
) RETURNS TABLE (
    outcome text, message_id bigint, message_seq integer, message_sender text,
    message_author bigint, message_internal boolean, message_text text, message_attachments jsonb,
    message_meta jsonb, message_created_at timestamptz
) LANGUAGE plpgsql AS $fn$
DECLARE
    v_status text;
    v_silenced boolean;
    v_assigned bigint;
    v_seq integer;
    v_now timestamptz := clock_timestamp();
BEGIN
    PERFORM set_config('app.tenant_id', p_tenant::text, true);
    -- Locks the conversation row until commit: concurrent posters get consecutive numbers in commit order.
    UPDATE chat_conversation c SET last_seq = c.last_seq + 1, updated_at = v_now
     WHERE c.tenant_id = p_tenant AND c.id = p_conversation
     RETURNING c.last_seq, c.status, c.bot_silenced, c.assigned_agent_id
          INTO v_seq, v_status, v_silenced, v_assigned;
    IF NOT FOUND THEN
        outcome := 'missing';
        RETURN NEXT;
        RETURN;
    END IF;
    IF v_status = ANY (p_statuses)
       AND (p_assigned_agent IS NULL OR v_assigned = p_assigned_agent)
       AND NOT (p_unsilenced AND v_silenced) THEN
        INSERT INTO chat_chatmessage (tenant_id, conversation_id, seq, sender, author_id, internal, text,
                                      attachments, meta, client_msg_id, created_at)
        VALUES (p_tenant, p_conversation, v_seq, p_sender, p_author, p_internal, p_text,
                p_attachments, p_meta, p_client_msg_id, v_now)
        -- A resend of a stored client id inserts nothing (the partial unique index of the model's constraint).
        ON CONFLICT (tenant_id, conversation_id, client_msg_id) WHERE NOT (client_msg_id = '') DO NOTHING
        RETURNING id INTO message_id;
        IF FOUND THEN
            outcome := 'posted';
            message_seq := v_seq;
            message_sender := p_sender;
            message_author := p_author;
            message_internal := p_internal;
            message_text := p_text;
            message_attachments := p_attachments;
            message_meta := p_meta;
            message_created_at := v_now;
            RETURN NEXT;
            RETURN;
        END IF;
    END IF;
    -- Nothing stored: give the number back (the row lock is still ours, so nobody took one after it).
    UPDATE chat_conversation c SET last_seq = c.last_seq - 1 WHERE c.tenant_id = p_tenant AND c.id = p_conversation;
    -- A resend of a message stored earlier (even before a close) is answered with that message.
    IF p_client_msg_id <> '' THEN
        SELECT m.id, m.seq, m.sender, m.author_id, m.internal, m.text, m.attachments, m.meta, m.created_at
          INTO message_id, message_seq, message_sender, message_author, message_internal, message_text,
               message_attachments, message_meta, message_created_at
          FROM chat_chatmessage m
         WHERE m.tenant_id = p_tenant AND m.conversation_id = p_conversation AND m.client_msg_id = p_client_msg_id;
    END IF;
    outcome := CASE WHEN message_id IS NULL THEN 'refused' ELSE 'duplicate' END;
    RETURN NEXT;
END
$fn$;
"""

DROP = """
DROP FUNCTION IF EXISTS chat_message_post(bigint, bigint, text, bigint, boolean, text, jsonb, jsonb, text, text[],
                                          bigint, boolean);
"""


class Migration(migrations.Migration):
    dependencies = [("chat", "0003_chatattachment")]

    operations = [migrations.RunSQL(FUNCTION, DROP)]
