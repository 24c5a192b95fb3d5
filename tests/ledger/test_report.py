from knowledge.status import HoursRules, Step
from ledger.report import behind
from tests.records import trainee

RULES = HoursRules(yearly=32, online_min=20, offline_proof_min=12)


def test_behind_lists_who_still_lacks_what():
    done = trainee(trainee_id=1, registered=True, confirmed=True, paid=True, online_hours=32, audited=True)
    unpaid = trainee(trainee_id=2, registered=True, confirmed=True, online_hours=25, employer="平江路桥公司")
    new = trainee(trainee_id=3)
    rows = behind([done, unpaid, new], RULES)
    assert [r.record.trainee_id for r in rows] == [2, 3]
    assert rows[0].steps == (Step.PAY, Step.STUDY_ONLINE) and rows[0].online_short == 7
    assert [r.record.trainee_id for r in behind([done, unpaid, new], RULES, step=Step.REGISTER)] == [3]
    assert [r.record.trainee_id for r in behind([done, unpaid, new], RULES, employer="平江路桥公司")] == [2]
    assert behind([done, unpaid, new], RULES, post="安全员") == []
