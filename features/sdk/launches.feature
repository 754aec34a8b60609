Feature: SDK launches
  The SDK under test scans synthetic KTPs against the mock gateway. Every rule is judged from the gateway's
  journal alone, so a real build pointed at the mock is judged exactly like the reference simulator.
  Each card given is the next capture: a second card is what the camera sees after a RETRY.

  Scenario: A clean card completes on the first capture
    Given a synthetic KTP (seed 61)
    When the SDK scans the card
    Then the SDK follows SDK-01, SDK-02, SDK-03 and SDK-07

  Scenario: Glare over the NIK, then a clean capture
    Given a synthetic KTP with glare over the NIK (seed 62)
    And a synthetic KTP (seed 63)
    When the SDK scans the card
    Then the SDK follows SDK-01, SDK-02, SDK-03, SDK-04 and SDK-07

  Scenario: The user token is rejected
    Given a synthetic KTP (seed 61)
    And the gateway treats the token as expired on the next presigned-URL call
    When the SDK scans the card
    Then the SDK follows SDK-01 and SDK-05

  Scenario: A 503 storm on the presigned URLs
    Given a synthetic KTP (seed 61)
    And the gateway answers 503 to the next 2 presigned-URL calls
    When the SDK scans the card
    Then the SDK follows SDK-01, SDK-06 and SDK-07
