Feature: Glare, then a clean photo (QA example)
  A user photographs the KTP under a lamp: the gateway asks for a new photo, the second one is read.

  Scenario: The user retakes a photo with glare over the NIK
    Given a synthetic KTP of a woman born in 1990 with glare on the first photo only
    When the SDK scans the card
    Then the gateway asked for a new photo because of GLARE_DETECTED
    And the gateway saw exactly 2 confirm calls
    And the SDK reported COMPLETED
    And the SDK follows SDK-04 and SDK-07
