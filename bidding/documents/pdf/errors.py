"""Refusals of the PDF generator: data a document cannot be made from. A missing font is not a
refusal but a broken installation (:class:`FontUnavailable`, a 500)."""
from __future__ import annotations

from bidding.errors import InvalidInput


class InvalidAmount(InvalidInput):
    """A money amount that is not a non-negative number of yuan with at most two decimals (分)."""

    code = "document_amount_invalid"
    message = "金额须为不小于零、最多两位小数的人民币元金额 (an amount must be a non-negative sum in yuan with at most two decimals)"


class InvalidDocumentData(InvalidInput):
    """The data of a document contradicts itself (a term that ends before it starts, a score above
    its weight, a summary row without a score per expert …); ``details`` names the field."""

    code = "document_data_invalid"
    message = "文件数据有误，无法生成文件 (the document's data is inconsistent: it cannot be generated)"


class FontUnavailable(RuntimeError):
    """The embedded CJK font is not installed (Debian package fonts-wqy-zenhei): a set-up error."""
