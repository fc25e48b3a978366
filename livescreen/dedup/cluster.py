"""Cluster: join duplicate pairs into works, never letting a chain join two different works.

Duplicate decisions are applied strongest first (identifiers, then the same title and
authors, …; ties by record order), each joining two clusters with a union-find. Before two
clusters are joined, every pair across them is compared (`match.compare`, cached): if any
pair is ``distinct`` or ``related`` (a title conflict, a preprint meeting its article), or
has different PMIDs or DOIs, the join is refused and the pair that asked for it becomes a
``possible`` pair for a human, with the reason. So `A = B` and `B = C` never put `A` and
`C` together when `A` and `C` are known to differ.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from livescreen.dedup.fields import Prepared
from livescreen.dedup.match import Decision

# A possible pair that still forbids a join: two PubMed records, two DOIs.
HARD_RULES = frozenset({"pmids-differ", "dois-differ"})
MAX_CROSS_CHECK = 400  # cluster pairs to check before a join (clusters are small)


class Clusters:
    """Union-find over record indexes, with each root's members in index order."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))
        self.members: dict[int, list[int]] = {i: [i] for i in range(n)}

    def find(self, i: int) -> int:
        root = i
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[i] != root:
            self.parent[i], i = root, self.parent[i]
        return root

    def union(self, i: int, j: int) -> None:
        ri, rj = self.find(i), self.find(j)
        if ri == rj:
            return
        if rj < ri:
            ri, rj = rj, ri
        self.parent[rj] = ri
        self.members[ri] = sorted(self.members[ri] + self.members.pop(rj))

    def groups(self) -> list[list[int]]:
        return sorted(self.members.values(), key=lambda members: members[0])


def build_clusters(
    prepared: Sequence[Prepared],
    decisions: dict[tuple[int, int], Decision],
    compare: Callable[[Prepared, Prepared], Decision],
) -> tuple[list[list[int]], list[tuple[int, int, Decision]]]:
    """(clusters as sorted index lists, refused joins as (i, j, possible decision))."""
    clusters = Clusters(len(prepared))
    refused: list[tuple[int, int, Decision]] = []
    duplicates = sorted(
        ((d.strength, i, j) for (i, j), d in decisions.items() if d.decision == "duplicate"),
        key=lambda item: (-item[0], item[1], item[2]),
    )

    def decided(i: int, j: int) -> Decision:
        key = (i, j) if i < j else (j, i)
        found = decisions.get(key)
        if found is None:
            found = decisions[key] = compare(prepared[key[0]], prepared[key[1]])
        return found

    for _, i, j in duplicates:
        ri, rj = clusters.find(i), clusters.find(j)
        if ri == rj:
            continue
        left, right = clusters.members[ri], clusters.members[rj]
        blocker = None
        if len(left) * len(right) > 1:
            if len(left) * len(right) > MAX_CROSS_CHECK:
                blocker = Decision("possible", "cluster-too-large", "clusters too large to join")
            else:
                for x in left:
                    for y in right:
                        found = decided(x, y)
                        if found.decision in {"distinct", "related"} or found.rule in HARD_RULES:
                            blocker = found
                            break
                    if blocker:
                        break
        if blocker is None:
            clusters.union(i, j)
            continue
        reason = (
            f"{decisions[(i, j)].reason}; not merged: joining would put "
            f"{blocker.decision} records in one cluster ({blocker.rule}: {blocker.reason})"
        )
        refused.append((i, j, Decision("possible", "chain-refused", reason)))
    return clusters.groups(), refused
