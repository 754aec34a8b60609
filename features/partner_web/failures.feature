Feature: Failed and unfinished scans
  When the scan fails, or the result never comes, the page says so and lets the user start again.

  Scenario: The user cancels the scan in the iframe
    When the user verifies with KTP in iframe mode and cancels
    Then the partner web app follows WEB-01 and WEB-04

  Scenario: The user's token expires while the page waits for the verdict
    Given the gateway treats the token as expired on the next status call
    When the user verifies with KTP in redirect mode
    Then the partner web app follows WEB-04

  Scenario: The result never reaches the partner
    Given the partner's backend never gets the result
    When the user verifies with KTP in redirect mode
    Then the partner web app follows WEB-04
