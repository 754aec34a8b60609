Feature: Verified sign-ups
  The partner's backend starts each flow with a cached partner token, hands its app only the user token,
  acknowledges the gateway's callback, fetches the submission details and shows the card's fields unchanged.

  Scenario: Five users verify their KTP
    When 5 users complete a KTP scan
    Then the partner backend follows PB-01, PB-03, PB-04, PB-05, PB-08 and PB-09

  Scenario: A returning user scans again
    When user "returning" completes a KTP scan twice
    Then the partner backend follows PB-03 and PB-04
