"""Messages as people send them: find the question in a greeting, a thank-you or a pasted paragraph. A ``Shape``
says what a message is before any intent is guessed: an acknowledgement (好的, 👍), English, or which part asks."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Literal, NamedTuple

from nlu.clauses import (
    BOTH_WAYS,
    SENT,
    SO_ASKED,
    WH,
    YES_NO_END,
    asking_pieces,
    asks_plainly,
    marked,
    paired,
    without_asking_for,
    without_story,
)
from nlu.hours import read_hours
from nlu.mixed import EnglishQuestions, MixedWords

ShapeKind = Literal["question", "acknowledge", "english", "exact"]

_SENTENCE_END = re.compile(r"(?<=[。！？!?；;\n])|(?<=\.)\s+")
# Where a clause of one long sentence ends: a comma, or a dash set between a quote and the question.
_CLAUSE_END = re.compile(r"(?<=[，,])|\s*(?:——|—|--)\s*")
_SEGMENT = re.compile(r"[\s,，。.!！?？~～、:：;；…]+")
_PUNCTUATION = re.compile(r"[\W_]+")
_ASKED = re.compile(r"[?？]+")
_MIN_PART = 4  # "是吗？那要带什么": a part this short only reacts, it asks nothing of its own
_HAN = re.compile(r"[\u4e00-\u9fff]")
_WHERE_HOW = re.compile(r"(?:请问)?(?:在哪|哪里|怎么|如何|去哪)")
_ANNOUNCING = re.compile(r"问题|想问|请问|问一下|问下")
_PASTED_HEAD = 20  # a line this long before a gap and a question is a paste (saying nothing of the asker)
_OWN = re.compile(r"[我俺咱]|\d|[一二两三四五六七八九十廿卅]+个?(?:学时|学识|课时)")  # the asker's own
_TOTAL = re.compile(r"加起来|合起来|一共|总共")  # a total of the hours told before
# A long sentence's last asking clause is read with all that came before it when it points back at it ("…，
# 这样算够了吧") or asks of the hours told ("…加起来三十二，…到底还差好多").
_BACK = re.compile(rf"这样|咯样|这么|那样|这些|那些|{_TOTAL.pattern}")
_HOURS_ASKED = re.compile(r"够|差|合格|还要学|证明|线下|上传|学完|学满|算")
# What opens the asker's own remark after a question ("我怕…", "应该冇问题吧").
_REMARK = re.compile(r"我|俺|应该|不晓得|心里|反正|免得|省得|怕")
# "这个单位是指哪个": the question needs the line it points at
_POINTING = re.compile(r"[这那此该]|上面|里面|其中")
_DONE_WITH = re.compile(r"[盖填选打签传交用].{0,2}?(?:完|好|哒|么子|什么)")  # "“此表…” 盖完章交给哪个"
_SPOKEN_MIN = 11  # a clause shorter than this holds no two questions run together
_SHORT_QUESTION = 6  # a final "怎么办？" alone says too little: the sentence before it is kept with it
# A second question joined to the first: "要带什么材料，还有要交多少钱".
_ANNOUNCED = re.compile(r"我?(?:想|要)?(?:请问|问(?:一)?下|想问|咨询(?:一)?下)")
_ALSO = re.compile(
    r"[，,；;。]\s*(?:还有就是|还有|另外|再问一下|还想问|顺便问一?下)|\s+(?:另外|然后|还有|顺便问一?下)|(?<=[吗啵呢撒])还有"
)
_COMMA = re.compile(r"[，,；;]")  # between clauses that each ask what, where, when or how many
_SPACES = re.compile(r"\s+")
# What ends a clause or opens a quote (spaces, punctuation, the marks of a numbered list): a message with none
# of them is one clause, and nothing of it is cut or split.
_ONE_CLAUSE_ENDS = re.compile(r"[\s,，。.!！?？~～、:：;；…“\"「『]")
_ASKED_END = re.compile(r"(?:吗|啵|么|嘛)$")  # a particle that asks (a final 冇 may only say "none")
# A second part that only follows up the first: "不能的话最早哪天".
_FOLLOW_UP = re.compile(
    r"(?:不能|不行|不可以|没有|冇得|如果不|要是不)(?:的话)?[，,]?|(?:如果|要是|具体|那具体)"
)
# A part that only asks to confirm the one before it ("我没理解错吧", "对不对").
_CONFIRMING = re.compile(
    r"(?:我|是)?(?:没|冇|没有)?(?:理解|听|看|记|搞|说)?错(?:了)?(?:吧|吗|啵|么)?|对不对|是不是|对吧|是吧|对吗|是吗"
)
# A question that points back at the sentence before it: "这个单位是指…", "这里的单位", "此表", "上面说的".
_DEICTIC = re.compile(r"(?:这个|这里的?|那个|这|此)(?:单位|意思|是指|指的|说的|话|句|条|表)|上面")
# A line copied from the notice, opened by its heading or label ("2、资格确认时间:…。", "三、学习方式二：…"):
# a question after it is answered alone, however short the whole.
_NOTICE_LINE = re.compile(
    r"^\s*(?:[一二三四五六七八九十]+、|\d{1,2}[、．]|[（(][一二三四五六七八九十\d]{1,2}[)）]|[\u4e00-\u9fff]{2,8}[:：])[^。\n]{6,}[。\n]"
)
# A quoted passage (a line of the notice) and the question about it: "“…每月26-30日(工作日)。” 周末不能去吧".
_QUOTED = re.compile(r"\s*[“\"「『]([^”\"」』]{8,})[”\"」』][\s:：,，]*(?P<rest>.+)", re.S)


class Shape(NamedTuple):
    """What kind of message this is, the part to understand, (in English) the topic named, and ``parts``: the
    questions of a list ("1.培训费好多 2.在哪里确认") or run together, each answered in turn."""

    kind: ShapeKind
    text: str
    topic: str | None = None
    parts: tuple[str, ...] = ()
    chinese: str = ""  # an English question the cues can restate in Chinese ("Can I do all 32 hours online?")
    thanked: bool = False  # thanks came first: the reply ends with the polite close


class MessageShaper:
    """Apply the ``shapes`` section of the aspects file to one message."""

    def __init__(self, raw: Mapping[str, Any], fold: Callable[[str], str]) -> None:
        self._fold = fold
        self._acks = {self._bare(str(a)) for a in raw["acknowledgements"]} - {""}
        # Emoji that acknowledge (👍, 👌, 🙏); others (🤔, 😂) and bare punctuation are not understood.
        self._ack_symbols = {ch for a in raw["acknowledgements"] if not self._bare(a) for ch in str(a)} - {
            "\ufe0f"
        }
        self._openers = {self._bare(str(o)) for o in raw["openers"]} - {""}
        self._long = int(raw["long_paste"])
        self._question = re.compile(raw["question_cues"])
        self._english = EnglishQuestions(raw["english"], raw.get("english_questions", ()))
        self._exact = {self._bare(str(t)): intent for intent, texts in raw["exact"].items() for t in texts}
        # "钟老师你好": a short segment ending in a greeting is an opener too.
        self._opener_ends = tuple(str(e) for e in raw.get("opener_endings", ()))
        self._opener_max = int(raw.get("opener_max", 6))
        self._thanks = {self._bare(str(t)) for t in raw.get("thanks", ())} - {""}
        self._dated = re.compile(str(raw["dated"])) if raw.get("dated") else None
        self._leaning = re.compile(str(raw["leaning"])) if raw.get("leaning") else None
        self._numbered = re.compile(raw["numbered"]) if raw.get("numbered") else None
        self._max_parts = int(raw.get("max_parts", 3))
        self._unmixed = MixedWords(raw.get("mixed", ()), raw.get("mixed_yesno"))
        # Where a message spoken into voice input (no punctuation at all) starts its next question.
        self._spoken = re.compile(str(raw["spoken_joins"])) if raw.get("spoken_joins") else None

    def _thanked(self, text: str) -> bool:
        """Thanks, then what the trainee will do, with nothing asked ("谢谢你啊，那我去确认")."""
        if not _SEGMENT.search(text) or self._question.search(text):
            return False
        first = next((s for s in _SEGMENT.split(text) if s), "")
        return self._bare(first) in self._thanks

    def _bare(self, text: str) -> str:
        return _PUNCTUATION.sub("", self._fold(text))

    def shape(self, text: str) -> Shape:
        """Classify the message and pick the part that carries the question."""
        stripped = text.strip()
        bare = self._bare(stripped)
        if bare in self._exact:
            return Shape("exact", stripped, self._exact[bare])
        if bare in self._acks or (not bare and self._only_ack_symbols(stripped)):
            return Shape("acknowledge", stripped)
        if self._dated is not None and self._dated.search(stripped) and self._thanked(stripped):
            # "好的谢谢，那我26号过去": the day named is checked, and the thanks answered after it
            return Shape("question", self._drop_openers(stripped, asked=False), thanked=True)
        english = self._english.read(stripped)
        if english is not None:
            return Shape("english", english[0], english[1], chinese=english[2])
        stripped = self._unmixed(stripped)
        if len(stripped) <= self._long and not _ONE_CLAUSE_ENDS.search(stripped):
            # most messages: one short clause, nothing to cut or split (but two questions run together by voice)
            spoken = self._spoken_parts(stripped) if len(stripped) > _SPOKEN_MIN else ()
            listed = paired(stripped) or paired(self._fold(stripped))  # "…網址同埋諮詢電話係幾多"
            return Shape("question", stripped, parts=listed or spoken)
        return self._asking_part(stripped)

    def _asking_part(self, stripped: str) -> Shape:
        """The question in a message of several clauses or a long one: openers dropped, a quote's question,
        numbered or joined questions, the last question of a paste."""
        focus = without_story(self._drop_openers(stripped))
        focus = without_asking_for(focus, self._question)  # "…小妹子托我问下，资料员也要搞吧"
        quoted = _QUOTED.fullmatch(focus)
        if quoted is not None and self._question.search(quoted.group("rest")):
            rest = quoted.group("rest").strip()  # 这个 points at the quote; or "盖完章交给哪个"
            kept = _POINTING.match(rest) or _DONE_WITH.match(rest)
            focus = f"{quoted.group(1)}，{rest}" if kept and len(rest) <= 8 else rest
        parts = self._numbered_parts(focus) or self._asked_parts(focus) or self._spoken_parts(focus)
        if parts and quoted is not None and _POINTING.match(parts[0]):  # "“附件4…” 这个在哪下载 填好交到哪"
            parts = (f"{quoted.group(1)}，{parts[0]}", *parts[1:])
        if parts:
            return Shape("question", focus, parts=parts)
        pasted = self._after_pasted(focus)
        if pasted is not focus:
            return Shape("question", pasted)
        several = read_hours(focus)  # the hours of several people stay whole ("小刘线上32，老周…哪个不够")
        if (len(focus) > self._long or _NOTICE_LINE.match(focus)) and not (several and several.each):
            focus = self._last_question(focus)
        return Shape("question", focus)

    def _after_pasted(self, text: str) -> str:
        """The question after a pasted line with a gap before it ("学习前需要进行微信绑定…方可开始学习  用别人
        微信绑定可以吗"): a long head that says nothing of the asker's own and asks nothing is left out."""
        head, _, tail = text.rpartition(" ")
        head, tail = head.strip(), tail.strip()
        if (
            len(head) >= _PASTED_HEAD
            and len(self._bare(tail)) >= _MIN_PART
            and self._question.search(tail)
            and not self._question.search(head)
            and not _OWN.search(head)
            and not _POINTING.match(tail)
            and not (_WHERE_HOW.match(tail) and any(tail[n : n + 2] in head for n in range(len(tail) - 1)))
        ):  # "…微信绑定…方可开始学习 请问在哪里绑定": a where or how in the line's words asks about it
            return tail
        return text

    def _numbered_parts(self, text: str) -> tuple[str, ...]:
        """The questions of a numbered list ("1.培训费好多 2.在哪里确认", "一是…；二是…"), or none."""
        if self._numbered is None:
            return ()
        marks = list(self._numbered.finditer(text))
        if not 2 <= len(marks) <= self._max_parts:
            return ()
        parts = [
            text[m.end() : marks[n + 1].start() if n + 1 < len(marks) else len(text)].strip(" ,，;；。.")
            for n, m in enumerate(marks)
        ]
        announced = _ANNOUNCING.search(text[: marks[0].start()]) is not None  # "三个问题：1 费用 2 确认地点"
        if not all(parts) or (sum(1 for p in parts if self._question.search(p)) < 2 and not announced):
            return ()  # a pasted list of rules, not of questions
        return tuple(parts)

    def asking_clause(self, text: str) -> str | None:
        """The last clause of a several-clause message that asks something ("我是…的资料员，想咨询一下费用
        是多少" → the second), or None for a message of one clause."""
        clauses = [c for c in _SEGMENT.split(text) if c]
        if len(clauses) < 2:
            return None
        for clause in reversed(clauses):
            if self._question.search(clause) and len(self._bare(clause)) >= _MIN_PART - 1:
                return clause
        return None

    def _asked_parts(self, text: str) -> tuple[str, ...]:
        """Questions one after another, each closed by a question mark ("培训费好多钱？在哪里确认咯") or joined
        by 还有 ("要带什么材料，还有要交多少钱？谢谢"), or none. A closing thanks is no question."""
        parts = [p.strip(" ,，;；。.!！") for p in _ASKED.split(text)]
        parts = [p for p in parts if p]
        while len(parts) > 1 and self._is_opener(parts[-1]):
            parts.pop()  # "…？谢谢"
        if len(parts) == 1:
            parts = self._joined_parts(parts[0])
        if any(_FOLLOW_UP.match(p) or _CONFIRMING.fullmatch(p) for p in parts[1:]):
            return ()  # "今天能去不？不能的话最早哪天", "…一共32？我没理解错吧": one question
        if parts and self._leaning is not None and self._leaning.search(parts[0]):
            return ()  # "后天是最后一天了吧？还能去确认吗": the last day of what the next part names
        # a paste is split no more than one long message with its questions run on (under twice as long)
        pasted = len(text) > self._long and ("。" in text or len(text) > 2 * self._long)
        if not 2 <= len(parts) <= self._max_parts or pasted:
            return ()
        # "好多钱？在哪交资料": a short part that asks what or how many is a question of its own
        if any(
            (len(self._bare(p)) < _MIN_PART and not WH.search(p)) or not self._question.search(p + "？")
            for p in parts
        ):
            return ()
        return marked(parts, text)

    def _spoken_parts(self, text: str) -> tuple[str, ...]:
        """The questions of a run-on from voice input, with no punctuation inside ("…今年要不要搞啊要搞的话要交
        好多钱", "…要带什么东西过去还有就是地方在哪里"), or none. A piece that asks nothing goes with the next."""
        if self._spoken is None or _ONE_CLAUSE_ENDS.search(text.rstrip("?？!！。. ")):
            return ()
        parts: list[str] = []
        carry = ""
        for piece in filter(None, self._spoken.split(text)):
            # "我想问下我今年线上学了二十个学时然后…": announcing a question is not asking one
            if self._is_opener(piece):
                continue  # "喂喂听得到啵我是湘阴的老刘…": a hello asks nothing of the notice
            asks = self._question.search(_ANNOUNCED.sub("", piece))
            if asks and (len(self._bare(piece)) >= _MIN_PART or WH.search(piece)):
                parts.append(carry + piece)
                carry = ""
            else:
                carry += piece
        if carry and parts:
            parts[-1] += carry
        if any(_FOLLOW_UP.match(p) or (p.startswith("那") and not p.startswith("那个")) for p in parts[1:]):
            return ()  # "明天不是调休上班吗那明天能去确认吗": the first only leads to the second
        if parts and self._leaning is not None and self._leaning.search(parts[0]):
            return ()  # "今天三十号最后一天啵还能确认不": the last day of what the next part names
        return tuple(parts) if 2 <= len(parts) <= self._max_parts else ()

    def _joined_parts(self, text: str) -> list[str]:
        """Questions joined without a question mark, each asking on its own: by 还有 ("要带什么材料，还有要交
        多少钱"), by a comma between what-questions ("今年要学好多学时，几号前学完") or by spaces ("fee是多少
        在哪里确认"); a clause that asks nothing goes with the next ("帮同事问下 fee是多少")."""
        listed = paired(text)
        if listed:
            return list(listed)
        also = _ALSO.search(text) is not None
        if not also and len(WH.findall(text)) < 2:
            # "明天去确认还来得及不，要交好多钱": a yes/no clause, then a what-question of its own
            pieces = [p.strip(" ,，;；。.") for p in _COMMA.split(text)]
            if len(pieces) == 1:  # "我记得是找钟女士对吧 电话多少": or a space between them
                pieces = [p.strip() for p in _SPACES.split(text.strip())]
            # "我是资料员 要去现场确认吗 要带么子": a remark goes with the next question
            pieces = asking_pieces(pieces)
            if (
                len(pieces) == 2
                and YES_NO_END.search(pieces[0])
                and not WH.search(pieces[0])
                # "…要一次学完吗 能分几天不": the same asked again; "手机可以学吗 要不要刷脸": two yes/no questions
                and (WH.search(pieces[1]) is None) == bool(BOTH_WAYS.search(pieces[1]))
                and not (WH.search(pieces[1]) and YES_NO_END.search(pieces[1]))
                and (WH.search(pieces[1]) or _ASKED_END.search(pieces[0]))
            ):
                return pieces
            if (  # "选哪个机构 报名表要盖章不": a what-question, then a yes/no question of its own
                len(pieces) == 2
                and WH.search(pieces[0][-5:])
                and not YES_NO_END.search(pieces[0])
                and not WH.search(pieces[1])
                and (asks_plainly(pieces[1]) or SENT.search(pieces[1]))
                and len(pieces[1]) > _MIN_PART
            ):
                return pieces
            return [text]  # most messages: one question, nothing to split
        for split, asks in ((_ALSO, self._question), (_COMMA, WH), (_SPACES, WH)):
            if split is _ALSO and not also:
                continue
            pieces = [p.strip(" ,，;；。.") for p in split.split(text)]
            parts: list[str] = []
            carry = ""
            for piece in filter(None, pieces):
                if asks.search(piece):
                    parts.append((carry + " " + piece).strip())
                    carry = ""
                else:
                    carry = (carry + " " + piece).strip()
            if carry and parts:
                parts[-1] += " " + carry
            if len(parts) > 1 and (split is not _ALSO or not carry):
                return parts
        return [text]

    def _is_opener(self, segment: str) -> bool:
        bare = self._bare(segment)
        if bare in self._openers or bare in self._acks:
            return True
        return len(bare) <= self._opener_max and bare.endswith(self._opener_ends)

    def _only_ack_symbols(self, text: str) -> bool:
        symbols = {ch for ch in text if not ch.isspace() and ch != "\ufe0f"}
        return bool(symbols) and symbols <= self._ack_symbols

    def _drop_openers(self, text: str, *, asked: bool = True) -> str:
        """Drop greetings and thanks that come before a question ("老师好！想问下…" → "想问下…"), or with
        ``asked`` False before what the trainee says they will do."""
        if not _SEGMENT.search(text):
            return text  # one segment: nothing comes before the question
        segments = [s for s in _SEGMENT.split(text) if s]
        kept = 0
        while kept < len(segments) - 1 and self._is_opener(segments[kept]):
            kept += 1
        if kept == 0 or (asked and not self._question.search(" ".join(segments[kept:]))):
            return text  # "谢谢啊 帮大忙了" is thanks throughout, not thanks before a question
        rest = text
        for segment in segments[:kept]:
            rest = rest[rest.index(segment) + len(segment) :]
        rest = (
            _SEGMENT.sub(" ", rest).strip()
            if not _HAN.search(rest)
            else rest.lstrip(" ,，。.!！?？~～、:：;；…")
        )
        return rest or text

    def _last_question(self, text: str) -> str:
        """The question at the end of a pasted paragraph: its last sentence that asks something, with the
        sentence before it when it points back at it ("…单位盖章上交培训机构。这个单位是指哪个单位")."""
        sentences = [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]
        question = self._last_asking(sentences) or text
        if len(question) > self._long:  # one long sentence: its last asking clause (see ``_BACK``)
            clause = self._last_asking(_CLAUSE_END.split(question)) or question
            told = bool(
                (_BACK.search(clause) or _HOURS_ASKED.search(clause))
                and read_hours(question)
                and (len(question) <= 2 * self._long or not read_hours(clause))
            )  # "…线下证明12学时也填好哒，这样算够了吧"; or only "是不是咯样的"
            return question if told or SO_ASKED.match(clause) else clause
        n = sentences.index(question) if question in sentences else 0
        if (
            n > 0
            and _HOURS_ASKED.search(question)
            and (_TOTAL.search(question) or (_BACK.search(question) and not read_hours(question)))
        ):
            # "…线下只有张5个学时的证明。咯样加起来32，够啵": the hours told in the sentences before it
            first = next((k for k in range(max(n - 3, 0), n) if read_hours(sentences[k])), n)
            return "".join(sentences[first : n + 1])
        pointing = _DEICTIC.match(question) or _FOLLOW_UP.match(question)  # or "不行的话下一次是哪天"
        if n > 0 and pointing and len(sentences[n - 1]) + len(question) <= 2 * self._long:
            question = sentences[n - 1] + question
        return question

    def _last_asking(self, parts: list[str]) -> str | None:
        parts = [p for p in parts if p.strip()]
        # a clause that plainly asks before one that only holds a cue ("…28号那天能去吧，我怕碰到礼拜天冇人上班")
        bare = [p.strip(" ，,") for p in parts]  # a clause keeps the comma it ended with
        plain = [n for n, p in enumerate(bare) if asks_plainly(p)]
        asking = [n for n, p in enumerate(bare) if self._question.search(p)]
        while len(asking) > 1 and _REMARK.match(bare[asking[-1]]):
            asking.pop()  # "…今天能去确认吧，我看日子是26号，应该冇问题吧": the asker's own remark
        for n in plain[-1:] or asking[-1:] or range(len(parts) - 1, -1, -1):
            if self._question.search(bare[n]):
                question = parts[n].strip()
                if len(_HAN.findall(question)) < _SHORT_QUESTION and n > 0:
                    question = parts[n - 1].strip() + question
                return question
        if len(parts) > 1 and len(_HAN.findall(parts[-1])) < _SHORT_QUESTION:
            return parts[-2].strip() + parts[-1].strip()  # nothing asks: a short last part says too little
        return parts[-1].strip() if parts else None
