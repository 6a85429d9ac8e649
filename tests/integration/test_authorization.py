"""Authorisation, walked route by route: every rule of ``app.url_map`` (except ``static``) and every
method, for every role, anonymous included. ``ALLOWED`` names who may use each endpoint; an
endpoint missing from it fails the test, so every new route must be added here with its rule.

"Allowed" means the request gets past authorisation: a 2xx or 3xx answer, or a 4xx that is about
the request itself (a form without fields, an unknown CRL name, a TSA request without a body), but
never 401/403 nor a redirect to the log-in page. "Refused" means exactly one of those.
Which party's objects an allowed account may see is checked by the areas' own tests.
"""
from __future__ import annotations

import pytest

from support.auth import AuthActions, make_accounts

ANONYMOUS = "anonymous"
#: role name → user name of its account in support.auth (a second supplier checks nothing leaks
#: between two parties of the same kind).
USERS = {"supplier_staff": "supplier", "agency_staff": "agency", "purchaser_staff": "purchaser",
         "operator": "operator", "supervisor": "supervisor", "supplier_staff_2": "supplier2"}
EVERYONE = frozenset({ANONYMOUS, *USERS})
LOGGED_IN = frozenset(USERS)
STAFF = frozenset({"supplier_staff", "agency_staff", "purchaser_staff", "supplier_staff_2"})
PURCHASER_AGENCY = frozenset({"purchaser_staff", "agency_staff"})
CONTRACT_PARTIES = frozenset({"purchaser_staff", "supplier_staff", "supplier_staff_2"})
CONTRACT_VIEWERS = CONTRACT_PARTIES | {"supervisor"}     # supervisors: filed contracts only
HALL = STAFF | {"supervisor"}                    # the opening hall's viewers (their tender: bidding.opening.hall)

#: (endpoint, method) → who may use it
ALLOWED: dict[tuple[str, str], frozenset[str]] = {
    ("main.home", "GET"): EVERYONE,
    ("main.healthz", "GET"): EVERYONE,
    ("pkiweb.crl", "GET"): EVERYONE,                 # CRLs are public by nature
    ("pkiweb.tsa", "POST"): EVERYONE,                # the RFC 3161 service (bidtool uses it)
    ("auth.login", "GET"): EVERYONE,
    ("auth.login", "POST"): EVERYONE,
    ("auth.recover", "GET"): EVERYONE,               # R20: for those who cannot log in
    ("auth.logout", "POST"): LOGGED_IN,
    ("auth.account", "GET"): LOGGED_IN,
    ("auth.change_password", "POST"): LOGGED_IN,
    ("api-docs.openapi_json", "GET"): EVERYONE,
    ("api_auth.Csrf", "GET"): EVERYONE,
    ("api_auth.Session", "POST"): EVERYONE,
    ("api_auth.Session", "DELETE"): LOGGED_IN,
    ("api_auth.Me", "GET"): LOGGED_IN,
    ("api_auth.RecoveredAccounts", "POST"): EVERYONE,     # R20: proven by a signed challenge
    ("api_auth.RecoveredPassword", "POST"): EVERYONE,
    # registration (主体入库): anyone applies; operators review; staff see only their own party
    ("parties.register", "GET"): EVERYONE,
    ("parties.register", "POST"): EVERYONE,
    ("parties.registration_status", "GET"): EVERYONE,     # needs the applicant's token (else 404)
    ("parties.operator_registrations", "GET"): frozenset({"operator"}),
    ("parties.operator_registration", "GET"): frozenset({"operator"}),
    ("parties.licence", "GET"): frozenset({"operator"}),
    ("parties.review", "POST"): frozenset({"operator"}),
    ("parties.party", "GET"): frozenset({"supplier_staff", "agency_staff", "purchaser_staff", "supplier_staff_2"}),
    ("parties.change_handler", "POST"): frozenset({"supplier_staff", "agency_staff", "purchaser_staff",
                                                   "supplier_staff_2"}),
    ("parties.read_notice", "POST"): STAFF,          # another party's notice: 404 (test_notices.py)
    ("parties.read_all_notices", "POST"): STAFF,
    ("api_notices.Notices", "GET"): STAFF,
    ("api_notices.NoticeRead", "POST"): STAFF,
    ("api_notices.NoticesRead", "POST"): STAFF,
    ("parties.commitment_letter", "GET"): frozenset({"supplier_staff", "supplier_staff_2"}),
    ("api_parties.Registrations", "POST"): EVERYONE,
    ("api_parties.Registrations", "GET"): frozenset({"operator"}),
    ("api_parties.Review", "POST"): frozenset({"operator"}),
    ("api_parties.OwnParty", "GET"): frozenset({"supplier_staff", "agency_staff", "purchaser_staff",
                                                "supplier_staff_2"}),
    ("api_parties.Handler", "PUT"): frozenset({"supplier_staff", "agency_staff", "purchaser_staff",
                                               "supplier_staff_2"}),
    ("api_parties.CommitmentLetter", "GET"): frozenset({"supplier_staff", "supplier_staff_2"}),
    ("api_parties.CommitmentLetter", "POST"): frozenset({"supplier_staff", "supplier_staff_2"}),
    ("certificates.index", "GET"): STAFF,            # only the account's own party's bindings
    ("certificates.bind", "GET"): STAFF,
    ("api_certificates.Challenges", "POST"): EVERYONE,   # a log-in challenge is asked before log-in
    ("api_certificates.Certificates", "GET"): STAFF,
    ("api_certificates.Certificates", "POST"): STAFF,
    ("api_certificates.EncryptionProofs", "POST"): STAFF,   # binding an encryption certificate
    ("api_certificates.EncryptionProof", "POST"): STAFF,
    ("api_certificates.CertificateSession", "POST"): EVERYONE,
    # certificate service desk (证书服务): staff of the binding's party; operators review PIN unlocks
    ("certificates.service", "GET"): STAFF,          # another party's binding: 403 (test_service_desk.py)
    ("certificates.service", "POST"): STAFF,
    ("certificates.operator_requests", "GET"): frozenset({"operator"}),
    ("certificates.review_request", "POST"): frozenset({"operator"}),
    ("api_desk.BindingServiceRequests", "POST"): STAFF,
    ("api_desk.ServiceRequests", "GET"): STAFF | {"operator"},
    ("api_desk.ServiceRequestReview", "POST"): frozenset({"operator"}),
    ("certificates.self_test", "GET"): STAFF,        # 加解密测试 (R11)
    ("api_selftest.SelfTests", "POST"): STAFF,
    ("api_selftest.SelfTest", "POST"): STAFF,         # only a test of the same session (else 404)
    # documents and stamping: staff of a party that signs the document (else 403/404, tests/integration/documents/)
    ("documents.download", "GET"): STAFF,
    ("api_documents.DocumentResource", "GET"): STAFF,
    ("api_documents.DocumentFile", "GET"): STAFF,
    ("api_documents.StampSessions", "POST"): STAFF,
    ("api_documents.StampSessionResource", "GET"): STAFF,
    ("api_documents.StampSignature", "POST"): STAFF,
    # delegation agreements (委托协议): purchasers draft, agencies refuse, both stamp and file their own
    ("agreements.index", "GET"): PURCHASER_AGENCY,
    ("agreements.new", "GET"): frozenset({"purchaser_staff"}),
    ("agreements.new", "POST"): frozenset({"purchaser_staff"}),
    ("agreements.detail", "GET"): PURCHASER_AGENCY,   # another party's agreement: 403 (tests/integration/agreements/)
    ("agreements.revise", "GET"): frozenset({"purchaser_staff"}),
    ("agreements.revise", "POST"): frozenset({"purchaser_staff"}),
    ("agreements.refuse", "POST"): frozenset({"agency_staff"}),
    ("agreements.file", "POST"): PURCHASER_AGENCY,
    ("api_agreements.Agreements", "GET"): PURCHASER_AGENCY,
    ("api_agreements.Agreements", "POST"): frozenset({"purchaser_staff"}),
    ("api_agreements.AgreementResource", "GET"): PURCHASER_AGENCY,
    ("api_agreements.AgreementTermsResource", "PUT"): frozenset({"purchaser_staff"}),
    ("api_agreements.AgreementRefusal", "POST"): frozenset({"agency_staff"}),
    ("api_agreements.AgreementFiling", "POST"): PURCHASER_AGENCY,
    ("api_agreements.AgreementHistory", "GET"): PURCHASER_AGENCY,
    ("api_agreements.Agencies", "GET"): frozenset({"purchaser_staff"}),
    # contracts (政府采购合同): the tender's purchaser drafts and files, the winner refuses, both stamp
    # (documents); supervisors read filed ones; which contract each sees: tests/integration/contracts/
    ("contracts.index", "GET"): CONTRACT_VIEWERS,
    ("contracts.new", "GET"): frozenset({"purchaser_staff"}),
    ("contracts.new", "POST"): frozenset({"purchaser_staff"}),
    ("contracts.detail", "GET"): CONTRACT_VIEWERS,
    ("contracts.revise", "GET"): frozenset({"purchaser_staff"}),
    ("contracts.revise", "POST"): frozenset({"purchaser_staff"}),
    ("contracts.refuse", "POST"): frozenset({"supplier_staff", "supplier_staff_2"}),
    ("contracts.file", "POST"): frozenset({"purchaser_staff"}),
    ("contracts.tender_contract", "GET"): CONTRACT_PARTIES,
    ("api_contracts.Contracts", "GET"): CONTRACT_VIEWERS,
    ("api_contracts.Contracts", "POST"): frozenset({"purchaser_staff"}),
    ("api_contracts.AwardsToContract", "GET"): frozenset({"purchaser_staff"}),
    ("api_contracts.ContractResource", "GET"): CONTRACT_VIEWERS,
    ("api_contracts.ContractTermsResource", "PUT"): frozenset({"purchaser_staff"}),
    ("api_contracts.ContractRefusal", "POST"): frozenset({"supplier_staff", "supplier_staff_2"}),
    ("api_contracts.ContractFiling", "POST"): frozenset({"purchaser_staff"}),
    ("api_contracts.ContractHistory", "GET"): CONTRACT_VIEWERS,
    # 验签: public, no log-in
    ("verify.verify_page", "GET"): EVERYONE,
    ("verify.verify_page", "POST"): EVERYONE,
    ("api_verify.Verify", "POST"): EVERYONE,
    ("api_verify.DocumentRecord", "GET"): EVERYONE,
    # the notifier's outbox (发件箱): operators only
    ("operator.outbox", "GET"): frozenset({"operator"}),
    ("api_operator.Outbox", "GET"): frozenset({"operator"}),
    # projects and tenders (采购项目与招标): the notice is public; agencies create and run, purchasers
    # review, suppliers register; which tender and file each may see: tests/integration/tenders/
    ("tenders.index", "GET"): EVERYONE,
    ("tenders.mine", "GET"): STAFF,
    ("tenders.new_project", "GET"): frozenset({"agency_staff"}),
    ("tenders.new_project", "POST"): frozenset({"agency_staff"}),
    ("tenders.detail", "GET"): EVERYONE,               # a draft of another party: 404
    ("tenders.upload_documents", "POST"): frozenset({"agency_staff"}),
    ("tenders.review", "POST"): frozenset({"purchaser_staff"}),
    ("tenders.publish", "POST"): frozenset({"agency_staff"}),
    ("tenders.amend", "POST"): frozenset({"agency_staff"}),
    ("tenders.register", "POST"): frozenset({"supplier_staff", "supplier_staff_2"}),
    ("tenders.documents_pdf", "GET"): STAFF,            # registered bidders, the agency, the purchaser (else 403)
    ("tenders.review_pdf", "GET"): PURCHASER_AGENCY,
    ("tenders.amendment_pdf", "GET"): STAFF,
    ("api_tenders.Tenders", "GET"): EVERYONE,
    ("api_tenders.MyTenders", "GET"): STAFF,
    ("api_tenders.TenderResource", "GET"): EVERYONE,
    ("api_tenders.Projects", "POST"): frozenset({"agency_staff"}),
    ("api_tenders.ProjectPurchasers", "GET"): frozenset({"agency_staff"}),
    ("api_tenders.TenderDocuments", "POST"): frozenset({"agency_staff"}),
    ("api_tenders.TenderReview", "POST"): frozenset({"purchaser_staff"}),
    ("api_tenders.TenderPublication", "POST"): frozenset({"agency_staff"}),
    ("api_tenders.TenderAmendments", "GET"): EVERYONE,
    ("api_tenders.TenderAmendments", "POST"): frozenset({"agency_staff"}),
    ("api_tenders.TenderRegistrationResource", "GET"): frozenset({"supplier_staff", "supplier_staff_2"}),
    ("api_tenders.TenderRegistrationResource", "POST"): frozenset({"supplier_staff", "supplier_staff_2"}),
    ("api_tenders.DocumentsFile", "GET"): STAFF,
    ("api_tenders.ReviewFile", "GET"): PURCHASER_AGENCY,
    ("api_tenders.AmendmentFile", "GET"): STAFF,
    # bids (投标): suppliers upload, withdraw and download their own receipts (another party's bid or
    # upload: 404, tests/integration/bids/); the tender's agency and supervisors see that bids exist
    ("bids.index", "GET"): frozenset({"supplier_staff", "supplier_staff_2"}),
    ("bids.tender_bid", "GET"): frozenset({"supplier_staff", "supplier_staff_2"}),
    ("bids.withdraw", "POST"): frozenset({"supplier_staff", "supplier_staff_2"}),
    ("bids.received", "GET"): frozenset({"agency_staff", "supervisor"}),     # another agency's tender: 403
    ("api_bids.Uploads", "POST"): frozenset({"supplier_staff", "supplier_staff_2"}),
    ("api_bids.Upload", "GET"): frozenset({"supplier_staff", "supplier_staff_2"}),
    ("api_bids.Upload", "PATCH"): frozenset({"supplier_staff", "supplier_staff_2"}),
    ("api_bids.Upload", "DELETE"): frozenset({"supplier_staff", "supplier_staff_2"}),
    ("api_bids.Bids", "GET"): frozenset({"supplier_staff", "supplier_staff_2"}),
    ("api_bids.BidResource", "GET"): frozenset({"supplier_staff", "supplier_staff_2"}),
    ("api_bids.BidWithdrawal", "POST"): frozenset({"supplier_staff", "supplier_staff_2"}),
    ("api_bids.BidReceiptFile", "GET"): frozenset({"supplier_staff", "supplier_staff_2"}),
    ("api_bids.BidWithdrawalReceiptFile", "GET"): frozenset({"supplier_staff", "supplier_staff_2"}),
    ("api_bids.TenderBids", "GET"): frozenset({"agency_staff", "supervisor"}),
    # the opening hall (开标大厅): the tender's agency and purchaser, supervisors (read-only) and registered
    # suppliers (an unregistered one, another agency's staff: 403, tests/integration/opening/test_hall_*);
    # the published record and transcript are public
    ("opening.hall_page", "GET"): HALL,
    ("api_opening_hall.OpeningHallState", "GET"): HALL,
    ("api_opening_hall.OpeningSignIn", "POST"): frozenset({"supplier_staff", "supplier_staff_2"}),
    ("api_opening_hall.OpeningObjections", "POST"): frozenset({"supplier_staff", "supplier_staff_2"}),
    ("api_opening_hall.OpeningObjectionAnswer", "POST"): frozenset({"agency_staff"}),
    ("api_opening_hall.OpeningRecord", "POST"): frozenset({"agency_staff"}),
    ("api_opening_hall.OpeningPublication", "POST"): frozenset({"agency_staff"}),
    ("api_opening_hall.OpeningRecordFile", "GET"): EVERYONE,
    ("api_opening_hall.OpeningTranscript", "GET"): EVERYONE,
    # open publication (docs/publication.md): a published tender's OCDS package, for anyone (a draft: 404)
    ("publication.ocds_package", "GET"): EVERYONE,
    # the bidder's step at the opening (docs/opening.md): a supplier with a bid (others: 404/409 by the use case)
    ("api_opening.OpeningRelease", "POST"): frozenset({"supplier_staff", "supplier_staff_2"}),
    ("api_opening.OpeningKeySubmission", "POST"): frozenset({"supplier_staff", "supplier_staff_2"}),
    # experts (docs/experts.md): the operator keeps the pool, the tender's agency draws; the expert's own
    # pages and API need its one-time-code session, not an account: without it the pages send to the
    # expert sign-in page (not refused here) and the API answers 401 to everyone (an empty set)
    ("experts.pool_page", "GET"): frozenset({"operator"}),
    ("experts.add_expert", "POST"): frozenset({"operator"}),
    ("experts.declare_conflict", "POST"): frozenset({"operator"}),
    ("experts.set_active", "POST"): frozenset({"operator"}),
    ("experts.draw_page", "GET"): frozenset({"agency_staff"}),
    ("experts.draw", "POST"): frozenset({"agency_staff"}),
    ("experts.sign_in", "GET"): EVERYONE,
    ("experts.sign_in", "POST"): EVERYONE,
    ("experts.sign_out", "POST"): EVERYONE,
    ("experts.assignments", "GET"): EVERYONE,
    ("experts.answer", "POST"): EVERYONE,
    ("experts.commitment", "GET"): EVERYONE,
    ("experts.commitment", "POST"): EVERYONE,
    ("api_experts.Experts", "GET"): frozenset({"operator"}),
    ("api_experts.Experts", "POST"): frozenset({"operator"}),
    ("api_experts.ExpertConflicts", "POST"): frozenset({"operator"}),
    ("api_experts.ExpertActive", "PUT"): frozenset({"operator"}),
    ("api_experts.ExpertDraw", "GET"): EVERYONE,         # the public record: no names before the evaluation
    ("api_experts.ExpertDraw", "POST"): frozenset({"agency_staff"}),
    ("api_experts.ExpertDrawStatus", "GET"): frozenset({"agency_staff"}),
    ("api_experts.ExpertDrawList", "GET"): frozenset({"agency_staff"}),   # 403 before the evaluation starts
    ("api_experts.ExpertListOpenings", "POST"): frozenset({"agency_staff"}),
    ("api_experts.ExpertListOpening", "POST"): frozenset({"agency_staff"}),
    ("api_experts.ExpertCodes", "POST"): EVERYONE,
    ("api_experts.ExpertSession", "POST"): EVERYONE,
    ("api_experts.ExpertSession", "DELETE"): EVERYONE,
    ("api_experts.ExpertAssignments", "GET"): frozenset(),
    ("api_experts.ExpertAssignmentAnswer", "POST"): frozenset(),
    ("api_experts.SignatureRequests", "POST"): frozenset(),
    ("api_experts.SignatureRequest", "POST"): frozenset(),
    # the evaluation (docs/evaluation.md): the tender's agency sets the scheme and computes the summary;
    # the expert's pages send to the expert sign-in without its code session, its API answers 401
    ("evaluation.agency_page", "GET"): frozenset({"agency_staff"}),
    ("evaluation.set_scheme", "POST"): frozenset({"agency_staff"}),
    ("evaluation.compute_summary", "POST"): frozenset({"agency_staff"}),
    ("evaluation.expert_page", "GET"): EVERYONE,
    ("evaluation.fill_sheet", "POST"): EVERYONE,
    ("evaluation.sign_sheet", "POST"): EVERYONE,
    ("api_evaluation.Scheme", "GET"): frozenset({"agency_staff"}),
    ("api_evaluation.Scheme", "PUT"): frozenset({"agency_staff"}),
    ("api_evaluation.Progress", "GET"): frozenset({"agency_staff"}),
    ("api_evaluation.Summary", "GET"): frozenset({"agency_staff"}),
    ("api_evaluation.Summary", "POST"): frozenset({"agency_staff"}),
    # the evaluation report: the agency generates and stamps it, its purchaser reads it once final; the
    # tender's experts read and sign it in their code session
    ("evaluation.report_page", "GET"): PURCHASER_AGENCY,
    ("evaluation.generate_report", "POST"): frozenset({"agency_staff"}),
    ("evaluation.report_file", "GET"): PURCHASER_AGENCY,
    ("evaluation.expert_report_page", "GET"): EVERYONE,
    ("evaluation.expert_report_file", "GET"): EVERYONE,
    ("evaluation.expert_sign_report", "POST"): EVERYONE,
    ("api_evaluation.Report", "GET"): PURCHASER_AGENCY,
    ("api_evaluation.Report", "POST"): frozenset({"agency_staff"}),
    ("api_evaluation.ReportPdf", "GET"): PURCHASER_AGENCY,
    ("api_evaluation.ExpertReport", "GET"): frozenset(),
    ("api_evaluation.ExpertReportPdf", "GET"): frozenset(),
    ("api_evaluation.ReportSignatureRequests", "POST"): frozenset(),
    ("api_evaluation.ReportSignature", "POST"): frozenset(),
    ("api_evaluation.ExpertEvaluation", "GET"): frozenset(),
    ("api_evaluation.ExpertSheets", "POST"): frozenset(),
    ("api_evaluation.ExpertSheet", "GET"): frozenset(),
    ("api_evaluation.SheetSignatureRequests", "POST"): frozenset(),
    ("api_evaluation.SheetSignature", "POST"): frozenset(),
    # the award (docs/award.md): the tender's purchaser confirms, its agency makes and stamps the notices,
    # a bidder reads only its own notice (another tender's or another bidder's: 404, tests/integration/award/)
    ("award.confirm_page", "GET"): frozenset({"purchaser_staff"}),
    ("award.confirm_page", "POST"): frozenset({"purchaser_staff"}),
    ("award.notices_page", "GET"): PURCHASER_AGENCY,
    ("award.notices_page", "POST"): frozenset({"agency_staff"}),
    ("award.my_notice_page", "GET"): frozenset({"supplier_staff", "supplier_staff_2"}),
    ("award.document_pdf", "GET"): STAFF,
    ("api_award.AwardResource", "GET"): PURCHASER_AGENCY,
    ("api_award.AwardResource", "POST"): frozenset({"purchaser_staff"}),
    ("api_award.AwardNotices", "POST"): frozenset({"agency_staff"}),
    ("api_award.MyNotice", "GET"): frozenset({"supplier_staff", "supplier_staff_2"}),
    ("api_award.AwardDocumentFile", "GET"): STAFF,
}
#: values for the URL variables of rules that have some
URL_VALUES: dict[str, dict[str, str]] = {
    "pkiweb.crl": {"name": "netca-rsa"},
    "parties.registration_status": {"registration_id": "1"},
    "parties.operator_registration": {"registration_id": "1"},
    "parties.licence": {"registration_id": "1"},
    "parties.review": {"registration_id": "1"},
    "api_parties.Review": {"registration_id": "1"},
    "parties.read_notice": {"notice_id": "1"},
    "api_notices.NoticeRead": {"notice_id": "1"},
    "certificates.service": {"binding_id": "1"},
    "certificates.review_request": {"request_id": "1"},
    "api_desk.BindingServiceRequests": {"binding_id": "1"},
    "api_desk.ServiceRequestReview": {"request_id": "1"},
    "api_selftest.SelfTest": {"test_id": "unknown"},
    "api_certificates.EncryptionProof": {"proof_id": "1"},
    "documents.download": {"public_id": "AAAA-BBBB-CCCC-DDDD", "seq": "1"},
    "api_documents.DocumentResource": {"public_id": "AAAA-BBBB-CCCC-DDDD"},
    "api_documents.DocumentFile": {"public_id": "AAAA-BBBB-CCCC-DDDD", "seq": "1"},
    "api_documents.StampSessions": {"public_id": "AAAA-BBBB-CCCC-DDDD"},
    "api_documents.StampSessionResource": {"session_id": "1"},
    "api_documents.StampSignature": {"session_id": "1"},
    "agreements.detail": {"agreement_id": "1"},
    "agreements.revise": {"agreement_id": "1"},
    "agreements.refuse": {"agreement_id": "1"},
    "agreements.file": {"agreement_id": "1"},
    "api_agreements.AgreementResource": {"agreement_id": "1"},
    "api_agreements.AgreementTermsResource": {"agreement_id": "1"},
    "api_agreements.AgreementRefusal": {"agreement_id": "1"},
    "api_agreements.AgreementFiling": {"agreement_id": "1"},
    "api_agreements.AgreementHistory": {"agreement_id": "1"},
    "contracts.new": {"award_id": "1"},
    "contracts.detail": {"contract_id": "1"},
    "contracts.revise": {"contract_id": "1"},
    "contracts.refuse": {"contract_id": "1"},
    "contracts.file": {"contract_id": "1"},
    "contracts.tender_contract": {"tender_id": "1"},
    "api_contracts.ContractResource": {"contract_id": "1"},
    "api_contracts.ContractTermsResource": {"contract_id": "1"},
    "api_contracts.ContractRefusal": {"contract_id": "1"},
    "api_contracts.ContractFiling": {"contract_id": "1"},
    "api_contracts.ContractHistory": {"contract_id": "1"},
    "api_verify.DocumentRecord": {"public_id": "AAAA-BBBB-CCCC-DDDD"},
    "tenders.detail": {"tender_id": "1"},
    "tenders.upload_documents": {"tender_id": "1"},
    "tenders.review": {"tender_id": "1"},
    "tenders.publish": {"tender_id": "1"},
    "tenders.amend": {"tender_id": "1"},
    "tenders.register": {"tender_id": "1"},
    "tenders.documents_pdf": {"tender_id": "1"},
    "tenders.review_pdf": {"tender_id": "1"},
    "tenders.amendment_pdf": {"tender_id": "1", "seq": "1"},
    "api_tenders.TenderResource": {"tender_id": "1"},
    "api_tenders.TenderDocuments": {"tender_id": "1"},
    "api_tenders.TenderReview": {"tender_id": "1"},
    "api_tenders.TenderPublication": {"tender_id": "1"},
    "api_tenders.TenderAmendments": {"tender_id": "1"},
    "api_tenders.TenderRegistrationResource": {"tender_id": "1"},
    "api_tenders.DocumentsFile": {"tender_id": "1"},
    "api_tenders.ReviewFile": {"tender_id": "1"},
    "api_tenders.AmendmentFile": {"tender_id": "1", "seq": "1"},
    "bids.tender_bid": {"tender_id": "1"},
    "bids.withdraw": {"bid_id": "B-UNKNOWN"},
    "bids.received": {"tender_id": "1"},
    "api_bids.Uploads": {"tender_id": "1"},
    "api_bids.Upload": {"upload_id": "UNKNOWN"},
    "api_bids.BidResource": {"bid_id": "B-UNKNOWN"},
    "api_bids.BidWithdrawal": {"bid_id": "B-UNKNOWN"},
    "api_bids.BidReceiptFile": {"bid_id": "B-UNKNOWN"},
    "api_bids.BidWithdrawalReceiptFile": {"bid_id": "B-UNKNOWN"},
    "api_bids.TenderBids": {"tender_id": "1"},
    "opening.hall_page": {"tender_id": "1"},
    "api_opening_hall.OpeningHallState": {"tender_id": "1"},
    "api_opening_hall.OpeningSignIn": {"tender_id": "1"},
    "api_opening_hall.OpeningObjections": {"tender_id": "1"},
    "api_opening_hall.OpeningObjectionAnswer": {"tender_id": "1", "seq": "1"},
    "api_opening_hall.OpeningRecord": {"tender_id": "1"},
    "api_opening_hall.OpeningPublication": {"tender_id": "1"},
    "api_opening_hall.OpeningRecordFile": {"tender_id": "1"},
    "api_opening_hall.OpeningTranscript": {"tender_id": "1"},
    "publication.ocds_package": {"tender_id": "1"},
    "api_opening.OpeningRelease": {"tender_id": "1"},
    "api_opening.OpeningKeySubmission": {"tender_id": "1"},
    "experts.declare_conflict": {"expert_id": "1"},
    "experts.set_active": {"expert_id": "1"},
    "experts.draw_page": {"tender_id": "1"},
    "experts.draw": {"tender_id": "1"},
    "experts.answer": {"assignment_id": "1"},
    "experts.commitment": {"assignment_id": "1"},
    "api_experts.ExpertConflicts": {"expert_id": "1"},
    "api_experts.ExpertActive": {"expert_id": "1"},
    "api_experts.ExpertDraw": {"tender_id": "1"},
    "api_experts.ExpertDrawStatus": {"tender_id": "1"},
    "api_experts.ExpertDrawList": {"tender_id": "1"},
    "api_experts.ExpertListOpenings": {"tender_id": "1"},
    "api_experts.ExpertListOpening": {"tender_id": "1", "version": "1"},
    "api_experts.ExpertAssignmentAnswer": {"assignment_id": "1"},
    "api_experts.SignatureRequest": {"request_id": "1"},
    "evaluation.agency_page": {"tender_id": "1"},
    "evaluation.set_scheme": {"tender_id": "1"},
    "evaluation.compute_summary": {"tender_id": "1"},
    "evaluation.expert_page": {"tender_id": "1"},
    "evaluation.fill_sheet": {"tender_id": "1"},
    "evaluation.sign_sheet": {"sheet_id": "1"},
    "api_evaluation.Scheme": {"tender_id": "1"},
    "api_evaluation.Progress": {"tender_id": "1"},
    "api_evaluation.Summary": {"tender_id": "1"},
    "api_evaluation.Report": {"tender_id": "1"},
    "api_evaluation.ReportPdf": {"tender_id": "1"},
    "evaluation.report_page": {"tender_id": "1"},
    "evaluation.generate_report": {"tender_id": "1"},
    "evaluation.report_file": {"tender_id": "1"},
    "evaluation.expert_report_page": {"tender_id": "1"},
    "evaluation.expert_report_file": {"tender_id": "1"},
    "evaluation.expert_sign_report": {"tender_id": "1"},
    "api_evaluation.ExpertReport": {"tender_id": "1"},
    "api_evaluation.ExpertReportPdf": {"tender_id": "1"},
    "api_evaluation.ReportSignatureRequests": {"tender_id": "1"},
    "api_evaluation.ReportSignature": {"tender_id": "1"},
    "api_evaluation.ExpertEvaluation": {"tender_id": "1"},
    "api_evaluation.ExpertSheets": {"tender_id": "1"},
    "api_evaluation.ExpertSheet": {"sheet_id": "1"},
    "api_evaluation.SheetSignatureRequests": {"sheet_id": "1"},
    "api_evaluation.SheetSignature": {"sheet_id": "1"},
    "award.confirm_page": {"tender_id": "1"},
    "award.notices_page": {"tender_id": "1"},
    "award.my_notice_page": {"tender_id": "1"},
    "award.document_pdf": {"tender_id": "1", "public_id": "K7QM-3XZP-9D2W-HT4B"},
    "api_award.AwardResource": {"tender_id": "1"},
    "api_award.AwardNotices": {"tender_id": "1"},
    "api_award.MyNotice": {"tender_id": "1"},
    "api_award.AwardDocumentFile": {"tender_id": "1", "public_id": "K7QM-3XZP-9D2W-HT4B"},
}
#: endpoints after which the client is no longer logged in
ENDS_SESSION = {("auth.logout", "POST"), ("api_auth.Session", "DELETE")}


def _routes(app) -> list[tuple[str, str, str]]:
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            values = URL_VALUES.get(rule.endpoint, {})
            missing = set(rule.arguments) - set(values)
            assert not missing, f"{rule.rule}: add sample values for {missing} to URL_VALUES"
            routes.append((rule.endpoint, method, rule.build(values, append_unknown=False)[1]))
    return routes


def _refused(response, path: str) -> bool:
    if response.status_code in (401, 403):
        return True
    location = response.headers.get("Location", "")
    return response.status_code in (301, 302, 303, 307) and location.startswith("/login") and path != "/login"


@pytest.fixture
def auth_app(make_app, db_url, clock):
    app = make_app(db_url, CLOCK=clock, RATELIMIT_ENABLED=False)
    make_accounts(app)
    return app


def test_every_route_has_a_rule(auth_app):
    endpoints = {(endpoint, method) for endpoint, method, _ in _routes(auth_app)}
    assert endpoints - ALLOWED.keys() == set(), "routes without an authorisation rule in ALLOWED"
    assert ALLOWED.keys() - endpoints == set(), "rules in ALLOWED for routes that no longer exist"


def test_every_route_for_every_role(auth_app):
    failures = []
    clients = {}

    def client_for(role: str):
        if role not in clients:
            client = auth_app.test_client()
            if role != ANONYMOUS:
                assert AuthActions(client).login(USERS[role]).status_code == 302, role
            clients[role] = client
        return clients[role]

    for endpoint, method, path in _routes(auth_app):
        for role in sorted(EVERYONE):
            response = client_for(role).open(path, method=method)
            allowed = role in ALLOWED[(endpoint, method)]
            refused = _refused(response, path)
            if allowed == refused or response.status_code >= 500:
                failures.append(f"{method} {path} as {role}: {response.status_code} "
                                f"{response.headers.get('Location', '')} (expected "
                                f"{'allowed' if allowed else 'refused'})")
            if (endpoint, method) in ENDS_SESSION or (endpoint, method) == ("auth.change_password", "POST"):
                clients.pop(role, None)     # log in again for the next route
    assert failures == []
