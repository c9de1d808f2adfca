# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One node's read (product_info's result, with return_secrets for the flow), with the lookups the flow makes into
it: a part the read lacks (a purpose the product does not read, a store that did not open) is empty, never None."""

from __future__ import annotations

from typing import Any, Optional

from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import products


class NodeRead:
    """A node's product_info result. ``info`` stays the dictionary product_info returned (the flow passes it on)."""

    def __init__(self, info: Optional[dict]) -> None:
        self.info: dict = info or {}

    @property
    def purposes(self) -> dict:
        """{purpose: description} of every purpose the product reads."""
        return self.info.get('purposes') or {}

    def profile(self, product: str) -> products.Profile:
        """The profile of ``product`` the node's home was read with (its version's, given or told by the home)."""
        return products.profile_named(product, self.info.get('profile'))

    def hard_codes(self, purpose: str) -> bool:
        """Whether the node's release uses fixed settings for ``purpose`` whatever its table says (Micro Integrator's
        [keystore.tls]); False for a read that names no product."""
        product = self.info.get('product')
        return bool(product) and self.profile(str(product)).hard_codes(purpose)

    @property
    def security_dir(self) -> str:
        """The product's security folder, relative to the home (repository/resources/security)."""
        return str(self.info.get('security_dir') or '')

    def described(self, purpose: str) -> dict:
        """How the node's product reads ``purpose``'s store (path, alias, status, fingerprint); {} when it reads none."""
        return self.purposes.get(purpose) or {}

    def store(self, path: Optional[str]) -> dict:
        """The store at ``path`` as product_info opened it (type, status, entries); {} when it was not read."""
        return (self.info.get('keystores') or {}).get(path) or {} if path else {}

    def secret(self, purpose: str, key: str = 'password') -> Optional[Any]:
        """The ``key`` (password or key_password) the node's configuration gives ``purpose``'s store, when read back."""
        return ((self.info.get('secrets') or {}).get(purpose) or {}).get(key)
