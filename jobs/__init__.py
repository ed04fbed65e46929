"""Background work: durable job rows in the database, Celery as the delivery, beat for time-driven work."""
