"""Alembic migrations for the storage tables; run through storage.db (upgrade, prepare_database)."""
