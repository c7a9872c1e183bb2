"""Lake-operations tests reuse the ingest fixtures (fake vendor, Bronze root, lake root)."""

from tests.ingest.conftest import bronze, lake_root, plugins  # noqa: F401
