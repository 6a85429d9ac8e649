"""The verification page's upload form (with a CSRF token like every form of the platform)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired


class VerifyForm(FlaskForm):
    file = FileField("PDF 文件，或签名文件（CMS / GM/T 0010，DER 或 PEM）",
                     validators=[FileRequired("请选择要验证的文件 (choose a file)")])
    content = FileField("签名的原文文件（仅分离式签名需要）")
