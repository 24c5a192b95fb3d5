from nlu.normalize import ID_TOKEN, Normalizer


def normalizer():
    return Normalizer({ord("確"): "确", ord("認"): "认"}, {"么子": "什么", "好多": "多少"})


def test_width_case_traditional_and_synonyms():
    assert normalizer()("ＰＣ上確認要好多钱？") == "pc上确认要多少钱"


def test_courtesy_is_stripped_only_when_a_question_remains():
    n = normalizer()
    assert n("你好，请问么子时候确认") == "什么时候确认"
    assert n("你好") == "你好"


def test_particles_and_repeats_fold():
    assert normalizer()("在哪里撒！！！") == "在哪里"
    assert normalizer()("好好好好") == "好好"


def test_numbers_keep_their_digits():
    assert normalizer()("一共是2000元") == "一共是2000元"


def test_id_numbers_become_a_token():
    assert ID_TOKEN in normalizer()("绑定430621199208284985")


def test_ma_typed_as_horse_or_code_after_a_verb_is_the_question_particle():
    n = normalizer()
    assert n("手机上可以学习马") == "手机上可以学习吗"
    assert n("可以在电脑上学码") == "可以在电脑上学吗"
    assert n("扫不了二维码") == "扫不了二维码"
    assert n("忘了密码") == "忘了密码"
