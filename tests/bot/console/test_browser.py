"""The console in a real browser (Debian's headless Chromium through Playwright), desktop and phone sizes.

Skipped, saying why, when Chromium or the Playwright package is missing; `.ci/run` installs both.
Screenshots go to $JXJY_SCREENSHOT_DIR (default: the test's temporary directory).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.app import Runtime, build_service
from bot.channels.common import SERVICES
from bot.console.accounts import StaffAccounts
from bot.kernel.messages import Inbound
from bot.server import build_server_app
from tests.bot.console.conftest import PASSWORD, SAMPLE, console_runtime, console_services
from tests.conftest import clean_database_url

CHROMIUM = os.environ.get("JXJY_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-quic",
    "--disable-sync",
]
VIEWPORTS = {"desktop": (1280, 800), "phone": (375, 667)}
OTHER_PASSWORD = "another-horse-2"

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="the playwright package is not installed (dev extra)"
)
pytestmark = pytest.mark.skipif(
    not (Path(CHROMIUM).exists() or shutil.which("chromium")),
    reason=f"no Chromium at {CHROMIUM}: apt-get install chromium fonts-wqy-microhei",
)


class ServerThread:
    """`jxjy serve`'s app on a free local port, in its own thread and event loop (Playwright's API is sync)."""

    def __init__(self, app: web.Application) -> None:
        self._app = app
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self.port = 0
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    async def _main(self) -> None:
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        runner = web.AppRunner(self._app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self.port = runner.addresses[0][1]
        self._ready.set()
        await self._stop.wait()
        await runner.cleanup()

    def __enter__(self) -> ServerThread:
        self._thread.start()
        assert self._ready.wait(60), "the server did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._loop is not None and self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)


@pytest.fixture
def served(tmp_path: Path, nlu_cache: Path, interpreter: object) -> Iterator[tuple[str, Runtime, Any]]:
    runtime = console_runtime(tmp_path, clean_database_url("sqlite", tmp_path), nlu_cache)
    services, background = build_service(runtime)
    app = build_server_app(services, background=background)
    StaffAccounts(runtime.engine(), runtime.clock).add("王芳", PASSWORD)
    StaffAccounts(runtime.engine(), runtime.clock).add("李娜", OTHER_PASSWORD)
    with ServerThread(app) as server:
        yield f"http://127.0.0.1:{server.port}", runtime, app
    runtime.engine().dispose()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("JXJY_SCREENSHOT_DIR") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.parametrize("size", VIEWPORTS)
def test_a_staff_members_day_in_the_browser(served: tuple[str, Runtime, Any], shots: Path, size: str) -> None:
    base, _runtime, app = served
    width, height = VIEWPORTS[size]
    brain = app[SERVICES].responder
    for text in ("食堂几点开饭", "请问食堂几点开饭", "这个要几多米"):
        brain.handle(Inbound("sms", "13800000001", text))

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": width, "height": height}, locale="zh-CN")
        expect = sync_api.expect

        def shot(name: str) -> None:
            fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
            assert fits, f"{name} scrolls sideways at {width} px"
            page.screenshot(path=str(shots / f"console-{name}-{width}.png"), full_page=True)

        # A visitor only ever gets the sign-in page; a wrong password and a form without its token fail.
        page.goto(base + "/console/trainees")
        expect(page).to_have_url(base + "/console/login")
        shot("login")
        page.fill("input[name=name]", "王芳")
        page.fill("input[name=password]", "wrong-password")
        page.click("button[type=submit]")
        expect(page.locator(".error")).to_have_text("用户名或密码不正确")
        forged = page.request.post(base + "/console/login", form={"name": "王芳", "password": PASSWORD})
        assert forged.status == 403
        page.fill("input[name=name]", "王芳")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        expect(page.locator("h1")).to_contain_text("仪表盘")
        assert page.request.post(base + "/console/broadcasts", form={"text": "x"}).status == 403

        # Import the sample ledger: preview first (nothing written), then confirm.
        page.click("nav >> text=导入导出")
        page.set_input_files("input[type=file]", str(SAMPLE))
        page.click("text=上传并预览")
        expect(page.locator("h2").first).to_contain_text("尚未写入")
        expect(page.locator(".report-text")).to_contain_text("第14行")
        shot("import-preview")
        page.click("text=确认导入")
        expect(page.locator("h2").first).to_contain_text("已导入")

        # 附件3 with full ID numbers: the password again; a wrong one exports nothing.
        page.click("nav >> text=导入导出")
        page.click("text=完整身份证号版（交培训点）")
        page.fill(".full-ids input[name=password]", "wrong-password")
        shot("import-export")
        page.click("text=导出完整版")
        expect(page.locator(".error")).to_contain_text("完整身份证号版未导出")
        expect(page.locator(".error")).to_contain_text("密码不正确")
        shot("export-refused")  # the form stays open for another try
        page.fill(".full-ids input[name=password]", PASSWORD)
        with page.expect_download() as download:
            page.click("text=导出完整版")
        assert "完整身份证号" in download.value.suggested_filename
        page.click("nav >> text=仪表盘")
        expect(page.locator("h1")).to_contain_text("台账共 12 人")
        shot("dashboard")
        page.click("nav >> text=学员")
        page.fill("input[name=q]", "刘洋")
        page.click("text=查询")
        expect(page.locator("h1")).to_contain_text("符合条件 1 人")
        page.click("table >> text=刘洋")
        expect(page.locator("h1")).to_contain_text("4306**********4985")
        shot("trainee")
        page.goto(base + "/console/trainees")
        shot("trainees")

        # A broadcast to a segment: preview (count, sample, SMS parts), send, see it in the report.
        page.click("nav >> text=群发")
        page.check("input[name=status][value=not_registered]")
        page.fill("input[name=employer]", "岳阳建工集团")
        page.fill("textarea[name=text]", "{姓名}您好，请本周内完成报名。")
        page.click("button[value=preview]")
        expect(page.locator(".preview")).to_contain_text("刘洋您好，请本周内完成报名。")
        expect(page.locator("button[value=send]")).to_have_text("确认发送给 3 人")
        shot("broadcast-preview")
        page.click("button[value=send]")
        expect(page.locator("h1")).to_contain_text("群发报告")
        expect(page.locator(".report-table tbody tr").first).to_contain_text("短信")
        assert page.locator(".report-table tbody td").nth(2).inner_text() == "3"  # sent, awaiting receipts
        shot("broadcast-report")

        # An unanswered question gets a new answer; once approved, the running bot uses it.
        page.click("nav >> text=未答问题")
        group = page.locator("section.group", has_text="食堂几点开饭")
        expect(group.locator("h2")).to_contain_text("2 次")
        shot("unanswered")
        group.locator("summary").click()
        group.locator("input[name=label]").fill("食堂")
        group.locator("textarea[name=full]").fill("培训点食堂中午11点半开饭。")
        group.locator("text=提交审核").click()
        expect(page.locator(".flash")).to_contain_text("审核通过后上线")
        expect(page.locator("text=须由另一位工作人员批准")).to_be_visible()  # not by its author
        shot("unanswered-review")
        # A second staff member reviews it.
        page.click("text=退出")
        page.fill("input[name=name]", "李娜")
        page.fill("input[name=password]", OTHER_PASSWORD)
        page.click("button[type=submit]")
        page.click("nav >> text=未答问题")
        page.click("text=批准上线")
        expect(page.locator(".flash")).to_contain_text("已批准")
        retrainer = console_services(app).retrainer
        assert retrainer is not None and retrainer.wait(180) and retrainer.error is None
        page.fill("input[name=text]", "食堂几点开饭")
        page.click("text=提问")
        expect(page.locator(".answer")).to_have_text("培训点食堂中午11点半开饭。")
        shot("unanswered-answered")
        page.click("nav >> text=操作日志")
        expect(page.locator("table")).to_contain_text("批准主题")
        shot("audit")
        browser.close()
    assert brain.handle(Inbound("sms", "13800000009", "食堂几点开饭")).text.startswith(
        "培训点食堂中午11点半开饭"
    )
