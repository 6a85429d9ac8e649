"""The forms of the tender pages (all with a CSRF token). The values are checked by the use cases
(``bidding.tenders``); these forms only make sure the fields are there."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from bidding.agreements.services import PROCUREMENT_METHODS
from bidding.tenders.documents import ITEM_CONCLUSIONS, REVIEW_CONCLUSIONS, REVIEW_ITEMS

_REQUIRED = "必填 (required)"
LOT_ROWS = 5
SEAL_PAGES = [SelectChoice("0", "最后一页右下角"), SelectChoice("1", "第一页右下角")]


class ProjectForm(FlaskForm):
    purchaser_id = SelectField("采购人（须已与本机构备案委托协议）", coerce=str,
                               validators=[DataRequired("请选择采购人 (choose the purchaser)")])
    title = StringField("项目名称", validators=[DataRequired(_REQUIRED), Length(max=100)])
    method = SelectField("采购方式", choices=[SelectChoice(m, m) for m in PROCUREMENT_METHODS])
    budget = StringField("采购预算（元）", validators=[DataRequired(_REQUIRED), Length(max=30)])
    description = TextAreaField("采购需求概述", validators=[Optional(), Length(max=2000)])


class DocumentsForm(FlaskForm):
    file = FileField("招标文件（PDF，不超过 32 MiB）", validators=[FileRequired("请选择招标文件 (choose the PDF)")])
    seal_page = SelectField("印章位置", choices=SEAL_PAGES, default="0")


class ReviewForm(FlaskForm):
    conclusion = SelectField("审核结论", choices=[SelectChoice(c, c) for c in REVIEW_CONCLUSIONS])
    opinion = TextAreaField("审核意见", validators=[DataRequired("请填写审核意见 (required)"), Length(max=1000)])


def review_item_choices() -> list[tuple[str, list[SelectChoice]]]:
    """The standard review items, each with its conclusion choices (the form fields ``item_<n>``)."""
    return [(item, [SelectChoice(c, c) for c in ITEM_CONCLUSIONS]) for item in REVIEW_ITEMS]


class PublishForm(FlaskForm):
    bid_deadline = StringField("投标截止时间（北京时间）", validators=[DataRequired(_REQUIRED), Length(max=40)])
    opening_at = StringField("开标时间（北京时间，不早于投标截止时间）", validators=[DataRequired(_REQUIRED), Length(max=40)])
    decryption_window_minutes = StringField("解密时限（分钟，10–120）", default="30", validators=[Length(max=5)])


class AmendmentForm(FlaskForm):
    title = StringField("更正公告标题", validators=[DataRequired(_REQUIRED), Length(max=100)])
    summary = TextAreaField("更正内容摘要", validators=[DataRequired(_REQUIRED), Length(max=1000)])
    new_bid_deadline = StringField("新的投标截止时间（不改则留空，只能推迟）", validators=[Optional(), Length(max=40)])
    new_opening_at = StringField("新的开标时间（留空则随截止时间顺延）", validators=[Optional(), Length(max=40)])
    file = FileField("更正公告（PDF）", validators=[FileRequired("请选择更正公告文件 (choose the PDF)")])
    seal_page = SelectField("印章位置", choices=SEAL_PAGES, default="0")


class ActionForm(FlaskForm):
    """A button that changes state (报名): only the CSRF token."""
