from nlu.entities import DateEntityExtractor, LookupEntityExtractor, NameExtractor, RegexEntityExtractor


def test_regex_entities_find_id_and_phone():
    found = RegexEntityExtractor().extract("身份证430621199208284985 电话13207425393")
    assert [(e["entity"], e["value"]) for e in found] == [
        ("id_number", "430621199208284985"),
        ("phone", "13207425393"),
    ]


def test_eighteen_digits_inside_a_longer_number_are_not_an_id():
    assert RegexEntityExtractor().extract("12345678901234567890") == []


def test_posts_prefer_the_longest_name():
    found = LookupEntityExtractor("post", ["施工员", "土建施工员"]).extract("我是土建施工员")
    assert [e["value"] for e in found] == ["土建施工员"]


def test_dates_with_and_without_year():
    found = DateEntityExtractor().extract("2023年11月27日还是12月26号")
    assert [e["value"] for e in found] == ["2023-11-27", "--12-26"]


def test_name_next_to_an_id():
    regex = RegexEntityExtractor()
    for text in ("绑定 430621199208284985 刘洋", "我叫刘洋，身份证430621199208284985"):
        entities = regex.extract(text)
        assert [e["value"] for e in NameExtractor().extract(text, entities)] == ["刘洋"]


def test_no_name_without_an_id():
    assert NameExtractor().extract("我叫刘洋", []) == []
