"""Sending a kiosk's records to the central collector, during the event and after it."""

from kiosk.sync.protocol import SYNC_HEADER, content_hash, ids_digest

__all__ = ["SYNC_HEADER", "content_hash", "ids_digest"]
