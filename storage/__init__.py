"""The database engine and sessions, and the object store (local files or S3)."""
