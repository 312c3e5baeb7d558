"""Typed payloads: the one source for request validation, responses and OpenAPI."""
