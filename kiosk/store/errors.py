"""Errors of the local store, each with a message an organiser can act on."""

from __future__ import annotations


class StoreError(Exception):
    """Base of every store error."""


class StoreWriteError(StoreError):
    """A save could not be made durable; nothing was acknowledged and nothing stored is lost."""


class StoreBusyError(StoreError):
    """Another process held the data directory's lock for too long."""


class StoreCorruptError(StoreError):
    """The store's files are damaged beyond what can be recovered automatically."""


class RepairRefusedError(StoreError):
    """A repair would leave fewer records than the store holds; nothing was changed."""
