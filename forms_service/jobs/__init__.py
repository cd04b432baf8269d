"""Background jobs on huey: batches of documents, the hourly audit seal, closing months of query
events, the reminder digests and completion calls (webhooks).

The queue is a SQLite file in the data directory by default and Redis (``FORMS_JOBS_URL``) when
instances share the work.  Web processes enqueue; in each instance one of them also runs the jobs
(``process.JobsInWebProcess``), or ``forms-service jobs run`` does on a machine of its own.  What must hold whatever the
engine does — an entry done exactly once, a periodic job once per period — is held by the catalog
(leases, a record id fixed per entry) and by one claim per period in the queue's storage.
"""
