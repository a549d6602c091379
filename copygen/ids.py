"""Item ids by digest, for runs of millions of items.

A run needs per-item memory in a few places: the ids already planned (a later row
with the same sku is skipped), the ids already recorded (resume), each id's latest
status. As ``set[str]`` these cost about 120 bytes an id, so a million-item batch
collect held several hundred MB for them alone. :class:`IdTable` keeps an 8-byte
BLAKE2b digest and a one-byte value per id in flat arrays: 18 to 36 bytes an id
(the table is between a quarter and a half full), and no object per id.

Two different ids share a digest with probability about n²/2⁶⁵: one in ten
million for a run of 1.8 million items. The table would then take the second id
for the first (a duplicate skipped with a warning, or an item taken as done),
a risk far below that of the machine failing during the run.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable
from hashlib import blake2b

__all__ = ["IdNumbers", "IdTable", "id_digest"]

_MIN_SLOTS = 1024


def id_digest(item_id: str) -> int:
    """The id's 64-bit digest, never 0 (0 marks an empty slot)."""
    digest = blake2b(item_id.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "little") or 1


class IdTable:
    """A map from item id to a small value (1..255); 0 means "not in the table".

    Used as a set through :meth:`add`, ``in`` and :meth:`discard`. It cannot list its
    ids (it keeps only their digests), so callers that need them read them again.
    """

    __slots__ = ("_keys", "_live", "_mask", "_used", "_values")

    #: The largest value an id can have.
    MAX_VALUE = 255

    def __init__(self, ids: Iterable[str] = ()) -> None:
        self._allocate(_MIN_SLOTS)
        for item_id in ids:
            self.add(item_id)

    def _allocate(self, slots: int) -> None:
        self._keys = array("Q", bytes(8 * slots))
        self._values: bytearray | array[int] = self._new_values(slots)
        self._mask = slots - 1
        self._used = 0  # slots holding a digest (a discarded id keeps its slot)
        self._live = 0  # ids whose value is not 0

    @staticmethod
    def _new_values(slots: int) -> bytearray | array[int]:
        return bytearray(slots)

    def _slot(self, digest: int) -> int:
        """The slot holding ``digest``, else the empty slot where it would go.

        Double hashing: the step comes from the digest's high bits and is odd, so with
        a power-of-two table it reaches every slot.
        """
        keys, mask = self._keys, self._mask
        slot = digest & mask
        step = ((digest >> 40) | 1) & mask
        while True:
            key = keys[slot]
            if key == digest or key == 0:
                return slot
            slot = (slot + step) & mask

    def get(self, item_id: str) -> int:
        digest = id_digest(item_id)
        slot = self._slot(digest)
        return self._values[slot] if self._keys[slot] == digest else 0

    def set(self, item_id: str, value: int) -> int:
        """Give ``item_id`` ``value`` (0 takes it out); returns its value before."""
        if not 0 <= value <= self.MAX_VALUE:
            raise ValueError(
                f"a value in {type(self).__name__} is 0..{self.MAX_VALUE}, not {value}"
            )
        digest = id_digest(item_id)
        slot = self._slot(digest)
        if self._keys[slot] == digest:
            before = self._values[slot]
        else:
            if value == 0:
                return 0
            before = 0
            self._keys[slot] = digest
            self._used += 1
        self._values[slot] = value
        self._live += (value != 0) - (before != 0)
        if self._used * 2 > len(self._values):
            self._grow()
        return before

    def add(self, item_id: str) -> bool:
        """Put ``item_id`` in (value 1 unless it has one); True when it was not in."""
        digest = id_digest(item_id)
        slot = self._slot(digest)
        if self._keys[slot] == digest:
            if self._values[slot]:
                return False
        else:
            self._keys[slot] = digest
            self._used += 1
        self._values[slot] = 1
        self._live += 1
        if self._used * 2 > len(self._values):
            self._grow()
        return True

    def discard(self, item_id: str) -> None:
        self.set(item_id, 0)

    def drop_values(self, *values: int) -> int:
        """Take out every id whose value is one of ``values``; returns how many."""
        before = self._live
        if isinstance(self._values, bytearray):
            table = bytearray(range(256))
            for value in values:
                if 0 < value <= 255:
                    table[value] = 0
            self._values = self._values.translate(table)
        else:
            dropped = set(values)
            for slot, value in enumerate(self._values):
                if value in dropped:
                    self._values[slot] = 0
        self._live = len(self._values) - self._values.count(0)
        return before - self._live

    def count(self, value: int) -> int:
        """How many ids have ``value`` (1..255)."""
        return self._values.count(value) if value else 0

    def __contains__(self, item_id: object) -> bool:
        return isinstance(item_id, str) and self.get(item_id) != 0

    def __len__(self) -> int:
        return self._live

    def __bool__(self) -> bool:
        return self._live > 0

    @property
    def nbytes(self) -> int:
        """The memory its arrays take."""
        return len(self._keys) * 8 + len(self._values)

    def _grow(self) -> None:
        keys, values = self._keys, self._values
        # Live ids only: a discarded id's slot is not carried over.
        self._allocate(len(values) * 2)
        new_keys, new_values = self._keys, self._values
        used = 0
        for old, digest in enumerate(keys):
            value = values[old]
            if digest and value:
                slot = self._slot(digest)
                new_keys[slot] = digest
                new_values[slot] = value
                used += 1
        self._used = self._live = used


class IdNumbers(IdTable):
    """:class:`IdTable` with values up to 2⁶⁴−1 (a row number, a byte offset): 32 to
    64 bytes an id."""

    __slots__ = ()

    MAX_VALUE = 2**64 - 1

    @staticmethod
    def _new_values(slots: int) -> bytearray | array[int]:
        return array("Q", bytes(8 * slots))

    @property
    def nbytes(self) -> int:
        return len(self._keys) * 8 + len(self._values) * 8
