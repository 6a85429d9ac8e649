"""The forms of the award pages (all with a CSRF token). The choice and the notices' terms are
checked by ``bidding.award.services``; these forms only make sure the fields are there."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional


class ConfirmForm(FlaskForm):
    bid_id = RadioField("中标人", coerce=int, validators=[DataRequired("请选择中标人 (choose the winner)")])
    reason = TextAreaField("未选择排名第一的候选人时的理由", validators=[Length(max=500)])


class NoticesForm(FlaskForm):
    performance_period = StringField("履约期限（可不填）", validators=[Optional(), Length(max=200)])
    contract_within_days = IntegerField("签订合同的期限（天）", default=30,
                                        validators=[DataRequired("请填写 1–365 天 (1 to 365 days)"),
                                                    NumberRange(1, 365, "请填写 1–365 天 (1 to 365 days)")])
    notes = TextAreaField("备注（可不填）", validators=[Optional(), Length(max=500)])
