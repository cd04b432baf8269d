"""Filing forms: the one home of "file a form" — check, sign in the form's signing order, archive,
and what filing sets going (``service.py``, ``after.py``)."""
