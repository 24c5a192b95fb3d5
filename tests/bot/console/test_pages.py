"""The console over real HTTP against `jxjy serve`'s app: sign-in, CSRF, import, broadcasts, teaching."""

from __future__ import annotations

import re

from aiohttp import FormData
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from bot.channels.common import SERVICES
from bot.console.accounts import StaffAccounts
from bot.kernel.messages import Inbound
from ledger.store import TRAINEES
from tests.bot.console.conftest import SAMPLE, Console, csrf_of, import_sample, sign_in

PAGES = ["/console/", "/console/trainees", "/console/trainees/1", "/console/import", "/console/broadcasts",
         "/console/unanswered", "/console/audit", "/console/export/summary", "/console/trainees/export"]  # fmt: skip
FULL_ID = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")


async def test_a_visitor_without_a_session_sees_only_the_login_page(client: TestClient) -> None:
    for path in PAGES:
        response = await client.get(path, allow_redirects=False)
        assert (response.status, response.headers["Location"]) == (302, "/console/login"), path
    response = await client.post("/console/broadcasts", data={"text": "x"}, allow_redirects=False)
    assert response.status == 302
    login = await client.get("/console")
    page = await login.text()
    assert '<meta charset="utf-8">' in page and "工作人员登录" in page
    assert "frame-ancestors 'none'" in login.headers["Content-Security-Policy"]


async def test_sign_in_refuses_a_wrong_password_and_a_missing_csrf_token(client: TestClient) -> None:
    token = csrf_of(await (await client.get("/console/login")).text())
    wrong = await client.post("/console/login", data={"csrf": token, "name": "王芳", "password": "nope-nope"})
    assert wrong.status == 401 and "用户名或密码不正确" in await wrong.text()
    no_token = await client.post("/console/login", data={"name": "王芳", "password": "correct-horse-1"})
    assert no_token.status == 403
    token = csrf_of(await (await client.get("/console/login")).text())
    right = await client.post(
        "/console/login",
        data={"csrf": token, "name": "王芳", "password": "correct-horse-1"},
        allow_redirects=False,
    )
    assert right.status == 302
    cookie = right.cookies["jxjy_console"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["path"] == "/console"
    assert not cookie["secure"]  # JXJY_PUBLIC_URL is not https here
    csrf = csrf_of(await (await client.get("/console/")).text())
    forged = await client.post("/console/broadcasts", data={"text": "x", "action": "preview"})
    assert forged.status == 403 and "表单已过期" in await forged.text()
    ok = await client.post("/console/broadcasts", data={"csrf": csrf, "text": "x", "action": "preview"})
    assert ok.status == 200
    await client.post("/console/logout", data={"csrf": csrf})
    after = await client.get("/console/", allow_redirects=False)
    assert after.status == 302


async def test_import_preview_writes_nothing_until_confirmed(client: TestClient, console: Console) -> None:
    csrf = await sign_in(client)
    form = FormData()
    form.add_field("csrf", csrf)
    form.add_field("file", SAMPLE.read_bytes(), filename="台账.csv", content_type="text/csv")
    preview = await (await client.post("/console/import", data=form)).text()
    assert "尚未写入" in preview and "第14行" in preview and "新增" in preview
    with console.runtime.engine().connect() as conn:
        assert conn.execute(select(func.count()).select_from(TRAINEES)).scalar_one() == 0
    token = re.search(r'name="token" value="([^"]+)"', preview).group(1)  # type: ignore[union-attr]
    done = await client.post(
        "/console/import/confirm",
        data={"csrf": csrf, "token": token, "suffix": ".csv", "filename": "台账.csv"},
    )
    assert "已导入" in await done.text()
    with console.runtime.engine().connect() as conn:
        assert conn.execute(select(func.count()).select_from(TRAINEES)).scalar_one() == 12
    bad = FormData()
    bad.add_field("csrf", csrf)
    bad.add_field("file", b"x", filename="ledger.pdf")
    refused = await client.post("/console/import", data=bad)
    assert "不是 .xlsx、.xls 或 .csv" in await refused.text()
    audit = await (await client.get("/console/audit")).text()
    assert "导入台账 台账.csv" in audit and "王芳" in audit


async def test_every_page_renders_and_none_shows_a_full_id_number(client: TestClient) -> None:
    csrf = await sign_in(client)
    await import_sample(client, csrf)
    for path in PAGES:
        response = await client.get(path)
        assert response.status == 200, path
        body = await response.read()
        if path.startswith("/console/export") or path.endswith("/export"):
            continue
        page = body.decode()
        assert '<meta charset="utf-8">' in page
        assert not FULL_ID.search(page), (path, FULL_ID.search(page))
    found = await (await client.get("/console/trainees", params={"q": "刘洋"})).text()
    assert "4306**********4985" in found and "132****5393" in found and "符合条件 1 人" in found
    by_status = await (await client.get("/console/trainees", params={"status": "not_confirmed"})).text()
    assert "符合条件 4 人" in by_status
    exported = await (
        await client.get("/console/trainees/export", params={"fmt": "csv", "employer": "平江路桥公司"})
    ).read()
    text = exported.decode("utf-8-sig")
    assert text.count("\n") == 4 and not FULL_ID.search(text)  # header + 3 trainees of that employer
    dashboard = await (await client.get("/console/")).text()
    assert "台账共 12 人" in dashboard and "还有 <strong>" in dashboard


async def test_broadcast_preview_send_report_and_cancel(client: TestClient, console: Console) -> None:
    csrf = await sign_in(client)
    await import_sample(client, csrf)
    fields = {
        "csrf": csrf,
        "status": "not_registered",
        "employer": "岳阳建工集团",
        "text": "{姓名}您好，请本周内报名。",
    }
    preview = await (
        await client.post("/console/broadcasts", data={**fields, "action": "preview", "when": "now"})
    ).text()
    assert (
        "<strong>3</strong> 人" in preview
        and "刘洋您好，请本周内报名。" in preview
        and "每人 <strong>1</strong> 条" in preview
    )
    sent = await client.post("/console/broadcasts", data={**fields, "action": "send", "when": "now"})
    report = await sent.text()
    assert "群发报告" in report and "已排入发送队列：3 条" in report
    assert re.search(r"<td>短信</td>(<td class=\"num\">\d+</td>){1}<td class=\"num\">3</td>", report), report
    assert (console.runtime.settings.data_dir / "sent.jsonl").read_text("utf-8").count("请本周内报名") == 3
    later = await client.post(
        "/console/broadcasts",
        data={**fields, "action": "send", "when": "later", "send_at": "2023-11-27T09:00", "text": "周一开会"},
    )
    page = await later.text()
    assert "2023-11-27 09:00" in page and "取消未发出的 3 条" in page
    ident = re.search(r"/console/broadcasts/([\w-]+)/cancel", page).group(1)  # type: ignore[union-attr]
    cancelled = await (await client.post(f"/console/broadcasts/{ident}/cancel", data={"csrf": csrf})).text()
    assert "已取消 3 条" in cancelled and "取消未发出" not in cancelled
    csv = (await (await client.get(f"/console/broadcasts/{ident}/export")).read()).decode("utf-8-sig")
    assert csv.count("已取消") == 3 and "132****5393" in csv


async def test_teaching_changes_the_running_bots_answers(client: TestClient, console: Console) -> None:
    brain = console.server.app[SERVICES].responder
    unanswered = ("nlu_fallback", "ask_not_in_notice")  # not understood, or not covered by the notice
    for text in ("食堂几点开饭", "请问食堂几点开饭", "这个要几多米"):
        assert brain.handle(Inbound("sms", "13800000001", text)).intent in unanswered
    csrf = await sign_in(client)
    page = await (await client.get("/console/unanswered")).text()
    assert "食堂几点开饭 <small>2 次" in page and "这个要几多米 <small>1 次" in page
    await client.post(
        "/console/unanswered/teach", data={"csrf": csrf, "intent": "ask_fee", "text": "这个要几多米"}
    )
    await client.post(
        "/console/unanswered/topic",
        data={
            "csrf": csrf,
            "label": "食堂",
            "full": "培训点食堂中午11点半开饭。",
            "text": ["食堂几点开饭", "请问食堂几点开饭"],
        },
    )
    page = await (await client.get("/console/unanswered")).text()
    assert "待审核" in page and "食堂几点开饭 <small>" not in page
    assert console.services.retrainer is not None and console.services.retrainer.wait(120)
    assert brain.handle(Inbound("sms", "13800000002", "食堂几点开饭")).intent in unanswered  # not live yet
    intent = re.search(r"/console/topics/(taught_\w+)/review", page).group(1)  # type: ignore[union-attr]
    assert "须由另一位工作人员批准" in page and "批准上线" not in page
    own = await client.post(f"/console/topics/{intent}/review", data={"csrf": csrf, "decision": "approve"})
    assert "不能自己批准" in await own.text()  # the author asked anyway: refused, still a draft
    # Review means a second person: another staff member signs in and approves.
    StaffAccounts(console.runtime.engine(), console.runtime.clock).add("李娜", "another-horse-2")
    await client.post("/console/logout", data={"csrf": csrf})
    csrf = await sign_in(client, "李娜", "another-horse-2")
    page = await (await client.get("/console/unanswered")).text()
    assert "批准上线" in page
    await client.post(f"/console/topics/{intent}/review", data={"csrf": csrf, "decision": "approve"})
    assert console.services.retrainer.wait(120) and console.services.retrainer.error is None
    tried = await (
        await client.post("/console/unanswered/try", data={"csrf": csrf, "text": "食堂几点开饭"})
    ).text()
    assert "培训点食堂中午11点半开饭。" in tried
    assert brain.handle(Inbound("sms", "13800000003", "这个要几多米")).intent == "ask_fee"
    audit = await (await client.get("/console/audit")).text()
    assert "归入主题" in audit and "新建主题“食堂”" in audit and "批准主题" in audit


async def test_a_full_id_number_finds_its_trainee_and_is_shown_masked(client: TestClient) -> None:
    csrf = await sign_in(client)
    await import_sample(client, csrf)
    found = await (await client.get("/console/trainees", params={"q": "430621199208284985"})).text()
    assert "符合条件 1 人" in found and "刘洋" in found
    assert "430621199208284985" not in found and 'value="4306**********4985"' in found
