Feature: A gateway 503 storm (QA example)
  The gateway sheds load for a moment; the SDK and the partner's backend back off and finish the flow.

  Scenario: The SDK rides out 503s on status polls
    Given a synthetic KTP
    And the gateway answers 503 to the next 3 status calls
    When the SDK scans the card
    Then the gateway answered status with 503
    And the SDK reported COMPLETED
    And the SDK follows SDK-06

  Scenario: The partner's backend rides out 503s on initiate-flow
    Given the gateway answers 503 to the next 2 initiate-flow calls
    When a user completes a KTP scan
    Then the partner shows the user as verified with the card's fields
    And the partner backend follows PB-11
