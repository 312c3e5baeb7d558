"""Outbound webhooks: events written to an outbox with the change they report, then
signed (Standard Webhooks) and delivered to the organization's endpoints by a worker."""
