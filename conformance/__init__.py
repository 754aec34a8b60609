"""BDD conformance suites that judge partner backends, web front ends and SDK builds against the contract."""
