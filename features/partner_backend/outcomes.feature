Feature: Outcomes that must not verify a user
  Only COMPLETED with VALID verifies; INVALID and ERROR never do, whatever the callback says.

  Scenario Outline: An <outcome> outcome leaves the user unverified
    Given a synthetic KTP with <trouble>
    When a user completes a KTP scan
    Then the partner backend follows PB-05, PB-08 and PB-10

    Examples:
      | outcome | trouble                        |
      | INVALID | a design that is not an e-KTP  |
      | ERROR   | a system error                 |
