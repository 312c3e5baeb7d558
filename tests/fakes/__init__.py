"""Local, faithful test doubles of the provider APIs, as plain Starlette ASGI apps.

Not part of the installed package.  Serve one on ``127.0.0.1`` (uvicorn on
port 0 in tests, or ``python -m tests.fakes`` for local development) and point
the adapters' base-URL settings at it.  Each fake keeps its state on a Python
object that tests read and steer through documented knobs; nothing here ever
talks to a real provider.  The wire shapes follow docs/providers.md; where that
file marks a fact unverified the fake's choice is noted at the knob or handler.
"""
