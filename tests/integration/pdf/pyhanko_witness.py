"""pyHanko's own validation of every RSA/EC signature of a PDF, run as a separate process by the tests
(``python pyhanko_witness.py FILE --root ROOT.pem … [--time ISO] [--policy seal]``): it imports
nothing of the platform unless ``--policy seal`` asks for the platform's difference policy, and prints
one JSON object per signature. Revocation information must come from the document's DSS (B-LT):
the validation context gets the DSS's certificates and CRLs and ``revocation_mode='require'``
when ``--require-revinfo`` is given.
"""
from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime

from asn1crypto import crl as acrl, pem, x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.fields import enumerate_sig_fields
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko_certvalidator import ValidationContext


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("pdf")
    parser.add_argument("--root", action="append", default=[])
    parser.add_argument("--time")
    parser.add_argument("--require-revinfo", action="store_true")
    parser.add_argument("--policy", choices=("default", "seal"), default="default")
    args = parser.parse_args()
    roots = []
    for path in args.root:
        with open(path, "rb") as fh:
            data = fh.read()
        roots += [x509.Certificate.load(der) for _, _, der in pem.unarmor(data, multiple=True)]
    diff_policy = None
    if args.policy == "seal":
        sys.path.insert(0, ".")
        from pki.pdf.policy import SEAL_DIFF_POLICY
        diff_policy = SEAL_DIFF_POLICY
    with open(args.pdf, "rb") as fh:
        reader = PdfFileReader(fh, strict=True)
        certs, crls = [], []
        try:
            dss = DocumentSecurityStore.read_dss(reader)
            certs = list(dss.load_certs())
            crls = [acrl.CertificateList.load(ref.get_object().data) for ref in dss.crls]
        except Exception:       # no DSS
            pass
        moment = datetime.fromisoformat(args.time) if args.time else None
        out = []
        for name, _, field_ref in enumerate_sig_fields(reader, filled_status=True):
            try:
                sig = EmbeddedPdfSignature(reader, field_ref, name)
                skip = sig.md_algorithm != "sha256"
            except (TypeError, ValueError, KeyError):
                skip = True
            if skip:                 # GM/T 0010 (SM2): pyHanko cannot check it
                out.append({"field": name, "skipped": True})
                continue
            context = ValidationContext(trust_roots=roots, other_certs=certs, crls=crls, moment=moment,
                                        allow_fetching=False, retroactive_revinfo=True,
                                        revocation_mode="require" if args.require_revinfo else "soft-fail")
            status = validate_pdf_signature(sig, signer_validation_context=context, diff_policy=diff_policy)
            ts = status.timestamp_validity
            out.append({
                "field": sig.field_name, "intact": status.intact, "valid": status.valid, "trusted": status.trusted,
                "bottom_line": status.bottom_line, "coverage": status.coverage.name if status.coverage else None,
                "modification_level": status.modification_level.name if status.modification_level else None,
                "docmdp_ok": status.docmdp_ok, "timestamp": bool(ts and ts.valid and ts.intact),
                "summary": status.summary(),
            })
    print(json.dumps(out))


if __name__ == "__main__":
    main()
