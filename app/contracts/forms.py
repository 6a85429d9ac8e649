"""The forms of the contract pages (all with a CSRF token). The terms themselves are checked by
``bidding.contracts.services.check_terms``; these forms only make sure the fields are there."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from bidding.contracts.services import PAYMENT_TERMS_MAX, PLACE_MAX, REASON_MAX

_REQUIRED = "必填 (required)"


class ContractForm(FlaskForm):
    payment_terms = TextAreaField("付款方式（支付比例、时间、条件）",
                                  validators=[DataRequired(_REQUIRED), Length(max=PAYMENT_TERMS_MAX)])
    delivery_place = StringField("交付（履行）地点", validators=[DataRequired(_REQUIRED), Length(max=PLACE_MAX)])
    delivery_date = DateField("交付（履行）期限", format="%Y-%m-%d",
                              validators=[DataRequired("请按 年-月-日 填写日期 (a date YYYY-MM-DD)")])


class RefuseForm(FlaskForm):
    reason = TextAreaField("拒签理由", validators=[DataRequired("请填写拒签理由 (a reason is required)"),
                                                Length(max=REASON_MAX)])


class ActionForm(FlaskForm):
    """A button that changes state (备案): only the CSRF token."""
