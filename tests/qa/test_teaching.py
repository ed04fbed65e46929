"""Reviewers' marks become proposals; the next script version re-scores the reviewed calls' stored
transcripts: precision and recall per criterion, before and after, on a small fixed set computed by hand."""

from __future__ import annotations

from compliance.matcher import Segment
from compliance.scripts import load_script
from models import ExampleProposal
from qa import teaching

SCRIPT = {"name": "t", "version": 1, "language": "ru", "criteria": [
    {"id": "passport_reminder", "kind": "required", "phrases": {"ru": ["не забудьте паспорт"]}},
    {"id": "forced_location", "kind": "forbidden", "phrases": {"ru": ["мне так удобнее"]}}]}
PARAPHRASE = "красную книжечку с гербом прихватите"  # the passport, in words the bot does not know
NEAR_MISS = "забудьте паспорт"  # scores 80 for "не забудьте паспорт" (threshold 75), yet says the opposite


def call(name: str, lines: list[str], violations: set[str]) -> teaching.ReviewedCall:
    segments = tuple(Segment(index=i, speaker="rep", start_s=3.0 * i, end_s=3.0 * i + 2.5, language="ru", text=text)
                     for i, text in enumerate(lines))
    return teaching.ReviewedCall(name, False, segments, frozenset(violations))


CALLS = [
    call("clean", ["не забудьте паспорт", "встретимся у вас дома"], set()),
    call("forced", ["не забудьте паспорт", "мне так удобнее, давайте в офисе"], {"forced_location"}),
    call("paraphrase", [PARAPHRASE], set()),  # the bot flags a missing reminder: a false positive
    call("told_to_forget", [NEAR_MISS], {"passport_reminder"}),  # the bot hears a reminder: a miss
]


def proposal(kind: str, text: str) -> ExampleProposal:
    return ExampleProposal(id=1 if kind == "example" else 2, criterion="passport_reminder", kind=kind,
                           language="ru", text=text, status="accepted", version=1)


def test_the_next_version_takes_examples_as_phrases_and_lifts_the_threshold_above_near_misses():
    body, notes = teaching.build_body(SCRIPT, [proposal("example", PARAPHRASE), proposal("near_miss", NEAR_MISS)])
    passport = body["criteria"][0]
    assert body["version"] == 2 and notes == []
    assert passport["phrases"]["ru"] == ["не забудьте паспорт", PARAPHRASE]
    assert passport["near_misses"] == {"ru": [NEAR_MISS]}
    assert teaching.score_text(load_script(SCRIPT), "passport_reminder", NEAR_MISS, "ru") == 80.0
    assert passport["threshold"] == 81.0
    assert SCRIPT["criteria"][0]["phrases"]["ru"] == ["не забудьте паспорт"], "the base is left as it was"


def test_rescoring_the_reviewed_calls_before_and_after():
    body, _ = teaching.build_body(SCRIPT, [proposal("example", PARAPHRASE), proposal("near_miss", NEAR_MISS)])
    figures = {row.criterion: row for row in teaching.rescore(CALLS, load_script(SCRIPT), load_script(body))}
    passport, forced, everything = figures["passport_reminder"], figures["forced_location"], figures["all"]
    # before: passport_reminder is flagged on "paraphrase" (FP) and passed on "told_to_forget" (FN)
    before = passport.before
    assert (before.true_positives, before.false_positives, before.false_negatives) == (0, 1, 1)
    assert (passport.before.precision, passport.before.recall) == (0.0, 0.0)
    # after: the paraphrase is a phrase (TN), the near-miss is under the threshold (TP)
    assert (passport.after.true_positives, passport.after.false_positives, passport.after.false_negatives) == (1, 0, 0)
    assert (passport.after.precision, passport.after.recall) == (1.0, 1.0)
    assert (forced.before.precision, forced.before.recall, forced.after.precision, forced.after.recall) == (
        1.0, 1.0, 1.0, 1.0)
    # all criteria (wrong_language: never true, never flagged): before TP 1, FP 1, FN 1; after TP 2
    assert (everything.before.precision, everything.before.recall) == (0.5, 0.5)
    assert (everything.after.precision, everything.after.recall) == (1.0, 1.0)
    assert figures["wrong_language"].before.true_negatives == 4


MISSING_ALL = "missing_all_ru.stereo.ogg"  # the rep opens with "Алло, это банк." and the bot flags greeting


def test_a_lead_publishes_a_version_learnt_from_a_dismissal_after_seeing_its_figures(client, login, calls,
                                                                                    violation_of):
    qa, lead = login("qa"), login("qalead")
    recording = calls[MISSING_ALL]
    client.post(f"/api/v1/qa/calls/{recording}/claim", headers=qa)
    greeting = violation_of(MISSING_ALL, "greeting")

    def decide(violation_id, **body):
        etag = client.get(f"/api/v1/qa/violations/{violation_id}/decisions", headers=qa).headers["ETag"]
        return client.post(f"/api/v1/qa/violations/{violation_id}/decisions", headers={**qa, "If-Match": etag},
                           json=body)

    wrong = decide(greeting, decision="dismiss", comment="a greeting", marks=[
        {"segment": 0, "words": "это не сказано", "carries": True}])
    assert wrong.status_code == 422 and "marks[0].words" in wrong.json["errors"]
    dismissed = decide(greeting, decision="dismiss", comment="she greets, in her own words",
                       marks=[{"segment": 0, "words": "Алло, это банк", "carries": True}])
    assert dismissed.status_code == 201, dismissed.json
    for criterion in ("address_confirmation", "passport_reminder"):
        assert decide(violation_of(MISSING_ALL, criterion), decision="confirm").status_code == 201

    proposals = client.get("/api/v1/qa/proposals", headers=qa, query_string={"status": "proposed"}).json
    assert [(p["criterion"], p["kind"], p["text"], p["language"]) for p in proposals] == [
        ("greeting", "example", "Алло, это банк", "ru")]
    review = f"/api/v1/qa/proposals/{proposals[0]['id']}/review"
    assert client.post(review, headers={**qa, "If-Match": proposals[0]["etag"]},
                       json={"decision": "accept"}).status_code == 403
    assert client.post(review, headers=lead, json={"decision": "accept"}).status_code == 428
    assert client.post(review, headers={**lead, "If-Match": proposals[0]["etag"]},
                       json={"decision": "reject"}).status_code == 422  # a rejection needs a reason
    accepted = client.post(review, headers={**lead, "If-Match": proposals[0]["etag"]}, json={"decision": "accept"})
    assert accepted.status_code == 200 and accepted.json["status"] == "accepted"

    preview = client.get("/api/v1/qa/script-draft", headers=lead)
    assert preview.status_code == 200
    draft = preview.json
    assert (draft["base_version"], draft["version"], draft["calls"]) == (1, 2, 1)
    assert "Алло, это банк" in draft["body"]["criteria"][0]["phrases"]["ru"]
    figures = {row["criterion"]: row for row in draft["figures"]}
    assert figures["greeting"]["before"]["false_positives"] == 1 and figures["greeting"]["before"]["precision"] == 0.0
    assert figures["greeting"]["after"]["false_positives"] == 0 and figures["greeting"]["after"]["true_negatives"] == 1
    passport = figures["passport_reminder"]
    assert passport["before"]["precision"] == passport["after"]["precision"] == 1.0

    publish = "/api/v1/qa/script-draft/publish"
    assert client.post(publish, headers={**lead, "If-Match": '"d1-stale"'},
                       json={"effective_from": "2026-12-01"}).status_code == 412
    published = client.post(publish, headers={**lead, "If-Match": preview.headers["ETag"]},
                            json={"effective_from": "2026-12-01"})
    assert published.status_code == 201 and published.json["version"] == 2
    assert published.json["effective_from"] == "2026-12-01"
    assert client.get("/api/v1/qa/proposals", headers=lead).json[0]["published_script_id"] == published.json["id"]
    again = client.get("/api/v1/qa/script-draft", headers=lead)
    assert again.json["proposals"] == [] and again.json["base_version"] == 2
    assert client.post(publish, headers={**lead, "If-Match": again.headers["ETag"]},
                       json={"effective_from": "2026-12-02"}).status_code == 409
