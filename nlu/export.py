"""`jxjy rasa export`: the same training data and answers as a Rasa 3.6 project that `rasa train` accepts."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import yaml

from knowledge.answers import render
from knowledge.campaign import Campaign
from nlu.actions import GUARDED_ANSWERS
from nlu.interpreter import OUT_OF_SCOPE, PERSONAL_INTENTS
from nlu.training_data import TrainingData

ENTITIES = ("id_number", "phone", "post", "name", "date")

CONFIG: dict[str, Any] = {
    "recipe": "default.v1",
    "assistant_id": "jxjy-bot",
    "language": "zh",
    "pipeline": [
        {"name": "JiebaTokenizer"},
        {"name": "RegexFeaturizer"},
        {"name": "LexicalSyntacticFeaturizer"},
        {"name": "CountVectorsFeaturizer"},
        {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "min_ngram": 1, "max_ngram": 3},
        {"name": "DIETClassifier", "epochs": 100, "constrain_similarities": True},
        {"name": "EntitySynonymMapper"},
        {"name": "RegexEntityExtractor", "use_lookup_tables": True, "use_regexes": True},
        {"name": "FallbackClassifier", "threshold": 0.45, "ambiguity_threshold": 0.1},
    ],
    "policies": [{"name": "MemoizationPolicy"}, {"name": "RulePolicy"}],
}


class _Literal(str):
    """A string YAML writes as a ``|`` block, as Rasa's own files do."""


def _literal(dumper: yaml.SafeDumper, value: _Literal) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(_Literal, _literal)


def _dump(data: dict[str, Any]) -> str:
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1000)


def _static_answer(campaign: Campaign, intent: str) -> str:
    # A trained Rasa model has no clock: the date-dependent sentences are left out of its responses.
    moment = dt.datetime.combine(campaign.facts.period.start, dt.time(10), campaign.tz)
    blank = {name: "" for name in ("confirmation_outlook", "period_outlook", "suggestions")}
    return render(campaign, intent, moment, extra=blank)


def _nlu(data: TrainingData) -> dict[str, Any]:
    items: list[dict[str, Any]] = []
    by_intent: dict[str, list[str]] = {}
    for text, intent in data.examples:
        by_intent.setdefault(intent, []).append(text)
    for intent, texts in by_intent.items():
        body = "".join(f"- {t}\n" for t in dict.fromkeys(texts))
        items.append({"intent": intent, "examples": _Literal(body)})
    canonical: dict[str, list[str]] = {}
    for variant, target in data.synonyms.items():
        canonical.setdefault(target, []).append(variant)
    items += [
        {"synonym": k, "examples": _Literal("".join(f"- {v}\n" for v in vs))} for k, vs in canonical.items()
    ]
    items += [
        {"lookup": k, "examples": _Literal("".join(f"- {v}\n" for v in vs))} for k, vs in data.lookups.items()
    ]
    items += [
        {"regex": k, "examples": _Literal("".join(f"- {v}\n" for v in vs))} for k, vs in data.regexes.items()
    ]
    return {"version": "3.1", "nlu": items}


def _domain(data: TrainingData, campaign: Campaign) -> dict[str, Any]:
    intents = list(dict.fromkeys(intent for _, intent in data.examples))
    responses: dict[str, list[dict[str, str]]] = {}
    # and the answers only the action guard gives ("绑定是什么意思"): the project holds every answer of the bot
    for intent in [*intents, "nlu_fallback", *sorted(GUARDED_ANSWERS)]:
        if intent in campaign.answers:
            responses[f"utter_{intent}"] = [{"text": _static_answer(campaign, intent)}]
        elif intent in PERSONAL_INTENTS:
            text = f"个人查询需要连接学员台账，请使用继续教育助手，或咨询{campaign.facts.contact.name} {campaign.facts.contact.phone}。"
            responses[f"utter_{intent}"] = [{"text": text}]
    return {
        "version": "3.1",
        "intents": intents,
        "entities": list(ENTITIES),
        "responses": responses,
        "session_config": {"session_expiration_time": 30, "carry_over_slots_to_new_session": False},
    }


def _rules(data: TrainingData, responses: dict[str, Any]) -> dict[str, Any]:
    rules = []
    for intent in dict.fromkeys(intent for _, intent in data.examples):
        action = "utter_nlu_fallback" if intent == OUT_OF_SCOPE else f"utter_{intent}"
        if action in responses:
            rules.append({"rule": f"answer {intent}", "steps": [{"intent": intent}, {"action": action}]})
    rules.append(
        {
            "rule": "answer nlu_fallback",
            "steps": [{"intent": "nlu_fallback"}, {"action": "utter_nlu_fallback"}],
        }
    )
    return {"version": "3.1", "rules": rules}


def export_rasa_project(directory: Path | str, data: TrainingData, campaign: Campaign) -> list[Path]:
    """Write config.yml, domain.yml, data/nlu.yml and data/rules.yml; return the paths written."""
    root = Path(directory)
    (root / "data").mkdir(parents=True, exist_ok=True)
    domain = _domain(data, campaign)
    files = {
        root / "config.yml": CONFIG,
        root / "domain.yml": domain,
        root / "data" / "nlu.yml": _nlu(data),
        root / "data" / "rules.yml": _rules(data, domain["responses"]),
    }
    for path, content in files.items():
        path.write_text(_dump(content), encoding="utf-8")
    return list(files)
