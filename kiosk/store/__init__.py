"""The local store: every record a visitor was thanked for survives crashes and power cuts."""

from kiosk.store.errors import StoreBusyError, StoreCorruptError, StoreError, StoreWriteError
from kiosk.store.record_store import RecordStore, StoreHealth, SurveyCounts

__all__ = [
    "RecordStore",
    "StoreBusyError",
    "StoreCorruptError",
    "StoreError",
    "StoreHealth",
    "StoreWriteError",
    "SurveyCounts",
]
