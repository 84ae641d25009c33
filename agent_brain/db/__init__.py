"""Database: engine, embedded server, ORM schema."""
