"""The local broker's KRaft cluster id: valid for kafka-storage on every start, not 63 in 64."""

import base64

from consumers.kafka.broker import new_cluster_id


def test_cluster_ids_never_start_with_a_dash() -> None:
    # 1 random id in 64 starts with "-" (kafka-storage then refuses "-t"); 3,000 draws would
    # all but surely include one if the generator did not redraw.
    ids = [new_cluster_id() for _ in range(3000)]
    assert not [i for i in ids if i.startswith("-")]
    assert len(set(ids)) == len(ids)
    for cluster_id in ids[:50]:
        assert len(cluster_id) == 22
        assert len(base64.urlsafe_b64decode(cluster_id + "==")) == 16
