"""The layering of DESIGN.md §2 is a test: lint-imports checks the contracts in pyproject.toml
(app → bidding → pki; no Flask below app/; pki/ knows no domain; bidtool/ needs no web app; no
import cycle inside pki/)."""
from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(cwd))
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def test_every_layer_contract_is_kept():
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout


def test_the_contracts_catch_a_crossed_layer(tmp_path):
    """The same contracts on a miniature tree in which pki imports the domain, the domain imports
    Flask and two pki parts import each other: every one of those contracts breaks."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    for package, body in {"app": "", "bidtool": "", "devsetup": "",
                          "bidding": "import flask\n",
                          "pki": "import bidding\n",
                          "pki/a": "from pki import b\n", "pki/b": "from pki import a\n"}.items():
        folder = tmp_path / package
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "__init__.py").write_text(body)
    (tmp_path / "flask").mkdir()
    (tmp_path / "flask" / "__init__.py").write_text("")
    lines = ["[importlinter]", "root_packages =", *[f"    {p}" for p in config["root_packages"]],
             "include_external_packages = True"]
    for contract in config["contracts"]:
        lines.append(f"[importlinter:contract:{contract['id']}]")
        for key, value in contract.items():
            if key == "id":
                continue
            lines.append(f"{key} =" + "".join(f"\n    {v}" for v in value) if isinstance(value, list)
                         else f"{key} = {value}")
    (tmp_path / ".importlinter").write_text("\n".join(lines) + "\n")
    result = _lint(tmp_path)
    assert result.returncode != 0
    for name in ("app → bidding → pki", "import no Flask", "pki/ knows nothing of the domain",
                 "no import cycle between the parts of pki/"):
        assert any(name in line and "BROKEN" in line for line in result.stdout.splitlines()), result.stdout
