"""A first import's new trainees, column by column, are what new_trainee makes of each row."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from ledger.merge import STORED, new_columns, new_trainee
from ledger.validate import LedgerRow

flags = st.sampled_from([None, True, False])
hours = st.sampled_from([None, 0.0, 12.5, 32.0])
rows = st.builds(
    LedgerRow,
    name=st.sampled_from(["刘洋", "王芳"]),
    id_number=st.just("430621199208284985"),
    phone=st.sampled_from([None, "13207425393"]),
    posts=st.sampled_from([None, ("资料员",), ("资料员", "安全员")]),
    employer=st.sampled_from([None, "", "岳阳建工集团"]),
    registered=flags,
    confirmed=flags,
    confirmed_on=st.sampled_from([None, dt.date(2023, 10, 27)]),
    paid=flags,
    online_hours=hours,
    offline_hours=hours,
    audited=flags,
)


@given(st.lists(rows, max_size=6))
def test_new_columns_hold_what_new_trainee_makes_of_each_row(given_rows: list[LedgerRow]) -> None:
    columns = new_columns(given_rows)
    made = [new_trainee(row).values for row in given_rows]
    assert columns == [[values[name] for values in made] for name in STORED]
    for column, name in zip(columns, STORED, strict=True):  # 否 is False, not None; 0 学时 is 0.0, not None
        assert [type(v) for v in column] == [type(values[name]) for values in made]
