# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The exceptions that carry a message for the operator (as opposed to bugs)."""

from __future__ import annotations

from ansible_collections.carbon.keystores.plugins.module_utils.certificates import CertificateError
from ansible_collections.carbon.keystores.plugins.module_utils.model import KeystoreError
from ansible_collections.carbon.keystores.plugins.module_utils.toml_edit import TomlEditError

USER_ERRORS = (KeystoreError, CertificateError, TomlEditError)
