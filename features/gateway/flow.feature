Feature: A KTP scan through the gateway
  The partner starts flows and the SDK scans a synthetic KTP, talking to the gateway over plain HTTP. Each answer
  is judged against the contract: status, envelope, field casing and error codes.

  Scenario: Starting flows for the native SDK and the web
    When the partner starts an SDK flow
    And the partner starts a web flow
    And the partner starts an SDK flow without an x-partner-session-id
    And the partner starts an SDK flow with a reused x-partner-session-id
    Then the gateway follows GW-03

  Scenario: A clean card from upload to submission details
    Given a synthetic KTP (seed 61)
    When the partner starts an SDK flow
    And the SDK asks for upload URLs
    And the SDK confirms before uploading the card
    And the SDK uploads the card
    And the SDK confirms the upload
    And the SDK confirms the upload a second time
    And the SDK polls the status until the flow ends
    And the partner fetches the submission details by submission id
    And the partner fetches the submission details by partner session id
    And the partner fetches the submission details by partner session id on the partner path
    Then the gateway follows GW-04, GW-05, GW-06, GW-07 and GW-10
