"""The views of open publication: a view loads the package and answers it."""
from __future__ import annotations

import json

from flask import Response, current_app

from app import context
from bidding.publication import ocds

OCDS_CONTENT_TYPE = "application/json"


def ocds_package(tender_id: int) -> Response:
    """``GET /tenders/<id>/ocds.json``: the OCDS 1.1 release package of a published tender, for
    anyone (a draft: 404). The same data give the same bytes, ``publishedDate`` apart."""
    config = current_app.config
    package = ocds.release_package(context.uow(), tender_id, base_url=config["PUBLIC_BASE_URL"],
                                   now=context.clock().now(), ocid_prefix=config["OCDS_OCID_PREFIX"],
                                   publisher=config["OCDS_PUBLISHER_NAME"])
    body = json.dumps(package, ensure_ascii=False, indent=2) + "\n"
    response = Response(body, content_type=f"{OCDS_CONTENT_TYPE}; charset=utf-8")
    response.headers["Access-Control-Allow-Origin"] = "*"      # open data: any site may read it
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
