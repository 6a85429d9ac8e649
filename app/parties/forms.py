"""The forms of the parties pages (all with a CSRF token). The rules themselves are checked by
``bidding.parties``; these forms only make sure every field is there."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import PasswordField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length

_REQUIRED = "必填 (required)"


class RegistrationForm(FlaskForm):
    kind = SelectField("主体类型", choices=[SelectChoice("supplier", "供应商"), SelectChoice("agency", "代理机构"),
                                                SelectChoice("purchaser", "采购人")],
                       validators=[DataRequired(_REQUIRED)])
    name = StringField("主体名称（与营业执照一致）", validators=[DataRequired(_REQUIRED), Length(max=200)])
    credit_code = StringField("统一社会信用代码（18 位）", validators=[DataRequired(_REQUIRED), Length(max=18)])
    legal_representative = StringField("法定代表人", validators=[DataRequired(_REQUIRED), Length(max=50)])
    address = StringField("住所", validators=[DataRequired(_REQUIRED), Length(max=200)])
    contact_name = StringField("联系人", validators=[DataRequired(_REQUIRED), Length(max=50)])
    contact_phone = StringField("联系电话", validators=[DataRequired(_REQUIRED), Length(max=20)])
    licence = FileField("营业执照（PDF、PNG 或 JPEG，不超过 10 MiB）", validators=[FileRequired("请上传营业执照 (required)")])
    username = StringField("用户名（首个经办人账户）", validators=[DataRequired(_REQUIRED), Length(max=64)])
    password = PasswordField("口令（至少 10 个字符）", validators=[DataRequired(_REQUIRED), Length(max=1024)])
    confirm = PasswordField("再次输入口令", validators=[
        DataRequired(_REQUIRED), EqualTo("password", "两次输入的口令不一致 (the passwords differ)")])


class ReviewForm(FlaskForm):
    decision = RadioField("审核结论", choices=[SelectChoice("approve", "通过"), SelectChoice("reject", "驳回")],
                          validators=[DataRequired("请选择审核结论 (choose a decision)")])
    reason = TextAreaField("理由（驳回时必填）", validators=[Length(max=500)])


class HandlerForm(FlaskForm):
    name = StringField("经办人姓名", validators=[DataRequired(_REQUIRED), Length(max=50)])
    id_last4 = StringField("身份证号码后 4 位", validators=[DataRequired(_REQUIRED), Length(max=4)])
    phone = StringField("联系电话", validators=[DataRequired(_REQUIRED), Length(max=20)])
