"""Provider webhooks: verify, store durably before answering, process in the background."""
