"""Interrupted signing through the local signing agent, as the platform's pages do it: the platform
prepares the stamp (the record goes through JSON, as into the database), the agent signs the byte
range's digest with the key on a SoftHSM2 token (RSA, EC) or in an SM2 key file (``"pades": true``),
the platform finishes with its TSA (B-T) and the validation data (B-LT). Checked by the project's
verifier, by ``pdfsig`` (trusting the dev roots) and by pyHanko in a separate process."""
from __future__ import annotations

import base64
import hashlib
import json

import pytest
from asn1crypto import cms, x509

from devsetup.softhsm import init_softhsm_token
from pki import pkcs11 as tokens
from pki.devca.tokens import issue_to_token
from pki.identity import PartyIdentity
from pki.pdf import PreparedStamp, SealPlacement, StampSpec, finish_stamp, prepare_stamp, verify_pdf
from pki.pdf.reading import open_reader
from support.agent import ORIGIN, PIN, SO_PIN, AgentClient, start_agent


@pytest.fixture
def agent(world, tmp_path, isolated_tokens):
    """The agent serving a fresh SoftHSM token with an RSA key (the purchaser's) and an EC key (the
    agency's), each certified with a seal, and the SM2 key file of a third party."""
    hsm = init_softhsm_token(tmp_path / "hsm", "seal-token", SO_PIN, PIN)
    session = tokens.open_token(hsm.label, pin=PIN)
    on_token = {alg: issue_to_token(world.ca, session, "cfca", PartyIdentity("institution", name,
                                                                              credit_code=world.credit_code(seed)),
                                    algorithm=alg, at=world.ca_start)
                for alg, name, seed in (("rsa", "示例采购人单位", 101), ("ec", "示例代理机构有限公司", 102))}
    tokens.close_sessions()
    world.ca.publish_crls(at=world.now.replace(second=0))
    sm2 = world.party("示例供应商（国密）有限公司", "sm2", 103)
    sm2_rec = world.ca.record(sm2.serial)
    anchors = world.ca.anchors_dir / "cfca"
    args = ["agent", "--port", "0", "--origin", ORIGIN, "--state-dir", str(tmp_path / "state"),
            "--key", str(world.ca.path(sm2_rec.key_file)), "--cert", str(world.ca.path(sm2_rec.cert_file)),
            "--pkcs11", hsm.uri().format()]
    for alg in ("rsa", "ec", "sm2"):
        args += ["--chain", str(anchors / f"{alg}-ca.pem")]
    server, thread = start_agent(args)
    signers = {alg: (world.ca.certificate(t.serial), world.ca.path(t.record.seal_file).read_bytes(), PIN)
               for alg, t in on_token.items()}
    signers["sm2"] = (sm2.certificate, sm2.seal_png, world.password.decode())
    try:
        yield AgentClient(server.port, server), signers
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def stamp_through_agent(client: AgentClient, world, pdf: bytes, signer, placement: SealPlacement, **spec) -> bytes:
    certificate, seal, pin = signer
    prepared = prepare_stamp(pdf, certificate, StampSpec(seal, placement, **spec), signing_time=world.now)
    record = json.loads(json.dumps(prepared.to_record()))          # as it is kept between the requests
    resumed = PreparedStamp.from_record(record, prepared.prepared_pdf)
    answer = client.post("/v1/sign", {"certificate": hashlib.sha256(certificate.dump()).hexdigest(), "pin": pin,
                                      "digest": resumed.digest.hex(), "digest_algorithm": resumed.digest_algorithm,
                                      "pades": True})
    assert answer.status == 200, answer.body
    assert answer.json["signing_time"] is None
    signature = base64.b64decode(answer.json["signature"])
    attrs = cms.ContentInfo.load(signature)["content"]["signer_infos"][0]["signed_attrs"]
    assert "signing_time" not in {a["type"].native for a in attrs}      # PAdES baseline
    return finish_stamp(resumed, signature, timestamper=world.tsa, validation=world.validation())


def test_purchaser_and_agency_stamp_an_agreement_with_their_tokens(agent, world, tools):
    client, signers = agent
    first = stamp_through_agent(client, world, world.docs[3], signers["rsa"], SealPlacement(page=3, x=90, y=90))
    both = stamp_through_agent(client, world, first, signers["ec"], SealPlacement(page=3, x=330, y=90))

    report = verify_pdf(both, trust=world.trust, crls=world.crls())
    assert report.ok(), [s.problems for s in report.signatures]
    purchaser, agency = report.signatures
    assert (purchaser.algorithm, agency.algorithm) == ("rsa", "ec")
    assert purchaser.signer_subject.startswith("Common Name: 示例采购人单位")
    assert purchaser.timestamp_time == agency.timestamp_time == world.tsa_time
    assert purchaser.certificate_status == agency.certificate_status == "good"
    assert purchaser.modification == "seal_slices" and not purchaser.covers_whole_document
    assert agency.modification == "validation_data"         # only its own B-LT revision follows it
    assert purchaser.subfilter == agency.subfilter == "/ETSI.CAdES.detached"
    assert purchaser.seal_png is not None and purchaser.seal_png.startswith(b"\x89PNG")
    assert report.revisions == 5                              # original + (signature, DSS) × 2

    reader = open_reader(both)
    dss = reader.root["/DSS"]
    assert len(dss["/Certs"]) >= 4 and len(dss["/CRLs"]) >= 2      # B-LT

    witnessed = tools.pdfsig(both)
    assert [(s.signature, s.certificate) for s in witnessed] == [
        ("Signature is Valid.", "Certificate is Trusted.")] * 2
    for status in tools.pyhanko(both):           # a separate process, revocation data from the DSS only
        assert status["bottom_line"] and status["intact"] and status["trusted"] and status["timestamp"], status


def test_sm2_seal_through_the_agent(agent, world, tools):
    client, signers = agent
    stamped = stamp_through_agent(client, world, world.docs[3], signers["sm2"], SealPlacement(page=1, x=400, y=600))

    report = verify_pdf(stamped, trust=world.trust, crls=world.crls())
    assert report.ok(), report.signatures[0].problems
    (seal,) = report.signatures
    assert (seal.algorithm, seal.flavour, seal.subfilter) == ("sm2", "gm-standard", "/adbe.pkcs7.detached")
    assert seal.timestamp_time == world.tsa_time and seal.intact and seal.signature_valid
    # poppler cannot check SM2 (it cannot even parse GM/T 0010): the platform's verifier is the one
    (witnessed,) = tools.pdfsig(stamped)
    assert witnessed.signature != "Signature is Valid."
    assert tools.pyhanko(stamped) == [{"field": "Seal1", "skipped": True}]


def test_the_agent_writes_signing_time_unless_pades(agent):
    client, signers = agent
    certificate, _, pin = signers["rsa"]
    ident = hashlib.sha256(certificate.dump()).hexdigest()
    digest = hashlib.sha256(b"byte range").hexdigest()

    def attribute_types(**extra):
        answer = client.post("/v1/sign", {"certificate": ident, "pin": pin, "digest": digest,
                                          "digest_algorithm": "sha256", **extra})
        assert answer.status == 200, answer.body
        signed = cms.ContentInfo.load(base64.b64decode(answer.json["signature"]))["content"]
        return {a["type"].native for a in signed["signer_infos"][0]["signed_attrs"]}, answer.json["signing_time"]

    types, when = attribute_types()                 # the old behaviour stays the default
    assert "signing_time" in types and when is not None
    types, when = attribute_types(pades=False)
    assert "signing_time" in types
    types, when = attribute_types(pades=True)
    assert "signing_time" not in types and when is None
    assert {"content_type", "message_digest", "signing_certificate_v2"} <= types

    refused = client.post("/v1/sign", {"certificate": ident, "pin": pin, "data": base64.b64encode(b"x").decode(),
                                       "pades": True})
    assert refused.status == 400 and refused.error_code == "bad_request", refused.body
    refused = client.post("/v1/sign", {"certificate": ident, "pin": pin, "digest": digest,
                                       "digest_algorithm": "sha256", "pades": "yes"})
    assert refused.status == 400, refused.body
    assert isinstance(x509.Certificate.load(certificate.dump()), x509.Certificate)
