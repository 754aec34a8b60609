Feature: Gateway errors
  Missing headers and unknown submissions get the documented codes in the failure envelope.

  Scenario: Missing headers and unknown submissions
    When the SDK asks for upload URLs without an x-sdk-session-id
    And the SDK polls the status of a submission that does not exist
    And the partner fetches the submission details without a submission or session id
    And the partner fetches the submission details of a submission that does not exist
    Then the gateway follows GW-04, GW-06 and GW-07
