"""The store: engine, sessions, migrations and reference data."""
