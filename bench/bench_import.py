"""Measure `jxjy ledger import` on a generated ledger, as a whole process (as staff run it) and in-process.

    python bench/bench_import.py [--rows N] [--format csv|xlsx] [--url DATABASE_URL] [--runs 3] [--in-process]
                                 [--compile-each-time]

Generates a valid ledger of N trainees (default 100,000) as CSV or XLSX, then, ``--runs`` times: a fresh
database (SQLite file, or the PostgreSQL schema at ``--url`` dropped and recreated), `jxjy db upgrade`, a first
import (all inserted) and a re-import (all unchanged). For each it prints the best wall time and the best CPU
time (user + system of the import process, steadier on a busy machine) as rows per second, the CPU time of
the local PostgreSQL server's processes meanwhile (with --url), and the load average. Target: ≥ 20,000 rows/s.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))

from serving import SECRET, jxjy, reset_postgres

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


def ledger_rows(rows: int, seed: int = 2023) -> Iterator[list[object]]:
    """The header and ``rows`` valid trainees."""
    from knowledge.campaign import load_campaign
    from ledger.validate import COLUMNS

    rng = random.Random(seed)
    posts = load_campaign().facts.posts
    yield [chinese for chinese, _ in COLUMNS.values()]
    for index in range(rows):
        yield [
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


_XLSX_PARTS = {
    "[Content_Types].xml": (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/sharedStrings.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Target="xl/workbook.xml" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/officeDocument"/></Relationships>'
    ),
    "xl/workbook.xml": (
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="台账" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Target="worksheets/sheet1.xml" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/worksheet"/>'
        '<Relationship Id="rId2" Target="sharedStrings.xml" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/sharedStrings"/></Relationships>'
    ),
}
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _write_excel_like(path: Path, rows: Iterator[list[object]]) -> None:
    """An XLSX as Excel and WPS save one: text in a shared-strings table (UTF-8), numbers as numbers.

    (openpyxl writes every text cell inline with each Chinese character escaped: a sheet ten times larger
    than Excel's, and slower to read than any file staff will bring.)"""
    strings: dict[str, int] = {}
    sheet = [f'<worksheet xmlns="{_MAIN}"><sheetData>']
    for number, row in enumerate(rows, start=1):
        cells = []
        for value in row:
            if isinstance(value, str):
                index = strings.setdefault(value, len(strings))
                cells.append(f'<c t="s"><v>{index}</v></c>')
            else:
                cells.append(f"<c><v>{value}</v></c>")
        sheet.append(f'<row r="{number}">{"".join(cells)}</row>')
    sheet.append("</sheetData></worksheet>")
    shared = "".join(f"<si><t>{escape(text)}</t></si>" for text in strings)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, xml in _XLSX_PARTS.items():
            archive.writestr(name, xml)
        archive.writestr("xl/worksheets/sheet1.xml", "".join(sheet))
        archive.writestr(
            "xl/sharedStrings.xml", f'<sst xmlns="{_MAIN}" count="{len(strings)}">{shared}</sst>'
        )


def write_ledger(path: Path, rows: int, seed: int = 2023) -> None:
    """Write a valid ledger of ``rows`` trainees: CSV, or XLSX when ``path`` ends in .xlsx (numbers as numbers)."""
    if path.suffix == ".xlsx":
        _write_excel_like(path, ledger_rows(rows, seed))
        return
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(ledger_rows(rows, seed))


def server_cpu() -> float:
    """CPU seconds used so far by this machine's PostgreSQL processes (user + system, with the backends that
    have ended, which the postmaster has reaped); 0 where there are none to see. Any other client of the same
    server counts too: read it on a quiet server."""
    tick, total = os.sysconf("SC_CLK_TCK"), 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if not Path(f"/proc/{pid}/comm").read_text().startswith("postgres"):
                continue
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        total += sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
    return total / tick


def _run_cli(command: list[str], env: dict[str, str]) -> tuple[float, float, float, str]:
    before, server_before = resource.getrusage(resource.RUSAGE_CHILDREN), server_cpu()
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    after, server = resource.getrusage(resource.RUSAGE_CHILDREN), server_cpu() - server_before
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, server, done.stdout


def _fresh(url: str | None, tmp: Path, run: int, compile_each_time: bool = False) -> dict[str, str]:
    data = tmp / f"data{run}"
    data.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("JXJY_")}
    env |= {"JXJY_DATA_DIR": str(data), "JXJY_SECRET_KEY": SECRET}
    if not compile_each_time:
        # Python keeps the compiled modules (__pycache__) as staff's machines do; an environment that says
        # not to (PYTHONDONTWRITEBYTECODE, as some sandboxes do) would compile this package's modules from
        # source at every start (0.1 s of each import's CPU).
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    if url:
        reset_postgres(url)
        env["JXJY_DATABASE_URL"] = url
    subprocess.run([jxjy(), "db", "upgrade"], env=env, check=True, capture_output=True)
    return env


def _in_process(ledger: Path, url: str | None, tmp: Path, run: int) -> list[tuple[float, float, float, str]]:
    from knowledge.campaign import load_campaign
    from ledger.crypto import IdVault
    from ledger.db import make_engine
    from ledger.importer import import_ledger

    env = _fresh(url, tmp, run)
    engine = make_engine(
        env.get("JXJY_DATABASE_URL") or f"sqlite:///{Path(env['JXJY_DATA_DIR']) / 'jxjy.db'}"
    )
    vault, posts = IdVault(SECRET), load_campaign().facts.posts
    results = []
    for _ in range(2):
        started, cpu_started, server_started = time.perf_counter(), time.process_time(), server_cpu()
        report = import_ledger(engine, vault, ledger, posts, dt.datetime.now(SHANGHAI))
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        server = server_cpu() - server_started
        results.append((wall, cpu, server, f"{report.inserted} inserted, {report.unchanged} unchanged"))
    engine.dispose()
    return results


def _summary(out: str) -> str:
    return next(
        (line for line in out.splitlines() if "新增" in line or "inserted" in line), out[:120]
    ).strip()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    parser.add_argument(
        "--url", help="a PostgreSQL URL (its public schema is dropped); default a SQLite file"
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--in-process", action="store_true", help="call import_ledger in this process")
    parser.add_argument(
        "--compile-each-time",
        action="store_true",
        help="keep PYTHONDONTWRITEBYTECODE from the environment (modules compiled from source at each start)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        ledger = tmp / f"ledger.{args.format}"
        write_ledger(ledger, args.rows)
        best: dict[str, list[float]] = {"first import": [1e9] * 3, "re-import": [1e9] * 3}
        loads = []
        for run in range(args.runs):
            if args.in_process:
                results = _in_process(ledger, args.url, tmp, run)
            else:
                env = _fresh(args.url, tmp, run, args.compile_each_time)
                command = [jxjy(), "ledger", "import", str(ledger)]
                results = [_run_cli(command, env) for _ in range(2)]
            loads.append(os.getloadavg()[0])
            for label, (wall, cpu, server, out) in zip(best, results, strict=True):
                best[label] = [
                    min(old, new) for old, new in zip(best[label], (wall, cpu, server), strict=True)
                ]
                print(
                    f"  run {run + 1} {label}: wall {wall:.2f} s, CPU {cpu:.2f} s, server CPU {server:.2f} s; "
                    f"{_summary(out)}"
                )
        where = "PostgreSQL" if args.url else "SQLite"
        how = "in-process" if args.in_process else "whole process"
        print(f"{args.rows:,} rows, {args.format.upper()}, {where}, {how}, best of {args.runs}")
        for label, (wall, cpu, server) in best.items():
            print(
                f"{label}: wall {wall:.2f} s = {args.rows / wall:,.0f} rows/s; "
                f"CPU {cpu:.2f} s = {args.rows / cpu:,.0f} rows/CPU-s"
                + (f"; PostgreSQL server CPU {server:.2f} s" if args.url else "")
            )
        print(f"load average (1 min) after each run: {', '.join(f'{x:.2f}' for x in loads)}")


if __name__ == "__main__":
    main()
