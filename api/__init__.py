"""HTTP plumbing shared by every blueprint: the Api object, error shape, idempotency, docs UI."""

from api import pagination as _pagination  # noqa: F401  (every blueprint pages the same way)
