"""The forms of the auth pages (all with a CSRF token)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

_REQUIRED = "必填 (required)"


class LoginForm(FlaskForm):
    username = StringField("用户名", validators=[DataRequired(_REQUIRED), Length(max=64)])
    password = PasswordField("口令", validators=[DataRequired(_REQUIRED), Length(max=1024)])
    next = HiddenField()


class ChangePasswordForm(FlaskForm):
    old_password = PasswordField("当前口令", validators=[DataRequired(_REQUIRED), Length(max=1024)])
    new_password = PasswordField("新口令（至少 10 个字符）", validators=[DataRequired(_REQUIRED), Length(max=1024)])
    confirm = PasswordField("再次输入新口令", validators=[
        DataRequired(_REQUIRED), EqualTo("new_password", "两次输入的新口令不一致 (the new passwords differ)")])


class LogoutForm(FlaskForm):
    """No fields: the CSRF token is the point."""
