# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which of the collection's Python requirements are missing where the work runs."""

from __future__ import annotations

from ansible_collections.carbon.keystores.plugins.module_utils import certificates, keystore_io, toml_edit

KEYSTORES = ('cryptography', 'pyjks')
TOML = ('tomlkit',)


def missing_dependencies(needs=KEYSTORES):
    """None, or one sentence naming the missing packages and how to install them."""
    available = {'cryptography': certificates.HAS_CRYPTOGRAPHY, 'pyjks': keystore_io.HAS_PYJKS,
                 'tomlkit': toml_edit.HAS_TOMLKIT}
    missing = [package for package in needs if not available[package]]
    if not missing:
        return None
    return 'The Python package%s %s %s missing; install %s with pip' % (
        's' if len(missing) > 1 else '', ' and '.join(missing), 'are' if len(missing) > 1 else 'is',
        'them' if len(missing) > 1 else 'it')
