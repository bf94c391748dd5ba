"""Find the column order that stores a set of rows in the fewest bytes, and prove how close it is.

The objective is the sum over rows of MAXALIGN(data length): the bytes each tuple takes from
its page apart from the order-independent header and line pointer. Every value contributes
its size (order-independent too) plus the alignment padding in front of it, and the tuple's
end is rounded up to MAXALIGN; so only *waste* (padding + the final rounding) depends on the
order, and it depends only on offsets modulo 8 (every alignment divides MAXALIGN).

That reduces a row to, per column, its alignment (1, 2, 4, 8; 0 for NULL) and its size modulo
8. Rows alike in that reduced form are merged into weighted groups, and the offsets of all
groups are carried in three bit planes (bit g of plane k = bit k of group g's offset modulo 8):
placing a column is a handful of big-integer AND/OR/XOR operations over every group at once,
and padding is counted with ``int.bit_count``.

Search, in this order:

1. *Forced moves* (proven): a column whose every non-NULL value has a size that is a multiple
   of 8 and needs no padding where it stands goes there. Moving such a column earlier never
   makes a row longer: the values behind it shift by a multiple of 8, so their padding is
   unchanged, and the end of every later value can only move down (alignment is monotone).
   With nothing placed yet this puts int8, float8, timestamp, uuid, name, ... first.
   Identical columns (same reduced value in every row) are interchangeable and searched once.
2. A beam search gives a good order quickly; the current order and the alignment sort are
   scored too.
3. Depth-first branch-and-bound from that incumbent, children best-first, with the bound
   below, dominance on (columns left, offsets of every group), and a node budget. When it
   finishes, the result is optimal on these rows.

Lower bound of a partial order: whatever is still to be placed, a group whose offset is ``o``
and whose remaining values sum to ``R`` will waste at least ``(-(o + R)) mod 8`` more bytes
(waste is never negative, and the final length is congruent to ``o + R + waste``). At the root
that is the tail rounding of rows with no padding at all. When the search stops early, the
reported bound is the smallest bound among the subtrees it did not finish.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

#: Offsets are tracked modulo MAXALIGN; the engine's three bit planes assume 8.
MAXALIGN = 8

#: (alignment, size) of one value; alignment 0 is a NULL (or a value that changes nothing)
Cell = tuple[int, int]
State = tuple[int, int, int]


@dataclass(frozen=True, slots=True)
class Problem:
    """Rows to place: ``rows[r][j]`` is ``(alignment, size)`` of column ``j`` in row ``r``.

    Alignment 0 marks a NULL; 1 an unaligned value (1-byte-header varlena, TOAST pointer,
    ``c``-aligned type); 2, 4 or 8 a value aligned to that many bytes.
    """

    ncols: int
    rows: Sequence[Sequence[Cell]]
    weights: Sequence[int] | None = None  #: rows stand for this many rows each (default 1)

    def weight(self, r: int) -> int:
        return 1 if self.weights is None else self.weights[r]


def reduce_cell(cell: Cell) -> Cell:
    """The part of a value that matters to padding: (alignment, size mod 8); no-ops -> (0, 0)."""
    alignment, size = cell
    residue = size % MAXALIGN
    if alignment == 0 or (alignment == 1 and residue == 0):
        return (0, 0)
    return (alignment, residue)


def exact_waste(problem: Problem, order: Sequence[int]) -> int:
    """Padding plus tail rounding of every row in ``order``, computed value by value.

    The reference the bit-parallel engine is tested against.
    """
    total = 0
    for r, row in enumerate(problem.rows):
        offset = waste = 0
        for j in order:
            alignment, size = row[j]
            if alignment == 0:
                continue
            aligned = (offset + alignment - 1) & -alignment
            waste += aligned - offset
            offset = aligned + size
        waste += (-offset) % MAXALIGN
        total += waste * problem.weight(r)
    return total


# ----------------------------------------------------------------------------------------------
# Bit-parallel engine


@dataclass(frozen=True, slots=True)
class _Col:
    """One column over all groups: where it aligns, and its size residues as bit planes."""

    m2: int
    m4: int
    m8: int
    r0: int
    r1: int
    r2: int
    n0: int  #: planes of (-residue) mod 8: subtract the column from the remaining sum
    n1: int
    n2: int
    mask: int  #: groups where the column changes anything (aligned, or residue != 0)

    @property
    def key(self) -> tuple[int, ...]:
        return (self.m2, self.m4, self.m8, self.r0, self.r1, self.r2)


#: cell codes: 0 changes nothing; else 1 + 8 * log2(alignment) + size residue
_ALIGN_INDEX = {1: 0, 2: 1, 4: 2, 8: 3}


def cell_code(cell: Cell) -> int:
    """One byte for a reduced cell (see :func:`reduce_cell`)."""
    alignment, residue = reduce_cell(cell)
    if alignment == 0:
        return 0
    return 1 + 8 * _ALIGN_INDEX[alignment] + residue


def _decode(code: int) -> Cell:
    if code == 0:
        return (0, 0)
    index, residue = divmod(code - 1, 8)
    return (1 << index, residue)


def _bits(data: bytes, wanted: bytes) -> int:
    """Integer whose bit g is set when ``data[g]`` is one of ``wanted``."""
    if not data:
        return 0
    table = bytearray(b"0" * 256)
    for code in wanted:
        table[code] = ord("1")
    return int(data.translate(bytes(table))[::-1], 2)


class Engine:
    """Offsets of every group modulo 8, advanced one column at a time.

    Built from ``groups``: one bytes object per group with a :func:`cell_code` per column.
    """

    def __init__(
        self, groups: Sequence[bytes], weights: Sequence[int], initial: Sequence[int], ncols: int
    ) -> None:
        self.ngroups = len(groups)
        self.all = (1 << self.ngroups) - 1
        maxw = max(weights, default=1)
        self.unit = maxw == 1
        self.wplanes: list[tuple[int, int]] = []
        for k in range(maxw.bit_length()):
            plane = _bits(bytes(w >> k & 1 for w in weights), b"\x01")
            if plane:
                self.wplanes.append((k, plane))
        self.total_weight = sum(weights)
        columns = list(zip(*groups, strict=True)) if groups else [()] * ncols
        cols: list[_Col] = []
        for j in range(ncols):
            data = bytes(columns[j])
            present = set(data) - {0}
            by_align: dict[int, list[int]] = {2: [], 4: [], 8: []}
            residue_bits: list[list[int]] = [[], [], []]
            negative_bits: list[list[int]] = [[], [], []]
            for code in present:
                alignment, residue = _decode(code)
                if alignment in by_align:
                    by_align[alignment].append(code)
                neg = -residue % MAXALIGN
                for bit in range(3):
                    if residue >> bit & 1:
                        residue_bits[bit].append(code)
                    if neg >> bit & 1:
                        negative_bits[bit].append(code)
            cols.append(
                _Col(
                    m2=_bits(data, bytes(by_align[2])),
                    m4=_bits(data, bytes(by_align[4])),
                    m8=_bits(data, bytes(by_align[8])),
                    r0=_bits(data, bytes(residue_bits[0])),
                    r1=_bits(data, bytes(residue_bits[1])),
                    r2=_bits(data, bytes(residue_bits[2])),
                    n0=_bits(data, bytes(negative_bits[0])),
                    n1=_bits(data, bytes(negative_bits[1])),
                    n2=_bits(data, bytes(negative_bits[2])),
                    mask=_bits(data, bytes(present)),
                )
            )
        self.cols = cols
        offsets = bytes(initial)
        s0 = _bits(offsets, bytes(o for o in range(8) if o & 1))
        s1 = _bits(offsets, bytes(o for o in range(8) if o & 2))
        s2 = _bits(offsets, bytes(o for o in range(8) if o & 4))
        self.initial: State = (s0, s1, s2)

    def wpc(self, x: int) -> int:
        """Total weight of the groups whose bit is set in ``x``."""
        if self.unit:
            return x.bit_count()
        return sum((x & plane).bit_count() << k for k, plane in self.wplanes)

    @staticmethod
    def add(x: State, r: State) -> State:
        """Bit-sliced ``x + r`` modulo 8."""
        x0, x1, x2 = x
        r0, r1, r2 = r
        c0 = x0 & r0
        t1 = x1 ^ r1
        c1 = (x1 & r1) | (c0 & t1)
        return (x0 ^ r0, t1 ^ c0, x2 ^ r2 ^ c1)

    def step(self, x: State, j: int) -> tuple[State, int]:
        """Place column ``j``: the new offsets and the padding it costs (weighted bytes)."""
        col = self.cols[j]
        x0, x1, x2 = x
        pad = 0
        if col.m2:
            t = col.m2 & x0
            if t:
                pad += self.wpc(t)
                x2 ^= t & x1
                x1 ^= t
                x0 ^= t
        if col.m4:
            u = col.m4 & x0
            v = col.m4 & x1
            if u | v:
                pad += 3 * self.wpc(u & ~v) + 2 * self.wpc(v & ~u) + self.wpc(u & v)
                x2 ^= u | v
                x0 ^= u
                x1 ^= v
        if col.m8:
            y0 = col.m8 & x0
            y1 = col.m8 & x1
            y2 = col.m8 & x2
            nz = y0 | y1 | y2
            if nz:
                pad += 8 * self.wpc(nz) - self.wpc(y0) - 2 * self.wpc(y1) - 4 * self.wpc(y2)
                x0 ^= y0
                x1 ^= y1
                x2 ^= y2
        if col.r0 | col.r1 | col.r2:
            return self.add((x0, x1, x2), (col.r0, col.r1, col.r2)), pad
        return (x0, x1, x2), pad

    def tail(self, x: State) -> int:
        """MAXALIGN rounding at the end: sum of weight * ((-offset) mod 8)."""
        x0, x1, x2 = x
        nz = x0 | x1 | x2
        return 8 * self.wpc(nz) - self.wpc(x0) - 2 * self.wpc(x1) - 4 * self.wpc(x2)

    def remaining(self, columns: Sequence[int]) -> State:
        """Planes of the sum of the residues of ``columns`` modulo 8, per group."""
        rem: State = (0, 0, 0)
        for j in columns:
            col = self.cols[j]
            rem = self.add(rem, (col.r0, col.r1, col.r2))
        return rem

    def bound(self, x: State, rem: State) -> int:
        """Least waste still to come: tail of (offset + remaining residues)."""
        return self.tail(self.add(x, rem))

    def misalignment(self, x: State, r8: int, r4: int, r2: int) -> int:
        """Padding the groups would pay if each next needed its largest remaining alignment.

        ``r8``/``r4``/``r2``: groups whose largest remaining alignment is 8, 4, 2. Not a bound
        (an unaligned value can realign a group for free); it ranks partial orders.
        """
        x0, x1, x2 = x
        cost = 0
        if r8:
            cost += (
                8 * self.wpc(r8 & (x0 | x1 | x2))
                - self.wpc(r8 & x0)
                - 2 * self.wpc(r8 & x1)
                - 4 * self.wpc(r8 & x2)
            )
        if r4:
            u = r4 & x0
            v = r4 & x1
            cost += 3 * self.wpc(u & ~v) + 2 * self.wpc(v & ~u) + self.wpc(u & v)
        if r2:
            cost += self.wpc(r2 & x0)
        return cost

    def is_free(self, x: State, j: int) -> bool:
        """True when column ``j`` costs no padding here and moves no offset modulo 8."""
        col = self.cols[j]
        if col.r0 | col.r1 | col.r2:
            return False
        x0, x1, x2 = x
        if col.m2 & x0:
            return False
        if col.m4 & (x0 | x1):
            return False
        return not col.m8 & (x0 | x1 | x2)


# ----------------------------------------------------------------------------------------------
# Search


@dataclass(frozen=True, slots=True)
class Solution:
    """The best order found and what is known about it."""

    order: tuple[int, ...]
    waste: int  #: padding + tail rounding, summed over the (weighted) rows
    lower_bound: int  #: no order (within the stages) wastes less
    nodes: int  #: column placements the search evaluated
    complete: bool  #: the branch-and-bound finished: waste == lower_bound is proven optimal
    forced: tuple[int, ...] = ()  #: columns placed by the proven rule, in order
    seconds: float = 0.0
    candidates: dict[str, int] = field(default_factory=dict)  #: waste of each heuristic

    @property
    def proven(self) -> bool:
        return self.waste <= self.lower_bound


@dataclass(frozen=True, slots=True)
class _Frame:
    stage: int
    counts: tuple[int, ...]
    state: State
    rem: State
    acc: int


class Search:
    """One problem, searched under stage constraints.

    ``prefix`` columns come first in the given order (pinned); then each stage's columns, in
    any order within the stage, stage after stage. Columns in no stage and not in the prefix
    are not placed (and must not matter: the caller drops them).
    """

    def __init__(
        self, problem: Problem, prefix: Sequence[int], stages: Sequence[Sequence[int]]
    ) -> None:
        self.problem = problem
        self.prefix = tuple(prefix)
        self.stages = [tuple(s) for s in stages]
        searched = [j for s in self.stages for j in s]
        # offsets after the pinned prefix, and the waste it causes, row by row
        grouped: dict[tuple[int, bytes], int] = {}
        self.prefix_pad = 0
        distinct: set[Cell] = set()
        for row in problem.rows:
            distinct.update(row)
        codes = {cell: cell_code(cell) for cell in distinct}
        code_of = codes.__getitem__
        for r, row in enumerate(problem.rows):
            offset = pad = 0
            for j in self.prefix:
                alignment, size = row[j]
                if alignment == 0:
                    continue
                aligned = (offset + alignment - 1) & -alignment
                pad += aligned - offset
                offset = aligned + size
            weight = problem.weight(r)
            self.prefix_pad += pad * weight
            key = (offset % MAXALIGN, bytes(map(code_of, [row[j] for j in searched])))
            grouped[key] = grouped.get(key, 0) + weight
        keys = list(grouped)
        self.local = {j: i for i, j in enumerate(searched)}
        self.engine = Engine(
            [k[1] for k in keys], [grouped[k] for k in keys], [k[0] for k in keys], len(searched)
        )
        # classes of identical columns within each stage: class -> columns (attnum order)
        self.classes: list[list[int]] = []
        self.class_stage: list[int] = []
        for stage_no, stage in enumerate(self.stages):
            by_key: dict[tuple[int, ...], int] = {}
            for j in stage:
                col_key = self.engine.cols[self.local[j]].key
                if col_key in by_key:
                    self.classes[by_key[col_key]].append(j)
                else:
                    by_key[col_key] = len(self.classes)
                    self.classes.append([j])
                    self.class_stage.append(stage_no)
        self.class_local = [self.local[c[0]] for c in self.classes]
        # ties are broken towards the larger alignment, as the usual rule of thumb does: a
        # value that needs 8 is placed while the offset is aligned, smaller ones fill after
        self.class_rank = []
        for local in self.class_local:
            col = self.engine.cols[local]
            alignment = 8 if col.m8 else 4 if col.m4 else 2 if col.m2 else 1
            self.class_rank.append(-alignment)
        self.nodes = 0

    @property
    def groups(self) -> int:
        return self.engine.ngroups

    # -- scoring --------------------------------------------------------------------------

    def waste_of(self, order: Sequence[int]) -> int:
        """Waste of a complete order of the searched columns (prefix excluded from ``order``)."""
        state = self.engine.initial
        acc = self.prefix_pad
        for j in order:
            state, pad = self.engine.step(state, self.local[j])
            acc += pad
        return acc + self.engine.tail(state)

    def _root(self) -> _Frame:
        counts = tuple(len(c) for c in self.classes)
        rem = self.engine.remaining(range(len(self.engine.cols)))
        return _Frame(0, counts, self.engine.initial, rem, self.prefix_pad)

    def _stage_of(self, frame: _Frame) -> int:
        stage = frame.stage
        while stage < len(self.stages) and not any(
            n for k, n in enumerate(frame.counts) if self.class_stage[k] == stage
        ):
            stage += 1
        return stage

    def _child(self, frame: _Frame, k: int) -> tuple[_Frame, int]:
        """Place one column of class ``k``; returns the child and its bound."""
        self.nodes += 1
        local = self.class_local[k]
        state, pad = self.engine.step(frame.state, local)
        col = self.engine.cols[local]
        rem = self.engine.add(frame.rem, (col.n0, col.n1, col.n2))
        counts = (*frame.counts[:k], frame.counts[k] - 1, *frame.counts[k + 1 :])
        child = _Frame(frame.stage, counts, state, rem, frame.acc + pad)
        return child, child.acc + self.engine.bound(state, rem)

    def _free_class(self, frame: _Frame, stage: int) -> int:
        for k, n in enumerate(frame.counts):
            if (
                n
                and self.class_stage[k] == stage
                and self.engine.is_free(frame.state, self.class_local[k])
            ):
                return k
        return -1

    def _expand(self, frame: _Frame) -> list[tuple[int, int, int, _Frame, int]]:
        """Children as (score, bound, acc, frame, class), most promising first.

        ``score`` = padding so far + :meth:`Engine.misalignment` ranks them; ``bound`` prunes.
        A forced move is the only child.
        """
        stage = self._stage_of(frame)
        if stage >= len(self.stages):
            return []
        frame = _Frame(stage, frame.counts, frame.state, frame.rem, frame.acc)
        forced = self._free_class(frame, stage)
        choices = (
            [forced]
            if forced >= 0
            else [k for k, n in enumerate(frame.counts) if n and self.class_stage[k] == stage]
        )
        a8 = a4 = a2 = 0
        if len(choices) > 1:
            for k, n in enumerate(frame.counts):
                if n:
                    col = self.engine.cols[self.class_local[k]]
                    a8 |= col.m8
                    a4 |= col.m4
                    a2 |= col.m2
            a4 &= ~a8
            a2 &= ~(a8 | a4)
        out = []
        for k in choices:
            child, bound = self._child(frame, k)
            score = child.acc + self.engine.misalignment(child.state, a8, a4, a2)
            out.append((score, bound, child.acc, child, k))
        rank = self.class_rank
        out.sort(key=lambda c: (c[0], c[1], rank[c[4]], c[4]))
        return out

    def _order(self, picks: Sequence[int]) -> tuple[int, ...]:
        used = [0] * len(self.classes)
        order = []
        for k in picks:
            order.append(self.classes[k][used[k]])
            used[k] += 1
        return tuple(order)

    def forced_prefix(self) -> tuple[int, ...]:
        """Columns the proven rule places at the start of the first stage."""
        frame = self._root()
        picks = []
        while True:
            stage = self._stage_of(frame)
            if stage >= len(self.stages) or stage != 0:
                break
            frame = _Frame(stage, frame.counts, frame.state, frame.rem, frame.acc)
            k = self._free_class(frame, stage)
            if k < 0:
                break
            frame, _ = self._child(frame, k)
            picks.append(k)
        return self._order(picks)

    def beam(self, width: int) -> tuple[tuple[int, ...], int]:
        """Keep the ``width`` best partial orders (by bound) at each depth."""
        beam: list[tuple[_Frame, tuple[int, ...]]] = [(self._root(), ())]
        finished: list[tuple[int, tuple[int, ...]]] = []
        while beam:
            children: dict[tuple[object, ...], tuple[int, int, _Frame, tuple[int, ...]]] = {}
            for frame, picks in beam:
                expanded = self._expand(frame)
                if not expanded:
                    finished.append((frame.acc + self.engine.tail(frame.state), picks))
                    continue
                for score, _bound, acc, child, k in expanded:
                    key = (child.counts, child.state)
                    if key not in children or acc < children[key][1]:
                        children[key] = (score, acc, child, (*picks, k))
            rank = self.class_rank
            ranked = sorted(children.values(), key=lambda c: (c[0], c[1], [rank[k] for k in c[3]]))[
                :width
            ]
            beam = [(c[2], c[3]) for c in ranked]
        waste, picks = min(finished, key=lambda f: (f[0], f[1]))
        return self._order(picks), waste

    def branch_and_bound(
        self,
        incumbent: int,
        incumbent_picks: Sequence[int] | None,
        node_budget: int,
        deadline: float,
        memo_limit: int = 400_000,
    ) -> tuple[tuple[int, ...] | None, int, int, bool]:
        """Depth-first search below ``incumbent``.

        Returns (better order or None, its waste, lower bound, finished).
        """
        best = incumbent
        best_picks: list[int] | None = list(incumbent_picks) if incumbent_picks else None
        memo: dict[tuple[object, ...], int] = {}
        root = self._root()
        stack: list[tuple[list[tuple[int, int, int, _Frame, int]], int, list[int]]] = [
            (self._expand(root), 0, [])
        ]
        start_nodes = self.nodes
        if not stack[0][0]:
            return None, root.acc + self.engine.tail(root.state), best, True
        finished = True
        popped = 0
        while stack:
            children, index, picks = stack[-1]
            if index >= len(children):
                stack.pop()
                continue
            stack[-1] = (children, index + 1, picks)
            _score, bound, acc, child, k = children[index]
            if bound >= best:
                continue
            key = (child.counts, child.state)
            seen = memo.get(key)
            if seen is not None and seen <= acc:
                continue
            if len(memo) < memo_limit:
                memo[key] = acc
            popped += 1
            if self.nodes - start_nodes > node_budget or (
                popped & 31 == 0 and time.monotonic() > deadline
            ):
                finished = False
                break
            grandchildren = self._expand(child)
            if not grandchildren:
                waste = acc + self.engine.tail(child.state)
                if waste < best:
                    best, best_picks = waste, [*picks, k]
                continue
            stack.append((grandchildren, 0, [*picks, k]))
        if finished:
            lower = best
        else:
            pending = [
                children[i][1]
                for children, index, _ in stack
                for i in range(max(index - 1, 0), len(children))
            ]
            lower = min([best, *pending])
        if best_picks is None or best >= incumbent:
            return None, incumbent, min(lower, incumbent), finished
        return self._order(best_picks), best, min(lower, best), finished

    def improve(
        self, order: Sequence[int], deadline: float, max_block: int = 3
    ) -> tuple[tuple[int, ...], int]:
        """Local search: move a run of 1 to ``max_block`` columns elsewhere while that helps.

        Runs are tried in decreasing order of the padding they cost where they stand, each
        at every position its stage allows; a continuation is abandoned as soon as its bound
        reaches the best waste, and the first improving move is taken. A run that found no
        improving move is not tried again until every run has failed once since the last
        improvement (then once more, all of them).
        """
        engine = self.engine
        stage_of = {j: self.class_stage[k] for k, cols in enumerate(self.classes) for j in cols}
        current = list(order)
        best = self.waste_of(current)
        failed: set[tuple[int, ...]] = set()
        retried = False  # every run was retried since the last improvement
        while time.monotonic() < deadline:
            loc = [self.local[j] for j in current]
            states = [engine.initial]
            accs = [self.prefix_pad]
            pads = []
            for j in loc:
                state, pad = engine.step(states[-1], j)
                states.append(state)
                pads.append(pad)
                accs.append(accs[-1] + pad)
            runs = []
            for length in range(1, max_block + 1):
                for p in range(len(current) - length + 1):
                    block = tuple(current[p : p + length])
                    if block in failed or len({stage_of[c] for c in block}) > 1:
                        continue
                    runs.append((-sum(pads[p : p + length]), length, p, block))
            runs.sort()
            moved = None
            for _, length, p, block in runs:
                if time.monotonic() >= deadline:
                    break
                moved = self._move(current, loc, states, accs, p, length, best, stage_of, deadline)
                if moved is not None:
                    break
                failed.add(block)
            if moved is not None:
                current, best = moved
                retried = False
                continue
            if retried or time.monotonic() >= deadline:
                break
            failed.clear()
            retried = True
        return tuple(current), best

    def _move(
        self,
        current: list[int],
        loc: list[int],
        states: list[State],
        accs: list[int],
        p: int,
        length: int,
        best: int,
        stage_of: dict[int, int],
        deadline: float,
    ) -> tuple[list[int], int] | None:
        """Try the run ``current[p:p+length]`` at every other allowed position."""
        engine = self.engine
        block = current[p : p + length]
        block_loc = loc[p : p + length]
        rest = loc[:p] + loc[p + length :]
        rest_names = current[:p] + current[p + length :]
        stage = stage_of[block[0]]
        n = len(rest)
        # prefix states of ``rest``: unchanged up to p, recomputed after
        rest_states = states[: p + 1]
        rest_acc = accs[: p + 1]
        state, acc = states[p], accs[p]
        for i in range(p, n):
            state, pad = engine.step(state, rest[i])
            acc += pad
            rest_states.append(state)
            rest_acc.append(acc)
        # residues of rest[i:] for the bound
        suffix: list[State] = [(0, 0, 0)] * (n + 1)
        for i in range(n - 1, -1, -1):
            col = engine.cols[rest[i]]
            suffix[i] = engine.add(suffix[i + 1], (col.r0, col.r1, col.r2))
        for q in range(n + 1):
            if q == p:
                continue
            if q & 7 == 0 and time.monotonic() >= deadline:
                return None
            before = stage_of[rest_names[q - 1]] if q > 0 else -1
            after = stage_of[rest_names[q]] if q < n else len(self.stages)
            if not before <= stage <= after:
                continue
            state, acc = rest_states[q], rest_acc[q]
            for j in block_loc:
                state, pad = engine.step(state, j)
                acc += pad
            i = q
            while True:
                if acc + engine.bound(state, suffix[i]) >= best:
                    break
                if i == n:
                    waste = acc + engine.tail(state)
                    if waste < best:
                        return rest_names[:q] + block + rest_names[q:], waste
                    break
                state, pad = engine.step(state, rest[i])
                self.nodes += 1
                acc += pad
                i += 1
        return None

    def root_bound(self) -> int:
        root = self._root()
        return root.acc + self.engine.bound(root.state, root.rem)

    def picks_of(self, order: Sequence[int]) -> list[int] | None:
        """Class picks that produce ``order`` (None when ``order`` breaks the stages)."""
        class_of = {j: k for k, cols in enumerate(self.classes) for j in cols}
        try:
            picks = [class_of[j] for j in order]
        except KeyError:
            return None
        stages = [self.class_stage[k] for k in picks]
        return picks if stages == sorted(stages) and len(picks) == len(class_of) else None


#: above this many row groups, heuristics run on an evenly spaced subset of the rows first
SEARCH_GROUPS = 1536


def _subproblem(problem: Problem, limit: int) -> Problem:
    """Every k-th row (weights kept), so that about ``limit`` rows remain."""
    step = -(-len(problem.rows) // limit)
    picked = range(0, len(problem.rows), step)
    return Problem(
        problem.ncols, [problem.rows[r] for r in picked], [problem.weight(r) for r in picked]
    )


def solve(
    problem: Problem,
    *,
    prefix: Sequence[int] = (),
    stages: Sequence[Sequence[int]] | None = None,
    seeds: dict[str, Sequence[int]] | None = None,
    node_budget: int = 60_000,
    time_limit: float = 1.5,
    beam_steps: int = 8_000,
) -> Solution:
    """The best order of ``problem``'s columns (prefix first, then stage by stage).

    ``seeds`` are named complete orders (the current one, the alignment sort, ...) scored
    and used as incumbents when they respect the stages. ``node_budget`` caps the column
    placements of each branch-and-bound, ``time_limit`` the wall-clock seconds of the whole
    search (reached only on large, varied samples or slow machines), ``beam_steps`` the
    placements of the beam search.

    When the rows form more than :data:`SEARCH_GROUPS` distinct groups, the beam search and
    a first branch-and-bound run on an evenly spaced subset of the rows; every candidate is
    then scored on all rows, and the branch-and-bound runs again on all rows from the best,
    for the rest of the time: the waste and the bound reported are those of all rows.
    """
    started = time.monotonic()
    deadline = started + time_limit
    if stages is None:
        pinned = set(prefix)
        stages = [[j for j in range(problem.ncols) if j not in pinned]]
    search = Search(problem, prefix, stages)
    pinned_set = set(prefix)
    candidates: dict[str, int] = {}
    orders: dict[str, tuple[int, ...]] = {}
    for name, seed in (seeds or {}).items():
        rest = tuple(j for j in seed if j not in pinned_set)
        if search.picks_of(rest) is not None:
            orders[name] = rest
    heuristic = search
    if search.groups > SEARCH_GROUPS:
        heuristic = Search(_subproblem(problem, SEARCH_GROUPS), prefix, stages)
    nclasses = max(len(heuristic.classes), 1)
    depth = max(sum(len(s) for s in heuristic.stages), 1)
    width = max(1, min(32, beam_steps // (depth * nclasses)))
    orders["beam"], _ = heuristic.beam(width)
    sub_best = min(orders.values(), key=heuristic.waste_of)
    orders["local search"], _ = heuristic.improve(sub_best, started + time_limit * 0.55)
    for name, order in orders.items():
        candidates[name] = search.waste_of(order)
    best_name = min(candidates, key=lambda n: (candidates[n], n != "current"))
    best, best_order = candidates[best_name], orders[best_name]
    if heuristic is not search:
        polished, waste = search.improve(best_order, started + time_limit * 0.75)
        if waste < best:
            best, best_order = waste, polished
            candidates["local search (all rows)"] = waste
    root = search.root_bound()
    complete = best <= root
    lower = root
    if not complete:
        better, waste, lower, complete = search.branch_and_bound(
            best, search.picks_of(best_order), node_budget, deadline
        )
        if better is not None:
            best, best_order = waste, better
            candidates["branch-and-bound"] = waste
        lower = max(lower, root)
    return Solution(
        order=(*search.prefix, *best_order),
        waste=best,
        lower_bound=min(lower, best),
        nodes=search.nodes + (heuristic.nodes if heuristic is not search else 0),
        complete=complete,
        forced=search.forced_prefix(),
        seconds=time.monotonic() - started,
        candidates=candidates,
    )
