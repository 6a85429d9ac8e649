"""The argument parser of ``bidtool``: usage mistakes end as one bilingual line and exit code 1.

:mod:`argparse` prints its usage block and an English message and exits 2, which is bidtool's code
for tampering. :class:`BidtoolParser` raises :class:`bidtool.errors.UsageError` instead, with the
message translated (Chinese first, English in parentheses); ``main`` prints it like every other
refusal. Abbreviated options are off: ``--t`` must not silently mean ``--tender`` today and become
ambiguous when an option is added tomorrow.
"""
from __future__ import annotations

import argparse
import re
from typing import Callable, NoReturn, Sequence

from bidtool.errors import UsageError


class BidtoolParser(argparse.ArgumentParser):
    """An :class:`argparse.ArgumentParser` whose errors are :class:`UsageError` (exit 1)."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("allow_abbrev", False)
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        self.add_argument("-h", "--help", action="help", help="显示帮助并退出 (show this help and exit)")

    def error(self, message: str) -> NoReturn:
        commands = next((list(a.choices) for a in self._actions if isinstance(a.choices, dict)), [])
        raise UsageError(translate(message, commands))


def translate(message: str, commands: Sequence[str] = ()) -> str:
    """An argparse error message as one line, Chinese first, English in parentheses."""
    if message == "the following arguments are required: COMMAND":
        return f"缺少命令 (missing command: use one of {', '.join(commands)})"
    for pattern, render in _MESSAGES:
        match = re.fullmatch(pattern, message, re.DOTALL)
        if match:
            return render(match)
    return f"用法错误 (usage error: {message})"


def _required(m: re.Match) -> str:
    names = [n.strip() for n in m["names"].split(",")]
    noun = "option" if all(n.startswith("-") for n in names) else "argument"
    return f"缺少参数 {'、'.join(names)} (missing {_plural(noun, len(names))} {', '.join(names)})"


def _one_of(m: re.Match) -> str:
    names = m["names"].split()
    return f"缺少参数 {' 或 '.join(names)} (missing option: one of {', '.join(names)})"


def _argument(m: re.Match) -> str:
    name, detail = m["name"], m["detail"]
    if match := re.fullmatch(r"invalid choice: (?P<value>.*) \(choose from (?P<choices>.*)\)", detail):
        choices = match["choices"].replace("'", "")
        if name == "COMMAND":
            return f"未知命令 {match['value']} (unknown command {match['value']}: use one of {choices})"
        return (f"{name} 的值 {match['value']} 无效，可选 {choices} "
                f"(invalid value {match['value']} for {name}: choose from {choices})")
    if match := re.fullmatch(r"invalid \S+ value: (?P<value>.*)", detail):
        return f"{name} 的值 {match['value']} 无效 (invalid value {match['value']} for {name})"
    if match := re.fullmatch(r"not allowed with argument (?P<other>.*)", detail):
        return f"{name} 不能与 {match['other']} 同时使用 ({name} cannot be used with {match['other']})"
    if detail.startswith("expected"):
        return f"{name} 缺少值 ({name} needs a value)"
    return f"参数 {name} 有误：{detail} (argument {name}: {detail})"


def _unrecognized(m: re.Match) -> str:
    extra = m["args"].split()
    if all(a.startswith("-") for a in extra):
        return f"未知选项 {' '.join(extra)} (unknown {_plural('option', len(extra))} {' '.join(extra)})"
    return f"多余的参数 {' '.join(extra)} (unexpected {_plural('argument', len(extra))} {' '.join(extra)})"


def _plural(noun: str, n: int) -> str:
    return noun if n == 1 else noun + "s"


_MESSAGES: list[tuple[str, Callable[[re.Match], str]]] = [
    (r"the following arguments are required: (?P<names>.*)", _required),
    (r"one of the arguments (?P<names>.*) is required", _one_of),
    (r"argument (?P<name>[^:]+): (?P<detail>.*)", _argument),
    (r"unrecognized arguments: (?P<args>.*)", _unrecognized),
]
