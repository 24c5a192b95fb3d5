"""附件3 with full ID numbers from the console: the password again, the right key, an audit entry."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from ledger.crypto import IdVault
from tests.bot.console.conftest import PASSWORD, Console, import_sample, sign_in

FULL = "430621199208284985"  # 刘洋 in the sample ledger
FORM = {"fmt": "csv"}


async def test_the_full_id_copy_needs_the_password_again_and_is_audited(client: TestClient) -> None:
    csrf = await sign_in(client)
    await import_sample(client, csrf)
    page = await (await client.get("/console/import")).text()
    assert "完整身份证号版" in page and 'action="/console/export/summary-full"' in page
    forged = await client.post("/console/export/summary-full", data={**FORM, "password": PASSWORD})
    assert forged.status == 403  # no CSRF token
    for password in ("", "wrong-password"):
        refused = await client.post(
            "/console/export/summary-full", data={**FORM, "csrf": csrf, "password": password}
        )
        body = await refused.text()
        assert refused.status == 403 and "完整身份证号版未导出" in body and FULL not in body
    full = await client.post(
        "/console/export/summary-full", data={**FORM, "csrf": csrf, "password": PASSWORD}
    )
    assert full.status == 200 and "attachment" in full.headers["Content-Disposition"]
    text = (await full.read()).decode("utf-8-sig")
    assert FULL in text and "13207425393" in text and text.count("\n") == 13  # header, 12 trainees
    masked = (await (await client.get("/console/export/summary", params=FORM)).read()).decode("utf-8-sig")
    assert FULL not in masked and "4306**********4985" in masked
    audit = await (await client.get("/console/audit")).text()
    assert "导出附件3汇总表（完整身份证号和手机号，12 人，.csv）" in audit


async def test_the_full_id_copy_is_refused_when_the_key_does_not_open_the_ids(
    client: TestClient, console: Console
) -> None:
    csrf = await sign_in(client)
    await import_sample(client, csrf)
    console.services.vault = IdVault("another-key-" + "x" * 20)  # the service started with another key
    refused = await client.post(
        "/console/export/summary-full", data={**FORM, "csrf": csrf, "password": PASSWORD}
    )
    body = await refused.text()
    assert refused.status == 403 and "密钥" in body and "未导出" in body and FULL not in body
    assert not list(console.services.work_dir.glob("*.csv"))  # no file was left behind
    audit = await (await client.get("/console/audit")).text()
    assert "密钥不符，未导出" in audit
