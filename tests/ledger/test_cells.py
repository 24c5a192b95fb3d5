"""cell_texts (a sheet converted column by column) gives cell_text of every value, in place."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from ledger.cells import ExcelNumber, cell_text, cell_texts, fold, fold_rows

# What a workbook's cells hold (python-calamine): text (full-width and padded too), numbers, booleans, dates.
VALUES = st.one_of(
    st.sampled_from(
        ["", " 是 ", "否", "４３０６２１", "430621199208284985", "资料员", "\u3000刘洋", "1", "ab "]
    ),
    st.text(max_size=4),
    st.integers(-3, 3),
    st.floats(allow_nan=False, min_value=-3, max_value=3),
    st.booleans(),
    st.dates(dt.date(2023, 1, 1), dt.date(2023, 12, 31)),
)


def _one_by_one(rows: list[list[object]]) -> list[tuple[str, ...]]:
    return [tuple(cell_text(v) for v in row) for row in rows]


def _kinds(rows: list[tuple[str, ...]]) -> list[tuple[type, ...]]:
    return [tuple(map(type, row)) for row in rows]


@given(st.lists(st.lists(VALUES, min_size=3, max_size=3), max_size=12))
def test_a_rectangular_sheet_is_converted_as_cell_by_cell(rows: list[list[object]]) -> None:
    texts = cell_texts(rows)
    assert texts == _one_by_one(rows)
    assert _kinds(texts) == _kinds(_one_by_one(rows))  # a number stays an ExcelNumber


@given(st.lists(st.lists(VALUES, max_size=5), max_size=12))
def test_rows_of_any_length_keep_their_length(rows: list[list[object]]) -> None:
    assert cell_texts(rows) == _one_by_one(rows)


def test_true_and_one_in_a_column_stay_apart_and_numbers_stay_numbers() -> None:
    rows: list[list[object]] = [["线上学时", "缴费"], [1, True], [1.0, 1], [True, "１"], ["20学时 ", 20.5]]
    texts = cell_texts(rows)
    assert texts == [("线上学时", "缴费"), ("1", "是"), ("1", "1"), ("是", "1"), ("20学时", "20.5")]
    assert isinstance(texts[1][0], ExcelNumber) and not isinstance(texts[3][1], ExcelNumber)
    # a column of ASCII text with one full-width cell: that cell folded, the others trimmed
    ids = [["身份证号"], [" 430621199208284985"], ["４３０６２１１９９２０８２８４９８５"]]
    assert cell_texts(ids) == [("身份证号",), ("430621199208284985",), ("430621199208284985",)]


@given(
    st.lists(
        st.lists(st.sampled_from(["", " 是 ", "否", "４３０６", "ab ", "\u3000刘洋", "资料员"]), max_size=4)
    )
)
def test_rows_of_text_are_folded_as_each_cell_alone(rows: list[list[str]]) -> None:
    assert list(fold_rows(rows)) == [[fold(cell) for cell in row] for row in rows]
    assert list(fold_rows(rows)) == [[fold(cell) for cell in row] for row in rows]  # from the cache too
