"""Telling people what is due: reminder digests by mail (SMTP)."""
