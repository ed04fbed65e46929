"""The accuracy corpus (corpus/, made by tools/synth_corpus.py) is split by case, and honestly so.

Reads only the labels files and the default script: fast, and needs neither the audio nor a model.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from functools import cache
from pathlib import Path

import snowballstemmer

from compliance.scripts import default_script_body

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
SPLITS = ("dev", "test")
VIOLATION_IDS = ("greeting", "address_confirmation", "passport_reminder", "forced_location", "wrong_language")
# Roles whose sentences belong to one split: what a tuner could otherwise learn by heart.
SPLIT_OWN_ROLES = ("paraphrase", "near_miss", "client", "permission")
# Function words: pronouns, prepositions, conjunctions, particles, and the politeness that carries no meaning.
_FUNCTION_WORDS = """
я меня мне мной мы нас нам вы вас вам вами ты тебя он она оно они его её ее их им ним ней него это этот эта
то тот так как что чтобы и а но или да нет не ни же ли бы ведь уж вот ну в во на с со к ко по о об от до из у
за для при про без над под через ещё еще уже тоже также там тут здесь где куда когда все всё весь свой своё
ваш ваша ваше ваши наш наша наше наши мой моя моё мои себя собой пожалуйста
i me my we us our you your he she it its they them their this that these those a an the and or but if so to of
in on at by for from with as is am are was were be been do does did not no please can will would let us
"""
STOPWORDS = set(_FUNCTION_WORDS.split())
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def labels(split: str) -> dict[str, dict]:
    path = CORPUS / split / "labels.json"
    assert path.exists(), f"{path} is missing: the corpus is committed (remade by python tools/synth_corpus.py)"
    return json.loads(path.read_text(encoding="utf-8"))


@cache
def _stemmer(language: str):
    return snowballstemmer.stemmer(language)


def content_stems(text: str) -> set[str]:
    words = [word for word in _WORD.findall(text.lower().replace("ё", "е")) if word not in STOPWORDS]
    return {_stemmer("russian" if re.search("[а-я]", word) else "english").stemWord(word) for word in words}


def turns_by_split() -> dict[str, list[dict]]:
    result = {}
    for split in SPLITS:
        seen, turns = set(), []
        for label in labels(split).values():
            if label["case"] in seen:
                continue
            seen.add(label["case"])
            turns.extend(label["turns"])
        result[split] = turns
    return result


def test_every_labelled_file_is_there_and_each_case_is_in_one_split_only():
    cases = {}
    for split in SPLITS:
        for name, label in labels(split).items():
            assert (CORPUS / split / name).is_file(), name
            assert label["split"] == split, name
            assert cases.setdefault(label["case"], split) == split, f"{label['case']} is in both splits"
            assert set(label["violations"]) <= set(VIOLATION_IDS), name
            assert label["turns"] and all({"speaker", "language", "text", "start_s", "end_s"} <= set(turn)
                                          for turn in label["turns"]), name


def test_no_paraphrase_or_near_miss_sentence_is_in_both_halves():
    turns = turns_by_split()
    texts = {split: {turn["text"] for turn in turns[split]} for split in SPLITS}
    for split, other in (("dev", "test"), ("test", "dev")):
        own = {turn["text"] for turn in turns[split] if turn["role"].split(":")[0] in SPLIT_OWN_ROLES}
        assert not own & texts[other], f"{split} sentences also in {other}: {sorted(own & texts[other])}"


def test_paraphrases_come_from_the_meaning_not_the_script_words():
    criteria = {criterion["id"]: criterion for criterion in default_script_body()["criteria"]}
    paraphrases: dict[str, set[str]] = defaultdict(set)
    for split_turns in turns_by_split().values():
        for turn in split_turns:
            kind, _, criterion = turn["role"].partition(":")
            if kind == "paraphrase":
                paraphrases[criterion].add(turn["text"])
    assert set(paraphrases) == set(criteria)
    for criterion, texts in paraphrases.items():
        assert len(texts) >= 5, (criterion, texts)
        examples = [phrase for phrases in criteria[criterion]["phrases"].values() for phrase in phrases]
        for text in texts:
            for example in examples:
                shared = content_stems(text) & content_stems(example)
                assert len(shared) <= 1, f"{text!r} shares {sorted(shared)} with the example {example!r}"


def test_both_halves_hold_every_violation_both_ways_and_every_tag():
    tags = {}
    for split in SPLITS:
        entries = list(labels(split).values())
        for violation in VIOLATION_IDS:
            assert any(violation in label["violations"] for label in entries), (split, violation)
            assert any(violation not in label["violations"] for label in entries), (split, violation)
        assert any(label["noisy"] and label["layout"] == "mono" for label in entries)
        tags[split] = {tag for label in entries for tag in label["tags"]}
    assert tags["dev"] == tags["test"], tags["dev"] ^ tags["test"]
