"""The back office (``/office``), served by the hall server: the pages supervisors and
administrators work in, beginning with the supervisor's live dashboard (``/office/dashboard``):
each service's queue against its target wait, each window and its devices, today's totals,
the alerts, and the supervisor's actions (a green-channel ticket, cancel, move, pause a
service, the lobby notice, bring back a no-show). Registered through the ``hallq.pages``
entry point, so the server knows nothing of it.

The pages are plain HTML with their scripts in ``static/js/`` (served at
``/office/static/js/``). They talk to the server only through the public API and the
Socket.IO namespace, like any other client; the one read the server's API lacked, the
dashboard's, is added here (``GET /api/v1/dashboard``, see ``api.py``).
"""
