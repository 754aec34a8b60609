Feature: Fuzzing the contract
  Schemathesis generates requests from openapi/gateway.yaml (examples, boundary cases and random ones) and checks
  every answer against the document: status codes, bodies, headers. Token-protected operations get the partner's
  real tokens, so the success paths are fuzzed too. The seed is fixed, so a failure replays.

  Scenario: Every gateway operation conforms to its OpenAPI description
    When schemathesis fuzzes the contract's operations with 150 examples each (seed 20261126)
    Then the gateway follows GW-09
