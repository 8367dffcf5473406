"""Django's PostgreSQL backend, adjusted to tenant tables whose primary key is (tenant_id, id)."""
