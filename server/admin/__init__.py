"""Administration as commands: users, devices, sign-ins and hall-file loads.

Like the queue engine, these are plain Python over a SQLAlchemy session: each writes its
rows and its entry in the event log (who, what, from where) and returns what happened, and
the command path (``server/commands.py``) commits and publishes. The ``hallq`` command, the
API and the back office all administer through them.
"""
