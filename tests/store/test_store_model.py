"""Random sequences of store operations behave like a plain dict (hypothesis), and the
everyday API keeps its promises across shards, reopening and compaction."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    rule,
)

from kiosk.records import new_record
from kiosk.store import RecordStore
from kiosk.store.record_store import SHARD_SIZE

Make = Callable[..., dict[str, Any]]

answer_values = st.one_of(
    st.text(max_size=30),
    st.booleans(),
    st.integers(min_value=-(2**53), max_value=2**53),
    st.lists(st.text(alphabet="abcæøå-", min_size=1, max_size=8), max_size=4),
)
answers = st.dictionaries(st.text(alphabet="abcdefgh_", min_size=1, max_size=6), answer_values)
contacts = st.none() | st.fixed_dictionaries(
    {"name": st.text(max_size=20)}, optional={"email": st.emails(), "phone": st.text(max_size=12)}
)
stamps = st.sampled_from(["2026-09-05T12:00:00.000Z", "2026-09-06T08:30:00.123Z"])


class StoreModel(RuleBasedStateMachine):
    """The store next to a dict of what it should hold."""

    ids = Bundle("ids")

    def __init__(self) -> None:
        super().__init__()
        self.directory = Path(tempfile.mkdtemp(prefix="kiosk-store-model-"))
        self.store = self.open()
        self.model: dict[str, dict[str, Any]] = {}
        self.contacts: dict[str, dict[str, Any]] = {}

    def open(self) -> RecordStore:
        return RecordStore(self.directory, compact_min_bytes=3000)

    @rule(target=ids, answers=answers, contact=contacts, kind=st.sampled_from(["response", "idea"]))
    def save(self, answers: dict[str, Any], contact: dict[str, Any] | None, kind: str) -> str:
        record = new_record(
            kind=kind,  # type: ignore[arg-type]
            survey_id="gentofte-moedes",
            survey_version=1,
            survey_hash="a" * 64,
            kiosk_id="kiosk-model",
            lang="da",
            started_at="2026-09-05T10:00:00.000Z",
            completed=bool(len(answers) % 2),
            answers=answers,
            ref=f"GM-{len(self.model)}",
        )
        self.store.save(record, contact)
        record["answers"]["changed_after_save"] = True  # must not reach the store
        del record["answers"]["changed_after_save"]
        self.model[record["id"]] = record
        if contact is not None:
            self.contacts[record["id"]] = {**contact, "record_id": record["id"]}
        return record["id"]

    @rule(rid=ids)
    def save_again_is_refused(self, rid: str) -> None:
        with pytest.raises(ValueError, match="already stored"):
            self.store.save(dict(self.model[rid]))

    @rule(chosen=st.lists(ids, max_size=5), at=stamps)
    def mark_synced(self, chosen: list[str], at: str) -> None:
        changed = self.store.mark_synced([*chosen, "not-a-stored-id"], at=at)
        assert changed == len(chosen)
        for rid in chosen:
            record = self.model[rid]
            record["synced_at"] = at
            record.pop("sync_status", None)
            record.pop("sync_error", None)

    @rule(rid=ids, status=st.sampled_from(["conflict", "invalid"]), error=st.text(max_size=40))
    def mark_rejected(self, rid: str, status: str, error: str) -> None:
        assert self.store.mark_rejected(rid, status, error) == 1
        self.model[rid].update(sync_status=status, sync_error=error)

    @rule()
    def compact(self) -> None:
        self.store.compact()

    @rule()
    def reopen(self) -> None:
        self.store.close()
        self.store = self.open()

    @rule(rid=consumes(ids))
    def forget_handle(self, rid: str) -> None:
        """Keeps the bundle small; the record stays stored and in the model."""

    @invariant()
    def matches_the_model(self) -> None:
        assert self.store.records() == list(self.model.values())
        assert self.store.contacts() == self.contacts
        assert len(self.store) == len(self.model)
        pending = [
            r for r in self.model.values() if not r.get("synced_at") and not r.get("sync_status")
        ]
        assert self.store.pending() == pending
        assert self.store.pending_count() == len(pending)
        for rid, record in list(self.model.items())[-3:]:
            assert self.store.get(rid) == record
            assert self.store.has_ref(record["ref"])
        assert not self.store.has_ref("GM-never")
        assert self.store.health().problems == []

    def teardown(self) -> None:
        self.store.close()
        shutil.rmtree(self.directory, ignore_errors=True)


StoreModel.TestCase.settings = settings(
    max_examples=20,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_store_behaves_like_a_dict = StoreModel.TestCase


def test_many_shards_survive_reopen_and_compaction(tmp_path: Path, make_record: Make) -> None:
    data_dir = tmp_path / "data"
    saved = [make_record(answers={"n": n}) for n in range(2 * SHARD_SIZE + 17)]
    with RecordStore(data_dir) as store:
        for n, record in enumerate(saved):
            store.save(record, {"name": f"V{n}"} if n % 50 == 0 else None)
        store.mark_synced([r["id"] for r in saved[100:200]], at="2026-09-05T12:00:00.000Z")
    with RecordStore(data_dir) as store:
        assert [r["id"] for r in store.records()] == [r["id"] for r in saved]
        assert [r["id"] for r in store.pending(limit=5)] == [r["id"] for r in saved[:5]]
        assert store.pending_count() == len(saved) - 100
        store.compact()
        extra = make_record()
        store.save(extra)
    with RecordStore(data_dir) as store:
        assert len(store) == len(saved) + 1 and store.get(extra["id"]) == extra
        assert len(store.contacts()) == 6
        counts = store.counts()[("gentofte-moedes", "response")]
        expected = (100, len(saved) - 99, len(saved) + 1)
        assert (counts.synced, counts.pending, counts.total) == expected


def test_changing_a_returned_record_does_not_change_the_store(
    store: RecordStore, make_record: Make
) -> None:
    record = make_record()
    store.save(record)
    got = store.get(record["id"])
    got["answers"]["emner"].append("hacked")
    store.records()[0]["answers"]["alder"] = 7
    store.mark_synced([record["id"]], at="2026-09-05T12:00:00.000Z")
    assert store.get(record["id"])["answers"] == record["answers"]
