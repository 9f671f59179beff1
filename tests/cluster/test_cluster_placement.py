"""Where shards go (no cluster needed): spread across workers first, one per thread."""

from __future__ import annotations

import pytest

pytest.importorskip("distributed", reason="the cluster extra is not installed")

from httptool.run.cluster import ClusterError, default_shards, placement


def test_one_shard_per_worker_process_by_default() -> None:
    assert default_shards({"tcp://a:1": 4, "tcp://b:1": 1}) == 2
    assert default_shards({}) == 1


def test_shards_spread_across_workers_before_a_second_thread() -> None:
    slots = {"tcp://b:1": 2, "tcp://a:1": 1, "tcp://c:1": 3}
    assert placement(slots, 3) == ["tcp://a:1", "tcp://b:1", "tcp://c:1"]
    assert placement(slots, 6) == ["tcp://a:1", "tcp://b:1", "tcp://c:1",
                                   "tcp://b:1", "tcp://c:1", "tcp://c:1"]
    # never more shards on a worker than its threads while threads are free
    for n in range(1, 7):
        got = placement(slots, n)
        assert all(got.count(w) <= t for w, t in slots.items())


def test_no_workers_is_a_cluster_error() -> None:
    with pytest.raises(ClusterError, match="no workers"):
        placement({}, 1)
