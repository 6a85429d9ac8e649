"""Who may open a view: :func:`roles_required`. Which party's data an account may see is a rule of
the domain, decided by the service functions, to which views pass the acting account."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user

from app.extensions import login_manager
from bidding.accounts.models import Role

F = TypeVar("F", bound=Callable[..., Any])


def roles_required(*roles: Role) -> Callable[[F], F]:
    """Allow only logged-in accounts, and of these only ``roles`` when given. Anonymous: 401 JSON
    on the API, a redirect to the log-in page for pages; wrong role: 403."""
    def decorate(view: F) -> F:
        @wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                abort(login_manager.unauthorized())
            if roles and current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)
        return checked  # type: ignore[return-value]
    return decorate


login_required = roles_required()
"""Any logged-in account."""
