"""Data access layer: SQLAlchemy models and repositories. Only this package touches the database."""
