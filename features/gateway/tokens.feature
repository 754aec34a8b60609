Feature: Gateway tokens
  The gateway under test (the mock, or a real sandbox) hands out partner and user tokens exactly as the contract
  says, and every API that takes a token refuses a bad one. Nothing here uses the mock's control plane.

  Scenario: The partner token
    When the partner asks for a partner token
    And the partner asks for a partner token without a client-id
    And the partner asks for a partner token without a pass-key
    And the partner asks for a partner token with a wrong pass-key
    Then the gateway follows GW-01

  Scenario: The user token, with its integer error codes
    When the partner asks for a user token
    And the partner asks for a user token without a pass-key
    And the partner asks for a user token with a wrong pass-key
    Then the gateway follows GW-02

  Scenario: Every API refuses a missing, forged or expired token
    When the partner calls every API without a token
    And the partner calls every API with a forged token
    And the partner calls every API with an expired token
    Then the gateway follows GW-08
