"""When index segments are merged: a question searches every live segment, and a removed
report's chunks stay in their segment as tombstones, so both are kept few. A merge takes a
run of adjacent segments (by chunk id, so ranges stay disjoint and ordered), the run that
holds the fewest live chunks: the small recent segments fold together and a large one is
rewritten only when little else is left, so each chunk is copied a few times over its life."""

from __future__ import annotations

from .manifest import Manifest, Segment

MAX_SEGMENTS = 10  # segments a question searches at most; 10 small flat ones cost ~1 ms (bench/incremental.py)
RUN = 4  # segments merged at once: fewer merges than pairs, each still small
DELETED_SHARE = 0.5  # a segment with this share of tombstones is rewritten without them


def next_merge(m: Manifest) -> list[Segment] | None:
    """The next run of segments to merge, or None when the KB needs none."""
    segments = m.segments
    for seg in segments:
        if seg.chunks and (seg.chunks - m.live(seg)) / seg.chunks >= DELETED_SHARE:
            return [seg]
    if len(segments) <= MAX_SEGMENTS:
        return None
    live = [m.live(s) for s in segments]
    size = min(RUN, len(segments))
    start = min(range(len(segments) - size + 1), key=lambda i: sum(live[i:i + size]))
    return segments[start:start + size]
