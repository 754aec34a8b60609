Feature: A callback outage (QA example)
  The partner's callback endpoint is unreachable for a while; the gateway retries and the partner catches up.

  Scenario: The first two callback attempts fail
    Given callbacks to the partner fail 2 times first
    When a user completes a KTP scan
    Then the gateway made 3 callback attempts
    And the partner shows the user as verified with the card's fields
    And the partner backend follows PB-05 and PB-08

  Scenario: The callback never arrives
    Given callbacks to the partner never get through
    When a user completes a KTP scan
    Then the partner shows the user as verified with the card's fields
    And the partner backend follows PB-12
