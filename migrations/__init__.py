"""Alembic migrations for infochat (SQLite and PostgreSQL)."""
