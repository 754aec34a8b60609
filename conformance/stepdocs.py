"""The step reference: Markdown of every pytest-bdd step in a suite's step modules, so authors can write features."""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator, Sequence
from types import ModuleType

from pytest_bdd import parsers
from pytest_bdd.steps import StepFunctionContext, StepNamePrefix, step_function_context_registry

PARSER_KINDS: dict[type[parsers.StepParser], str] = {
    parsers.cfparse: "cfparse",
    parsers.parse: "parse",
    parsers.re: "regex",
}


def render(modules: Sequence[ModuleType]) -> str:
    """One section per module (its docstring's first line as intro), each step in definition order."""
    sections = []
    for module in modules:
        lines = [f"## `{module.__name__}`", ""]
        if intro := _first_line(module.__doc__):
            lines += [intro, ""]
        lines += [_entry(context) for context in _steps(module)] or ["No steps."]
        sections.append("\n".join(lines))
    return "# Step reference\n\n" + "\n\n".join(sections) + "\n"


def _steps(module: ModuleType) -> Iterator[StepFunctionContext]:
    """The steps a module defines, in definition order.

    pytest-bdd's decorators put a fixture named "pytestbdd_stepdef_<type>_<pattern>" into the defining module; it
    wraps a marker function that step_function_context_registry maps to the step's context. Steps star-imported from
    another module are left to that module.
    """
    for name, value in vars(module).items():
        if name.startswith(StepNamePrefix.step_def.value) and callable(value):
            context = step_function_context_registry.get(inspect.unwrap(value))
            if context is not None and context.step_func.__module__ == module.__name__:
                yield context


def _entry(context: StepFunctionContext) -> str:
    """A list item: keyword and pattern as written, the parser kind when not a plain string, the docstring beneath."""
    keyword = (context.type or "given/when/then").title()
    kind = PARSER_KINDS.get(type(context.parser))
    head = f"- **{keyword}** {_code(context.parser.name)}" + (f" ({kind})" if kind else "")
    doc = _first_line(context.step_func.__doc__)
    return f"{head}  \n  {doc}" if doc else head


def _code(text: str) -> str:
    """Inline Markdown code that survives backticks in the pattern."""
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    padded = f" {text} " if text.startswith("`") or text.endswith("`") else text
    return f"{fence}{padded}{fence}"


def _first_line(doc: str | None) -> str:
    """A docstring's first line, or ""."""
    return inspect.cleandoc(doc).splitlines()[0] if doc and doc.strip() else ""
