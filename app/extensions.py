"""The Flask extensions, created unbound here and bound to an app in :func:`app.create_app`."""
from __future__ import annotations

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
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
login_manager.login_view = "auth.login"
login_manager.login_message = "请先登录 (please log in first)"
login_manager.login_message_category = "info"

limiter = Limiter(get_remote_address)
"""Rate limits by client address (behind ``EBID_PROXY_HOPS`` proxies, the forwarded one). Storage:
``RATELIMIT_STORAGE_URI`` (``memory://`` counts per process; a scaled set-up with several workers or
hosts needs a shared store such as ``redis://``). The log-in limit is ``LOGIN_RATE_LIMIT``."""
