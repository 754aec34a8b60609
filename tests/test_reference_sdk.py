"""The reference SDK simulator drives the mock as a real SDK would, and each defect changes exactly its symptom."""

from __future__ import annotations

from collections import Counter

import pytest

from conformance.reference.sdk_simulator import BACKOFF_SECONDS, DEFECTS, SdkResult, SdkSimulator
from mock_gateway.journal import JournalEntry
from tests.gateway_support import Gateway, card
from tests.sdk_support import Launch, fault_on_presigned


def operations(entries: list[JournalEntry]) -> list[tuple[str, int]]:
    return [(entry.operation, entry.status) for entry in entries]


def test_happy_path_one_session_upload_then_one_confirm_then_polls_to_completed(gateway: Gateway) -> None:
    launch = Launch(gateway, "sdk-happy", [card(41).jpeg])
    result = launch.run()
    traffic = launch.traffic()
    submission_id = traffic[0].submission_id
    assert result == SdkResult("sdk-happy", "COMPLETED", submission_id)
    assert operations(traffic)[:3] == [
        ("submissions.presigned_urls", 200), ("storage.upload_document", 200), ("submissions.confirm_submission", 200),
    ]  # fmt: skip
    assert {op for op, _ in operations(traffic)[3:]} == {"submissions.submission_status"}
    sdk_sessions = {e.sdk_session_id for e in traffic if e.operation != "storage.upload_document"}
    assert sdk_sessions == {launch.sdk.sdk_session_id}
    assert launch.sleeps and set(launch.sleeps) == {1.0}  # pollAfterMs 1000


def test_retry_captures_again_and_completes_with_the_new_submission(gateway: Gateway) -> None:
    launch = Launch(gateway, "sdk-retry", [card(42, "retry-glare").jpeg, card(43).jpeg])
    result = launch.run()
    presigned = [e for e in launch.traffic() if e.operation == "submissions.presigned_urls"]
    assert [e.status for e in presigned] == [200, 200]
    assert result == SdkResult("sdk-retry", "COMPLETED", presigned[1].submission_id)
    assert presigned[0].submission_id != presigned[1].submission_id


def test_three_glare_attempts_end_completed_with_the_last_submission(gateway: Gateway) -> None:
    glare = card(44, "retry-glare").jpeg
    launch = Launch(gateway, "sdk-exhausted", [glare, glare, glare])
    result = launch.run()
    presigned = [e.submission_id for e in launch.traffic() if e.operation == "submissions.presigned_urls"]
    assert len(presigned) == 3
    assert result == SdkResult("sdk-exhausted", "COMPLETED", presigned[2])


def test_a_401_ends_the_launch_with_an_api_error_after_one_call(gateway: Gateway) -> None:
    fault_on_presigned(gateway, "sdk-401", {"expireToken": True})
    launch = Launch(gateway, "sdk-401", [card(41).jpeg])
    assert launch.run() == SdkResult("sdk-401", "ERROR", None, "API", "401 UNAUTHORIZED")
    assert operations(launch.traffic()) == [("submissions.presigned_urls", 401)]


def test_a_503_storm_is_ridden_out_with_bounded_backoff(gateway: Gateway) -> None:
    fault_on_presigned(gateway, "sdk-503", {"status": 503}, times=2)
    launch = Launch(gateway, "sdk-503", [card(41).jpeg])
    assert launch.run().status == "COMPLETED"
    assert operations(launch.traffic())[:3] == [("submissions.presigned_urls", 503)] * 2 + [
        ("submissions.presigned_urls", 200)]  # fmt: skip
    assert launch.sleeps[:2] == list(BACKOFF_SECONDS[:2])


def symptom(defect: str, launch: Launch, result: SdkResult) -> bool:
    """The traffic or result that shows the defect's rule is broken."""
    traffic = launch.traffic()
    counted = Counter(operations(traffic))
    submissions = [e.submission_id for e in traffic if e.operation == "submissions.presigned_urls"]
    retried = [e.submission_id for e in traffic if e.operation == "submissions.submission_status"
               and ((e.response_body or {}).get("data") or {}).get("nextAction") == "RETRY"]  # fmt: skip
    return {
        "sdk-session-per-call": len({e.sdk_session_id for e in traffic if e.sdk_session_id}) > 1,
        "confirm-twice": max(Counter(e.submission_id for e in traffic
                                     if e.operation == "submissions.confirm_submission").values(), default=0) > 1,
        "poll-too-fast": bool(launch.sleeps) and max(launch.sleeps) < 1.0,
        "poll-after-retry": len(retried) > 1 and retried[0] == retried[1],
        "loop-on-401": counted[("submissions.presigned_urls", 401)] > 1,
        "no-backoff-on-5xx": counted[("submissions.presigned_urls", 503)] > len(BACKOFF_SECONDS)
        and set(launch.sleeps[:3]) == {0.0},
        "report-wrong-submission": result.status == "COMPLETED" and result.submission_id != submissions[-1],
    }[defect]


@pytest.mark.parametrize("defect", list(DEFECTS))
def test_each_defect_shows_its_symptom_and_the_clean_sdk_does_not(gateway: Gateway, defect: str) -> None:
    captures = [card(45, "retry-glare").jpeg, card(46).jpeg]
    for defects, session_id in ((frozenset({defect}), f"defect-{defect}"), (frozenset(), f"clean-{defect}")):
        if defect == "loop-on-401":
            fault_on_presigned(gateway, session_id, {"expireToken": True})
        if defect == "no-backoff-on-5xx":
            fault_on_presigned(gateway, session_id, {"status": 503}, times=20)
        launch = Launch(gateway, session_id, captures, defects)
        result = launch.run()
        assert symptom(defect, launch, result) == bool(defects), (defects, operations(launch.traffic()), result)


def test_an_unknown_defect_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown defect"):
        SdkSimulator("http://x", "t", "c", capture=lambda attempt: b"", defects=frozenset({"typo"}))
