"""The local store: every record a visitor was thanked for survives crashes and power cuts."""

from kiosk.store.errors import (
    RepairRefusedError,
    StoreBusyError,
    StoreCorruptError,
    StoreError,
    StoreWriteError,
)
from kiosk.store.record_store import (
    RecordStore,
    RepairResult,
    StoreHealth,
    SurveyCounts,
    read_store_id,
)

__all__ = [
    "RecordStore",
    "RepairRefusedError",
    "RepairResult",
    "StoreBusyError",
    "StoreCorruptError",
    "StoreError",
    "StoreHealth",
    "StoreWriteError",
    "SurveyCounts",
    "read_store_id",
]
