"""Background jobs on huey: batches of documents, the hourly audit seal, closing months of query
events, the reminder digests and completion calls (webhooks).

The queue is a SQLite file in the data directory by default and Redis (``FORMS_JOBS_URL``) when
instances share the work.  Web processes only enqueue; each instance's jobs process (started by
``serve``'s master, or ``forms-service jobs run``) runs the jobs.  What must hold whatever the
engine does — an entry done exactly once, a periodic job once per period — is held by the catalog
(leases, a record id fixed per entry) and by one claim per period in the queue's storage.
"""
