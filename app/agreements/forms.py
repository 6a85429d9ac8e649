"""The forms of the agreement pages (all with a CSRF token). The terms themselves are checked by
``bidding.agreements.services.check_terms``; these forms only make sure the fields are there."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from bidding.agreements.services import PROCUREMENT_METHODS

_REQUIRED = "必填 (required)"
_DATE = "请按 年-月-日 填写日期 (a date YYYY-MM-DD)"


class AgreementForm(FlaskForm):
    agency_id = SelectField("受托代理机构", coerce=str, validators=[DataRequired("请选择代理机构 (choose an agency)")])
    project_name = StringField("项目名称", validators=[DataRequired(_REQUIRED), Length(max=100)])
    scope = TextAreaField("委托范围（采购内容、数量、服务要求等）", validators=[DataRequired(_REQUIRED), Length(max=1000)])
    procurement_method = SelectField("采购方式", choices=[SelectChoice("", "（由双方另行确定）")] + [SelectChoice(m, m) for m in PROCUREMENT_METHODS],
                                     validators=[Optional()])
    budget = StringField("采购预算（元）", validators=[DataRequired(_REQUIRED), Length(max=30)])
    term_start = DateField("委托期限起", validators=[DataRequired(_DATE)], format="%Y-%m-%d")
    term_end = DateField("委托期限止", validators=[DataRequired(_DATE)], format="%Y-%m-%d")
    fee = StringField("代理服务费金额（元，可不填）", validators=[Optional(), Length(max=30)])
    fee_terms = TextAreaField("代理服务费约定（计费方式、支付方）", validators=[Length(max=300)])


class RefuseForm(FlaskForm):
    reason = TextAreaField("拒签理由", validators=[DataRequired("请填写拒签理由 (a reason is required)"), Length(max=500)])


class ActionForm(FlaskForm):
    """A button that changes state (备案): only the CSRF token."""
