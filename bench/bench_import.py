"""Measure `jxjy ledger import` on a generated ledger: python bench/bench_import.py [ROWS] [DATABASE_URL].

Generates a valid CSV of ROWS trainees (default 100,000), imports it into a fresh SQLite file (or the given
URL), imports it again (all unchanged), and prints rows per second for both runs, by the wall clock and by
this process's CPU time (steadier on a busy machine). Target: ≥ 20,000 rows/s.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from knowledge.campaign import load_campaign
from ledger.crypto import IdVault
from ledger.db import make_engine, migrate
from ledger.importer import import_ledger
from ledger.validate import COLUMNS

SHANGHAI = ZoneInfo("Asia/Shanghai")  # the packaged campaign's time zone

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_AREAS = ("430602", "430603", "430611", "430621", "430623", "430624", "430626", "430681", "430682")
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂"
_EMPLOYERS = ("岳阳建工集团", "华容县建筑公司", "平江路桥公司", "临湘市政工程处", "汨罗建设有限公司")
_FLAGS = ("是", "否")


def id_number(index: int) -> str:
    """A valid ID number, distinct for every index (area, birth date and sequence code carry it)."""
    rest = index // len(_AREAS)
    born = dt.date(1960, 1, 1) + dt.timedelta(days=37 * (rest // 1000))
    body = f"{_AREAS[index % len(_AREAS)]}{born:%Y%m%d}{rest % 1000:03d}"
    return body + _CHECK[sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True)) % 11]


def write_ledger(path: Path, rows: int, seed: int = 2023) -> None:
    """Write a valid ledger CSV of ``rows`` trainees."""
    rng = random.Random(seed)
    posts = load_campaign().facts.posts
    header = [chinese for chinese, _ in COLUMNS.values()]
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for index in range(rows):
            writer.writerow(
                [
                    rng.choice(_SURNAMES) + rng.choice(_GIVEN) + rng.choice(("", *_GIVEN)),
                    id_number(index),
                    f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}",
                    "、".join(rng.sample(posts, rng.choice((1, 1, 2)))),
                    rng.choice(_EMPLOYERS),
                    rng.choice(_FLAGS),
                    rng.choice(_FLAGS),
                    rng.choice(_FLAGS),
                    rng.choice((0, 6, 12.5, 20, 24, 32)),
                    rng.choice((0, 4, 12)),
                    rng.choice(_FLAGS),
                ]
            )


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as tmp:
        ledger = Path(tmp) / "ledger.csv"
        write_ledger(ledger, rows)
        url = sys.argv[2] if len(sys.argv) > 2 else f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        engine = make_engine(url)
        migrate(engine)
        vault = IdVault("bench-secret")
        posts = load_campaign().facts.posts
        for label in ("first import", "re-import"):
            started, cpu_started = time.perf_counter(), time.process_time()
            report = import_ledger(engine, vault, ledger, posts, dt.datetime.now(SHANGHAI))
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
            print(
                f"{label}: {report.rows} rows in {elapsed:.2f} s = {report.rows / elapsed:,.0f} rows/s "
                f"(CPU {cpu:.2f} s = {report.rows / cpu:,.0f} rows/s) "
                f"(inserted {report.inserted}, updated {report.updated}, unchanged {report.unchanged}, "
                f"rejected {report.rejected})"
            )
        engine.dispose()


if __name__ == "__main__":
    main()
