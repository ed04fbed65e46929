"""Outgoing notifications through an outbox: email now, other channels (SMS, push) pluggable."""
