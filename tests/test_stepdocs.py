"""The step reference generator, on a module of real pytest-bdd steps."""

from __future__ import annotations

from types import ModuleType

from conformance.stepdocs import readable, render

STEPS = '''"""Steps that add numbers.

Only the first line is the intro.
"""
from pytest_bdd import given, parsers, then, when


@given(parsers.parse("a number {n:d}"), target_fixture="box")
def _(n):
    """Start the sum at n.

    Not shown.
    """
    return [n]


@when(parsers.re(r"I add (?P<n>\\d+) `twice`(?: (?P<unit>apples|pears))?"))
def _(box, n, unit):
    """Add n, twice."""


@then("the sum is right")
def _(box):
    pass


@given(parsers.cfparse("{count:d} cards"))
@given("no cards")
def _():
    """Lay out some cards."""
'''


def module_of(name: str, source: str) -> ModuleType:
    """A module made the way an import makes it: its code run in its own namespace."""
    module = ModuleType(name)
    exec(compile(source, f"{name}.py", "exec"), vars(module))
    return module


def test_every_step_in_definition_order_with_its_pattern_and_docstring() -> None:
    steps = module_of("adding_steps", STEPS)
    assert render([steps]) == (
        "# Step reference\n"
        "\n"
        "## `adding_steps`\n"
        "\n"
        "Steps that add numbers.\n"
        "\n"
        "- **Given** `a number {n:d}` (parse)  \n"
        "  Start the sum at n.\n"
        "- **When** ``I add <n> `twice`[ <unit>]``  \n"
        "  Add n, twice.  \n"
        "  `<unit>`: `apples` or `pears`\n"
        "- **Then** `the sum is right`\n"
        "- **Given** `no cards`  \n"
        "  Lay out some cards.\n"
        "- **Given** `{count:d} cards` (cfparse)  \n"
        "  Lay out some cards.\n"
    )


def test_steps_imported_from_another_module_are_documented_only_where_defined() -> None:
    steps = module_of("adding_steps", STEPS)
    importer = module_of("conftest_like", '"""Pulls the adding steps in."""\n')
    vars(importer).update({name: value for name, value in vars(steps).items() if name.startswith("pytestbdd_")})
    assert render([importer]) == "# Step reference\n\n## `conftest_like`\n\nPulls the adding steps in.\n\nNo steps.\n"


def test_output_is_deterministic() -> None:
    assert render([module_of("adding_steps", STEPS)]) == render([module_of("adding_steps", STEPS)])


def test_a_regex_reads_as_optional_parts_and_choices() -> None:
    pattern = r'(?:the |a )?user(?: "(?P<name>[^"]+)")? pays (?P<count>\d+) (?P<what>coins|notes)(?P<twice> twice)?'
    assert readable(pattern) == ('[the |a ]user[ "<name>"] pays <count> <what>[ twice]', [("what", ["coins", "notes"])])
    assert readable(r"an? (?P<kind>partner|user) token calls?") == (
        "a(n) <kind> token call(s)",
        [("kind", ["partner", "user"])],
    )
