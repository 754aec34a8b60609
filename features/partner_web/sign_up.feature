Feature: Sign-up with a KTP scan
  The partner's sign-up page gets the launch URL from its own backend, sends the user through the hosted KTP scan
  by redirect or in an iframe, and fills the form with the result its backend fetched from the gateway.

  Scenario: The user verifies by redirect
    When the user verifies with KTP in redirect mode
    Then the partner web app follows WEB-01, WEB-02 and WEB-03

  Scenario: The user verifies in an iframe
    When the user verifies with KTP in iframe mode
    Then the partner web app follows WEB-01, WEB-02 and WEB-03
