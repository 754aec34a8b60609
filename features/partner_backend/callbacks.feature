Feature: Callback handling
  The callback is the gateway's word only when it is authenticated; it may come twice, or not at all.

  Scenario: Forged callbacks are refused
    When a user completes a KTP scan
    And a forged callback is sent without authentication
    And a forged callback is sent with a wrong credential
    And a forged callback is sent with a bad signature
    Then the partner backend follows PB-06

  Scenario: A duplicated callback changes nothing
    Given every callback is delivered twice
    When a user completes a KTP scan
    Then the partner backend follows PB-05, PB-07 and PB-09

  Scenario: No callback ever arrives
    Given callbacks to the partner never get through
    When a user completes a KTP scan
    Then the partner backend follows PB-09 and PB-12
