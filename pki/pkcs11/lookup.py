"""Which token a label or ``pkcs11:`` URI names, and the key that identifies a token in the process."""
from __future__ import annotations

from typing import Any

from pki.pkcs11.errors import TokenError, TokenNotFound
from pki.pkcs11.library import Library
from pki.pkcs11.uri import Pkcs11Uri, parse as parse_uri


def token_uri(token: str | Pkcs11Uri) -> Pkcs11Uri:
    """A URI from a token label or a ``pkcs11:`` URI (vendor path attributes are refused)."""
    if isinstance(token, str) and not token.lower().startswith("pkcs11:"):
        return Pkcs11Uri(token=token)
    uri = token if isinstance(token, Pkcs11Uri) else parse_uri(token)
    unknown = [name for name, _, in_query in uri.vendor if not in_query]
    if unknown:
        raise TokenError(f"URI 含本系统不认识的路径属性 (the URI selects by attributes this platform "
                         f"does not know: {', '.join(unknown)})")
    return uri


def token_serial(token: Any) -> str:
    return token.serial.decode("ascii", "replace").strip()


def token_key(lib: Library, token: Any) -> tuple[str, str, str, str]:
    """(module path, manufacturer, model, serial): one token of the process."""
    return (lib.path, token.manufacturer_id.strip(), token.model.strip(), token_serial(token))


def find_token(lib: Library, uri: Pkcs11Uri) -> Any:
    """The one token matching the URI's token attributes (caller holds the lock)."""
    found = []
    for token in lib.lib.get_tokens():
        if ((uri.token is None or token.label.strip() == uri.token)
                and (uri.manufacturer is None or token.manufacturer_id.strip() == uri.manufacturer)
                and (uri.model is None or token.model.strip() == uri.model)
                and (uri.serial is None or token_serial(token) == uri.serial)):
            found.append(token)
    if len(found) != 1:
        what = uri.replace(object=None, id=None, type=None, pin_value=None).format()
        raise TokenNotFound(("找不到令牌" if not found else "匹配到多个令牌")
                            + f" ({'no' if not found else 'several'} token(s) match {what})")
    return found[0]


__all__ = ["token_uri", "token_serial", "token_key", "find_token"]
