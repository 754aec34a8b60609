Feature: An expired user token (QA example)
  The user leaves the app open too long: the gateway rejects the token and the SDK must stop, not loop.

  Scenario: The status poll meets an expired token
    Given a synthetic KTP
    And the gateway treats the token as expired on the next status call
    When the SDK scans the card
    Then the gateway answered status with 401
    And the SDK reported ERROR
    And the SDK follows SDK-05
