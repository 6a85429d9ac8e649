"""The Flask extensions, created unbound here and bound to an app in :func:`app.create_app`."""
from __future__ import annotations

from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from bidding.schema import Base

db = SQLAlchemy(model_class=Base)
"""``db.session`` is the request's SQLAlchemy session; ``db.metadata is Base.metadata``."""

migrate = Migrate(render_as_batch=True)   # batch mode: SQLite can ALTER through table copies
csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_message = "请先登录 (please log in first)"


@login_manager.user_loader
def _load_user(user_id: str) -> None:
    """Placeholder until the auth blueprint registers the real loader: nobody is logged in."""
    return None
