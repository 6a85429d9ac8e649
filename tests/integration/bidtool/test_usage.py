"""bidtool's usage contract: every mistake on the command line exits 1 with exactly one bilingual
line on stderr (Chinese first, English in parentheses), never argparse's usage block or exit 2
(2 means tampering); every option and argument has bilingual help."""
from __future__ import annotations

import re

import pytest

from bidtool.cli import build_parser

# Chinese text, then the English gloss in parentheses closing the line.
BILINGUAL = re.compile(r"[\u4e00-\u9fff].*\([^\u4e00-\u9fff]*[A-Za-z][^\u4e00-\u9fff]*\)$")


@pytest.fixture
def files(tmp_path, supplier):
    """Names the table below refers to, as paths in the test's folder."""
    (tmp_path / "plain.txt").write_bytes(b"bid")
    (tmp_path / "junk.pem").write_bytes(b"not a certificate")
    (tmp_path / "folder").mkdir()
    return {"CERT": supplier.certs["rsa", "encryption"], "SIGN_CERT": supplier.certs["rsa", "signing"],
            "KEY": supplier.keys["rsa", "signing"], "ROOT": supplier.roots["rsa"]}


KEY = ["--key", "KEY", "--pass-env", "BID_PASS", "--cert", "SIGN_CERT"]
PACK = ["pack", *KEY, "--enc-cert", "CERT", "--tender", "T-1", "--price", "1"]
# (arguments, a fragment the line must name)
MISTAKES = [
    ((), "missing command"),
    (("frobnicate",), "unknown command 'frobnicate'"),
    (("--version",), "--version"),
    (("encrypt",), "missing arguments --to, input, output"),
    (("encrypt", "--to", "CERT", "plain.txt"), "missing argument output"),
    (("encrypt", "--to"), "--to needs a value"),
    (("encrypt", "--bogus", "--to", "CERT", "plain.txt", "out"), "unknown option --bogus"),
    (("encrypt", "--to", "CERT", "--cipher", "rot13", "plain.txt", "out"), "invalid value 'rot13' for --cipher"),
    (("encrypt", "--to", "CERT", "--rsa-padding", "none", "plain.txt", "out"), "--rsa-padding"),
    (("encrypt", "--to", "CERT", "plain.txt", "out", "extra"), "unexpected argument extra"),
    (("encrypt", "--to", "CERT", "missing.txt", "out"), "no such file: missing.txt"),
    (("encrypt", "--to", "CERT", "folder", "out"), "folder is a folder"),
    (("encrypt", "--to", "nothere.pem", "plain.txt", "out"), "no such file: nothere.pem"),
    (("encrypt", "--to", "junk.pem", "plain.txt", "out"), "junk.pem"),
    (("decrypt", "--cert", "CERT", "plain.txt", "out"), "one of --key, --pkcs11"),
    (("decrypt", "--key", "KEY", "--pkcs11", "pkcs11:token=x", "--cert", "CERT", "plain.txt", "out"),
     "--pkcs11 cannot be used with --key"),
    (("decrypt", "--key", "KEY", "plain.txt", "out"), "missing option --cert"),
    (("decrypt", "--ke", "KEY", "--cert", "CERT", "plain.txt", "out"), "--key"),   # no abbreviations
    (("decrypt", "--key", "KEY", "--cert", "CERT", "missing.env", "out"), "no such file: missing.env"),
    (("decrypt", "--key", "nokey.p12", "--pass-env", "BID_PASS", "--cert", "CERT", "plain.txt", "out"),
     "no such file: nokey.p12"),
    (("decrypt", "--key", "KEY", "--pass-env", "UNSET_VARIABLE", "--cert", "SIGN_CERT", "plain.txt", "out"),
     "UNSET_VARIABLE"),
    (("decrypt", "--pkcs11", "pkcs11:token=a;;=b", "--cert", "CERT", "plain.txt", "out"), "PKCS#11 URI"),
    (("sign", *KEY, "missing.txt", "out.p7s"), "no such file: missing.txt"),
    (("sign", *KEY, "--chain", "nochain.pem", "plain.txt", "out.p7s"), "no such file: nochain.pem"),
    (("sign", "--key", "KEY", "--pass-env", "BID_PASS", "--cert", "junk.pem", "plain.txt", "out.p7s"), "junk.pem"),
    (("sign", *KEY, "--tsa"), "--tsa needs a value"),
    (("verify", "plain.txt"), "missing option --ca"),
    (("verify", "--ca", "ROOT", "missing.p7s"), "no such file: missing.p7s"),
    (("verify", "--ca", "ROOT", "--content", "missing.txt", "plain.txt"), "no such file: missing.txt"),
    (("verify", "--ca", "ROOT", "--at", "yesterday", "plain.txt"), "yesterday"),
    (("pack", *KEY, "--tender", "T-1", "-o", "bid.env", "plain.txt"), "missing option --price"),
    ((*PACK, "-o", "bid.env"), "missing argument FILE"),
    ((*PACK, "-o", "bid.env", "plain.txt", "missing.pdf"), "no such file: missing.pdf"),
    ((*PACK, "--currency"), "--currency needs a value"),
    (("unpack", *KEY, "bid.env", "out"), "missing option --ca"),
    (("unpack", *KEY, "--ca", "ROOT", "missing.env", "out"), "no such file: missing.env"),
    (("inspect",), "missing argument file"),
    (("inspect", "missing.env"), "no such file: missing.env"),
    (("login", *KEY), "missing option --platform"),
    (("login", "--platform", "ftp://example", *KEY), "invalid --platform"),
    (("login", "--platform", "http://127.0.0.1:9", "--cert", "SIGN_CERT"), "one of --key, --pkcs11, --token"),
    (("login", "--platform", "http://127.0.0.1:9", "--token", "t", "--key", "KEY", "--cert", "SIGN_CERT"),
     "--key cannot be used with --token"),
    (("logout", "extra"), "unexpected argument extra"),
    (("tenders", "--mine", "--session", "nosession.json"), "not logged in"),
    (("submit", "T-1"), "missing argument ENVELOPE"),
    (("submit", "T-1", "missing.env"), "no such file: missing.env"),
    (("submit", "T-1", "plain.txt"), "not an envelope"),
    (("submit", "T-1", "plain.txt", "--retries", "many"), "invalid value 'many' for --retries"),
    (("withdraw",), "missing argument BID"),
    (("open", "T-1", *KEY), "missing option --sign-cert"),
    (("open", *KEY, "--sign-cert", "SIGN_CERT"), "missing argument TENDER"),
    (("open", "T-1", *KEY, "--sign-cert", "SIGN_CERT", "--sign-key", "KEY", "--sign-token", "t"),
     "--sign-token cannot be used with --sign-key"),
    (("open", "T-1", *KEY, "--sign-cert", "SIGN_CERT", "--sign-key", "KEY", "--session", "nosession.json"),
     "not logged in"),
]


@pytest.mark.parametrize("args,fragment", MISTAKES, ids=lambda v: " ".join(v) if isinstance(v, tuple) else None)
def test_usage_mistake_exits_1_with_one_bilingual_line(bidtool, files, tmp_path, args, fragment):
    r = bidtool(*(files.get(a, a) for a in args))
    lines = r.err.splitlines()
    assert r.code == 1, r.err
    assert len(lines) == 1, r.err
    assert lines[0].startswith("bidtool: ") and BILINGUAL.search(lines[0]), lines[0]
    assert fragment in lines[0]
    assert r.out == ""
    assert not (tmp_path / "out").exists()


def test_io_failure_exits_3_with_one_bilingual_line(bidtool, files, tmp_path):
    r = bidtool("encrypt", "--to", files["CERT"], "plain.txt", "/proc/bidtool-no-such-folder/out.env")
    lines = r.err.splitlines()
    assert r.code == 3 and len(lines) == 1, r.err
    assert BILINGUAL.search(lines[0]) and "/proc/bidtool-no-such-folder" in lines[0], lines[0]


def _subcommands(parser):
    for action in parser._actions:
        if isinstance(action.choices, dict):
            yield from action.choices.items()


def test_every_option_of_every_subcommand_has_bilingual_help():
    parser = build_parser()
    commands = dict(_subcommands(parser))
    assert set(commands) == {"encrypt", "decrypt", "sign", "verify", "stamp", "pack", "unpack", "inspect", "agent",
                             "receipt-verify", "transcript-verify", "login", "logout", "tenders", "submit", "withdraw", "open"}
    missing = [f"{name} {action.option_strings or action.dest}"
               for name, sub in [("bidtool", parser), *commands.items()] for action in sub._actions
               if not isinstance(action.choices, dict)
               and not (action.help and BILINGUAL.search(action.help))]
    assert missing == []


def test_help_still_exits_0(bidtool):
    r = bidtool("sign", "--help")
    assert r.code == 0 and "--tsa" in r.out and "时间戳" in r.out


def test_a_bug_is_exit_4_in_one_line_never_an_input_mistake(monkeypatch, capsys, tmp_path):
    """An exception no contract covers is bidtool's own fault: exit 4 with one line that says so,
    not 1 (the user's mistake)."""
    import bidtool.cli as cli

    def broken(args):
        raise AttributeError("'NoneType' object has no attribute 'dump'")

    monkeypatch.setattr(cli, "cmd_inspect", broken)
    (tmp_path / "x").write_bytes(b"x")
    code = cli.main(["inspect", str(tmp_path / "x")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 4
    assert len(err) == 1 and "internal error AttributeError" in err[0] and "BIDTOOL_DEBUG=1" in err[0]
