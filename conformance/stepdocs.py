"""The step reference: Markdown of every pytest-bdd step in a suite's step modules, so authors can write features."""

from __future__ import annotations

import importlib
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


def step_reference() -> str:
    """docs/steps.md: every step the conformance runner loads."""
    from conformance.steps import STEP_MODULES

    return render([importlib.import_module(name) for name in STEP_MODULES])


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
    """A list item: keyword and pattern, the docstring beneath; a regex reads as `[optional]` and `<choice>`."""
    keyword = (context.type or "given/when/then").title()
    kind = PARSER_KINDS.get(type(context.parser))
    if kind == "regex":
        pattern, choices = readable(context.parser.name)
        head = f"- **{keyword}** {_code(pattern)}"
        lines = [f"  `<{name}>`: " + " or ".join(_code(option) for option in options) for name, options in choices]
    else:
        head = f"- **{keyword}** {_code(context.parser.name)}" + (f" ({kind})" if kind else "")
        lines = []
    doc = _first_line(context.step_func.__doc__)
    return "  \n".join([head, *([f"  {doc}"] if doc else []), *lines])


def readable(pattern: str) -> tuple[str, list[tuple[str, list[str]]]]:
    """A step regex as QA reads it: `(?:…)?` becomes `[…]`, `(?P<name>…)` becomes `<name>` with its choices listed."""
    text, choices, index = [], [], 0
    while index < len(pattern):
        if pattern.startswith("(?P<", index) or pattern.startswith("(?:", index):
            end = _closing(pattern, index)
            inner = pattern[index + 3 : end]
            optional = pattern.startswith("?", end + 1)
            if pattern.startswith("(?P<", index):
                name, body = inner[1:].split(">", 1)
                options = body.split("|") if re.fullmatch(r"[\w .,'\-|]+", body) else []
                if len(options) > 1:
                    choices.append((name, options))
                rendered = options[0] if len(options) == 1 else f"<{name}>"
            else:
                rendered = readable(inner)[0]
                choices += readable(inner)[1]
            text.append(f"[{rendered}]" if optional else rendered)
            index = end + (2 if optional else 1)
        else:
            text.append(pattern[index + 1] if pattern[index] == "\\" else pattern[index])
            index += 2 if pattern[index] == "\\" else 1
    return re.sub(r"(\w)\?", r"(\1)", "".join(text)), choices


def _closing(pattern: str, start: int) -> int:
    """The index of the parenthesis that closes the group opening at `start`."""
    depth, index = 0, start
    while index < len(pattern):
        if pattern[index] == "\\":
            index += 2
            continue
        depth += {"(": 1, ")": -1}.get(pattern[index], 0)
        if depth == 0:
            return index
        index += 1
    raise ValueError(f"unbalanced group in step pattern {pattern!r}")


def _code(text: str) -> str:
    """Inline Markdown code that survives backticks in the pattern."""
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    padded = f" {text} " if text.startswith("`") or text.endswith("`") else text
    return f"{fence}{padded}{fence}"


def _first_line(doc: str | None) -> str:
    """A docstring's first line, or ""."""
    return inspect.cleandoc(doc).splitlines()[0] if doc and doc.strip() else ""
