"""Stores: where complaints, events and notifications are kept."""

from complaintflow.stores._base import Store
from complaintflow.stores._memory import MemoryStore

__all__ = ["MemoryStore", "Store"]
