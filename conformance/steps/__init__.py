"""The step library for `.feature` files, loaded as a pytest plugin (`-p conformance.steps`) by `ktp-sandbox conform`.

One module per domain: cards, gateway scenarios (faults and callback misbehaviour), partner-backend flows, SDK
launches, the partner web app in a browser, the gateway suite's probes, journal assertions and rule verdicts.
`docs/steps.md` documents every step.
"""

STEP_MODULES = (
    "conformance.steps.cards",
    "conformance.steps.gateway_scenarios",
    "conformance.steps.partner",
    "conformance.steps.sdk",
    "conformance.steps.browser",
    "conformance.steps.gateway",
    "conformance.steps.journal",
    "conformance.steps.verdicts",
)
pytest_plugins = ["conformance.steps.context", *STEP_MODULES]
