"""Loaded by Schemathesis itself (the ``hooks`` of tests/reliability/test_schemathesis.py's run), not by pytest."""

import schemathesis

# The raw e-mail that inbound/email/ takes (message/rfc822) goes on the wire as the bytes it is, like any binary body.
schemathesis.serializer.alias("message/rfc822", "application/octet-stream")
