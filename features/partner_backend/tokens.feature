Feature: Partner token lifetime
  The gateway may reject a partner token before the partner expects it to (revoked, clock skew, rotation).

  Scenario: The partner token expires mid-flow
    Given a synthetic KTP of a woman born in 1990
    And the gateway treats the token as expired on the next initiate-flow call
    When a user completes a KTP scan
    Then the partner backend follows PB-02 and PB-09
