"""HTTP plumbing shared by every blueprint: the Api object, error shape, idempotency, docs UI."""
