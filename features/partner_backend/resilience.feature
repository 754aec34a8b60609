Feature: Gateway outages
  A partner backend retries transient gateway failures with growing waits and recovers when the gateway does.

  Scenario: A 503 storm on initiate-flow
    Given the gateway answers 503 to the next 3 initiate-flow calls
    When a user completes a KTP scan
    Then the partner backend follows PB-09 and PB-11
