@watch
Feature: A real SDK build, watched
  `ktp-sandbox conform --suite sdk --watch --correlation-id ID --gateway URL` waits for the launch whose
  x-partner-session-id is ID (a device or emulator pointed at the mock) and judges it from the journal.

  Scenario: Judge the watched launch
    When the launch under watch has ended
    Then the SDK follows SDK-01, SDK-02, SDK-03, SDK-04, SDK-05, SDK-06 and SDK-07
