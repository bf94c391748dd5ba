"""The column-order search: exact on small tables (checked by brute force), bounded on large.

No server: rows are drawn by hypothesis as (alignment, size) cells, the form the storage
model hands the search; the reference is :func:`exact_waste`, a plain value-by-value replay
of heap_compute_data_size's alignment rule, and brute force over every permutation.
"""

from __future__ import annotations

import itertools
import random
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pageinspect_py.advice.search import (
    Cell,
    Engine,
    Problem,
    Search,
    cell_code,
    exact_waste,
    solve,
)

#: (alignment, size) of one value of common column kinds; None marks a varlena
KINDS: list[tuple[int, int | None]] = [
    (1, 1),  # bool, "char"
    (2, 2),  # int2
    (4, 4),  # int4, date, float4
    (8, 8),  # int8, timestamp
    (8, 12),  # timetz
    (4, 6),  # macaddr
    (2, 6),  # tid
    (1, 16),  # uuid
    (8, 16),  # interval
    (4, None),  # text, numeric: short or 4-byte header
    (8, None),  # int8[]: 4-byte header aligned to d
]


@st.composite
def problems(draw: st.DrawFn, max_cols: int = 7, max_rows: int = 12) -> Problem:
    ncols = draw(st.integers(1, max_cols))
    kinds = [draw(st.sampled_from(KINDS)) for _ in range(ncols)]
    nullable = [draw(st.booleans()) for _ in range(ncols)]
    rows = []
    for _ in range(draw(st.integers(1, max_rows))):
        row: list[Cell] = []
        for (alignment, size), can_null in zip(kinds, nullable, strict=True):
            if can_null and draw(st.booleans()):
                row.append((0, 0))
            elif size is None:
                length = draw(st.integers(1, 300))
                # a varlena stored short (<= 127 bytes with its 1-byte header) is unaligned
                row.append((1, length) if length <= 127 else (alignment, length))
            else:
                row.append((alignment, size))
        rows.append(row)
    weights = draw(st.none() | st.lists(st.integers(1, 5), min_size=len(rows), max_size=len(rows)))
    return Problem(ncols, rows, weights)


def brute_force(
    problem: Problem, prefix: tuple[int, ...] = (), stages: list[list[int]] | None = None
) -> int:
    rest = [j for j in range(problem.ncols) if j not in prefix]
    best = None
    for perm in itertools.permutations(rest):
        if stages is not None:
            stage_of = {j: s for s, cols in enumerate(stages) for j in cols}
            if [stage_of[j] for j in perm] != sorted(stage_of[j] for j in perm):
                continue
        waste = exact_waste(problem, (*prefix, *perm))
        best = waste if best is None else min(best, waste)
    assert best is not None
    return best


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(problems(max_cols=8, max_rows=10))
def test_never_beaten_by_any_permutation(problem: Problem) -> None:
    solution = solve(problem, seeds={"current": list(range(problem.ncols))})
    assert sorted(solution.order) == list(range(problem.ncols))
    assert exact_waste(problem, solution.order) == solution.waste
    best = brute_force(problem)
    assert solution.waste == best
    assert solution.lower_bound <= best
    assert solution.complete and solution.proven


@SETTINGS
@given(problems(max_cols=7), st.data())
def test_pinned_columns_stay_first_and_the_rest_is_optimal(
    problem: Problem, data: st.DataObject
) -> None:
    npins = data.draw(st.integers(0, min(2, problem.ncols)))
    pins = tuple(data.draw(st.permutations(range(problem.ncols)))[:npins])
    solution = solve(problem, prefix=pins)
    assert solution.order[:npins] == pins
    assert solution.waste == brute_force(problem, prefix=pins)


@SETTINGS
@given(problems(max_cols=7), st.data())
def test_stages_are_respected_and_optimal_within_them(
    problem: Problem, data: st.DataObject
) -> None:
    first = data.draw(st.sets(st.integers(0, problem.ncols - 1)))
    stages = [sorted(first), [j for j in range(problem.ncols) if j not in first]]
    solution = solve(problem, stages=stages)
    positions = {j: i for i, j in enumerate(solution.order)}
    assert all(positions[a] < positions[b] for a in stages[0] for b in stages[1])
    assert solution.waste == brute_force(problem, stages=stages)


@SETTINGS
@given(problems(max_cols=8, max_rows=20), st.data())
def test_engine_matches_value_by_value_replay(problem: Problem, data: st.DataObject) -> None:
    order = data.draw(st.permutations(range(problem.ncols)))
    search = Search(problem, (), [list(range(problem.ncols))])
    assert search.waste_of(order) == exact_waste(problem, order)


@SETTINGS
@given(problems(max_cols=7), st.data())
def test_forced_move_never_costs(problem: Problem, data: st.DataObject) -> None:
    """The proven rule: a column whose non-NULL sizes are multiples of 8 (and that needs no
    padding at the front) may move to the front of any order without growing any row."""
    order = list(data.draw(st.permutations(range(problem.ncols))))
    for j in range(problem.ncols):
        cells = [row[j] for row in problem.rows]
        if all(a == 0 or s % 8 == 0 for a, s in cells):
            moved = [j] + [k for k in order if k != j]
            assert exact_waste(problem, moved) <= exact_waste(problem, order)


def test_engine_groups_identical_rows() -> None:
    rows = [[(4, 4), (1, 5)]] * 50 + [[(0, 0), (1, 3)]] * 7
    search = Search(Problem(2, rows), (), [[0, 1]])
    assert search.groups == 2
    assert cell_code((1, 8)) == 0  # unaligned multiple of 8: changes nothing modulo 8
    engine = Engine([bytes([cell_code((4, 4))])], [3], [1], 1)
    state, pad = engine.step(engine.initial, 0)
    assert pad == 3 * 3  # offset 1 -> 4 for three rows
    assert engine.tail(state) == 0


def _wide_problem(nrows: int, seed: int) -> Problem:
    rng = random.Random(seed)
    kinds = (
        ["int8"] * 20
        + ["int4"] * 20
        + ["int2"] * 8
        + ["bool"] * 10
        + ["text"] * 20
        + ["numeric"] * 5
        + ["timetz"] * 2
        + ["macaddr"] * 2
        + ["date"] * 8
        + ["longtext"] * 5
    )
    rng.shuffle(kinds)
    nullable = [rng.random() < 0.5 for _ in kinds]
    rows = []
    for _ in range(nrows):
        row: list[Cell] = []
        for kind, can_null in zip(kinds, nullable, strict=True):
            if can_null and rng.random() < 0.3:
                row.append((0, 0))
                continue
            size = {
                "int8": 8,
                "int4": 4,
                "date": 4,
                "int2": 2,
                "bool": 1,
                "timetz": 12,
                "macaddr": 6,
            }.get(kind)
            if size is not None:
                alignment = {1: 1, 2: 2, 4: 4, 6: 4, 8: 8, 12: 8}[size]
                row.append((alignment, size))
            elif kind == "longtext":
                n = rng.choice([5, 10, 200, 300, 1000])
                row.append((1, n + 1) if n <= 126 else (4, n + 4))
            else:
                row.append((1, rng.randint(2, 41)))
        rows.append(row)
    return Problem(len(kinds), rows)


def test_hundred_columns_in_a_couple_of_seconds() -> None:
    problem = _wide_problem(10_000, seed=2)
    started = time.monotonic()
    solution = solve(problem, seeds={"current": list(range(problem.ncols))}, time_limit=1.5)
    elapsed = time.monotonic() - started
    assert elapsed < 3.0, elapsed
    assert exact_waste(problem, solution.order) == solution.waste
    assert solution.lower_bound <= solution.waste
    # far better than the order it started from
    assert solution.waste < 0.2 * solution.candidates["current"]


def test_homogeneous_wide_table_is_proven_optimal() -> None:
    """NOT NULL fixed-width columns: one row shape, so the bound is reached."""
    kinds = [(8, 8), (4, 4), (2, 2), (1, 1), (8, 12), (4, 6)] * 16 + [(4, 4)] * 4
    rows = [list(kinds)] * 1000
    problem = Problem(len(kinds), rows)
    solution = solve(problem, time_limit=1.0)
    assert solution.proven
    assert solution.waste == solution.lower_bound
