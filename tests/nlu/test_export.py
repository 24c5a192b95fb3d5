"""The Rasa export, checked against the rules `rasa data validate` applies (it was also trained with
`rasa train` on Rasa 3.6.21 in a separate Python 3.10 environment; Rasa cannot share ours)."""

import yaml

from nlu.export import export_rasa_project
from nlu.training_data import load_training_data


def test_export_is_a_consistent_rasa_project(tmp_path, campaign):
    data = load_training_data()
    written = export_rasa_project(tmp_path, data, campaign)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in written) == [
        "config.yml",
        "data/nlu.yml",
        "data/rules.yml",
        "domain.yml",
    ]
    config = yaml.safe_load((tmp_path / "config.yml").read_text(encoding="utf-8"))
    domain = yaml.safe_load((tmp_path / "domain.yml").read_text(encoding="utf-8"))
    nlu = yaml.safe_load((tmp_path / "data" / "nlu.yml").read_text(encoding="utf-8"))
    rules = yaml.safe_load((tmp_path / "data" / "rules.yml").read_text(encoding="utf-8"))

    names = [c["name"] for c in config["pipeline"]]
    assert names[0] == "JiebaTokenizer" and "FallbackClassifier" in names and config["language"] == "zh"
    assert nlu["version"] == domain["version"] == rules["version"] == "3.1"

    nlu_intents = {item["intent"] for item in nlu["nlu"] if "intent" in item}
    assert nlu_intents == set(domain["intents"])
    for answer in set(campaign.answers):
        assert f"utter_{answer}" in domain["responses"], answer
    for rule in rules["rules"]:
        intent, action = rule["steps"][0]["intent"], rule["steps"][1]["action"]
        assert intent in nlu_intents or intent == "nlu_fallback"
        assert action in domain["responses"]
    examples = [
        line[2:] for item in nlu["nlu"] if "intent" in item for line in item["examples"].splitlines() if line
    ]
    assert len(examples) == len(set(examples))  # Rasa rejects an example listed under two intents
    assert all("{" not in r[0]["text"] for r in domain["responses"].values())  # every placeholder filled
