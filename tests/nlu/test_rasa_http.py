import asyncio

import pytest
from aiohttp import web

from nlu.rasa_http import FailoverInterpreter, RasaHttpInterpreter, RasaUnavailable


@pytest.fixture
async def rasa_server(aiohttp_server):
    """A stand-in Rasa server answering /model/parse the way Rasa does."""
    seen = []

    async def parse(request):
        body = await request.json()
        seen.append(body)
        confident = body["text"] == "费用"
        intent = {"name": "ask_fee" if confident else "ask_hours", "confidence": 0.95 if confident else 0.1}
        return web.json_response(
            {"text": body["text"], "intent": intent, "entities": [], "intent_ranking": [intent]}
        )

    app = web.Application()
    app.router.add_post("/model/parse", parse)
    server = await aiohttp_server(app)
    server.seen = seen
    return server


async def test_parses_through_rasa(rasa_server):
    interpreter = RasaHttpInterpreter(str(rasa_server.make_url("/")), threshold=0.3)
    result = await asyncio.to_thread(interpreter.parse, "费用")
    assert result["intent"] == {"name": "ask_fee", "confidence": 0.95}
    assert rasa_server.seen == [{"text": "费用"}]


async def test_low_confidence_becomes_fallback(rasa_server):
    interpreter = RasaHttpInterpreter(str(rasa_server.make_url("/")), threshold=0.3)
    result = await asyncio.to_thread(interpreter.parse, "随便")
    assert result["intent"]["name"] == "nlu_fallback"


def test_unreachable_server_says_where():
    interpreter = RasaHttpInterpreter("http://127.0.0.1:9", timeout=1)
    with pytest.raises(RasaUnavailable, match=r"127\.0\.0\.1:9/model/parse"):
        interpreter.parse("费用")


def test_failover_answers_with_the_local_engine(interpreter):
    rasa = RasaHttpInterpreter("http://127.0.0.1:9", timeout=1)
    failover = FailoverInterpreter(rasa, lambda: interpreter)
    assert failover.parse("费用")["intent"]["name"] == "ask_fee"
