"""Provider webhooks as services, built on ``server/services``: intake (store or reject a
verified delivery), the admins' view of the inbox, the worker and the effects of Zoom and
Google events and jobs.  The rows themselves live in the inbox adapter, ``server.db.inbox``.
"""
