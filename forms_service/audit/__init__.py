"""The audit log: its hash chain (``chain``) and the days sealed into the object store (``seals``)."""
