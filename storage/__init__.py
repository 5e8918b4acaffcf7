"""Persistence: SQLModel tables and every SQL statement the project runs."""
