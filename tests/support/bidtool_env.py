"""Constants and helpers shared by the bidtool tests (imported as ``support.bidtool_env``)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from pki.identity import credit_code_check_char

BIDTOOL = Path(sys.executable).with_name("bidtool")
PASSWORD = "bid-pass-1"
CODE = "91440101MA5ABCDE1" + credit_code_check_char("91440101MA5ABCDE1")
OTHER_CODE = "91110108551385082Q"


def openssl(*args, input=None) -> subprocess.CompletedProcess:
    return subprocess.run(["openssl", *map(str, args)], capture_output=True, input=input, timeout=120)
