# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""WSO2's secure vault as its cipher tool (``ciphertool.sh -Dconfigure``) leaves it, without a JVM.

- ``[secrets]`` of deployment.toml / ei.toml holds ``alias = "<Base64 of the ciphertext>"``: each value
  encrypted with the public key of the internal keystore's certificate, with ``RSA/ECB/PKCS1Padding`` (what
  the JDK's ``Cipher.getInstance("RSA")`` is) unless a transformation is named. A value written by hand as
  ``"[plaintext]"`` is what the tool encrypts.
- Configuration values refer to a secret as ``$secret{alias}``.
- ``<conf>/security/secret-conf.properties`` tells the runtime where the ciphertexts are, which keystore
  decrypts them, and the transformation when it is not the default.

RSA encryption is randomised, so a value is never compared by its bytes: it is decrypted with the internal
private key and kept byte for byte when it already holds the wanted plaintext."""

from __future__ import annotations

import base64
import binascii
import posixpath
import re

from ansible_collections.carbon.keystores.plugins.module_utils.errors import CertificateError, RequestError
from ansible_collections.carbon.keystores.plugins.module_utils.keystore.codec import load_keystore, open_private_key
from ansible_collections.carbon.keystores.plugins.module_utils.keystore.model import PRIVATE_KEY
from ansible_collections.carbon.keystores.plugins.module_utils.x509 import certificates, cipher

SECRETS_TABLE = 'secrets'
ALIAS_PATTERN = re.compile(r'^[A-Za-z0-9_-]+$')
REFERENCE_PATTERN = re.compile(r'^\$secret\{([^{}]+)\}$')
# secret-conf.properties: the keys the cipher tool writes, in the order this module writes them.
PROPERTIES_FILE = 'secret-conf.properties'
CIPHER_TEXT_FILE = 'cipher-text.properties'
# in the home, the internal keystore's password for the server to read at start (<role>_keystore_password_file);
# the server deletes password-tmp once it has read it
PASSWORD_FILES = ('password-persist', 'password-tmp')
PASSWORD_TMP = 'password-tmp'
ALGORITHM_PROPERTY = 'secretRepositories.file.algorithm'
CALLBACK_HANDLER = 'org.wso2.carbon.securevault.DefaultSecretCallbackHandler'
PROPERTIES_HEADER = ('# WSO2 secure vault: written by carbon.keystores.secure_vault, as ciphertool.sh -Dconfigure '
                     'writes it.\n')
CIPHER_TEXT_HEADER = ('# WSO2 secure vault: the encrypted values by alias, written by carbon.keystores.secure_vault from '
                      'the [secrets] table\n# (this product\'s config tool does not render this file).\n')


def config_folder(home, config_path):
    """The configuration file's folder, relative to the home (repository/conf, or conf on Micro Integrator): the
    cipher tool's files sit in its security folder."""
    return posixpath.dirname(config_path[len(home.rstrip('/')) + 1:])


def properties_path(home, config_path):
    """Where secret-conf.properties is, for the configuration file at ``config_path``."""
    return '%s/%s/security/%s' % (home.rstrip('/'), config_folder(home, config_path), PROPERTIES_FILE)


def cipher_text_path(home, config_path):
    """Where cipher-text.properties is (secret-conf.properties names it), for the configuration at ``config_path``."""
    return '%s/%s/security/%s' % (home.rstrip('/'), config_folder(home, config_path), CIPHER_TEXT_FILE)


def transformation_of(properties_bytes):
    """The transformation secret-conf.properties names (the cipher tool's default when it names none)."""
    if properties_bytes is None:
        return cipher.PKCS1
    named = parse_properties(properties_bytes.decode('utf-8', 'replace')).get(ALGORITHM_PROPERTY)
    return named if named in cipher.TRANSFORMATIONS else cipher.PKCS1


def reference(alias):
    """How a configuration value names the secret ``alias``."""
    return '$secret{%s}' % alias


def referenced_alias(value):
    """The alias a ``$secret{alias}`` value names, else None."""
    match = REFERENCE_PATTERN.match(value) if isinstance(value, str) else None
    return match.group(1) if match else None


def hand_written_plaintext(value):
    """The plaintext of a value written by hand as "[plaintext]" (what the cipher tool encrypts), else None."""
    if not isinstance(value, str) or '[' not in value or ']' not in value:
        return None
    inner = value[value.index('[') + 1:value.rindex(']')]
    return inner or None


def check_alias(alias):
    if not ALIAS_PATTERN.match(str(alias)):
        raise RequestError('secrets: %r is not a usable alias; use letters, digits, "_" and "-" (a "." would make a '
                           'nested TOML table).' % (alias,))


# --- the internal key ----------------------------------------------------------------

class InternalKey:
    """The internal keystore's key pair, as the cipher tool and the runtime use it."""

    def __init__(self, keystore_bytes, path, alias, password, key_password=None):
        store = load_keystore(keystore_bytes, password, path, key_passwords=[key_password or password])
        entry = store.get(str(alias or '').lower())
        if entry is None or entry.kind != PRIVATE_KEY:
            raise RequestError('The internal keystore %s has no private key entry %r, which the secure vault '
                               'encrypts with.' % (path, alias))
        open_private_key(entry, key_password or password, path)
        try:
            self.cipher = cipher.RsaCipher(entry.certificate, entry.pkcs8, '%s (%r)' % (path, alias))
        except CertificateError as exc:
            raise RequestError('%s WSO2\'s secure vault encrypts with the internal key, which must be RSA.' % exc)
        self.fingerprint = certificates.fingerprint(entry.certificate)
        self.store_type = store.store_type
        self.path = path
        self.alias = entry.alias

    def encrypt(self, plaintext, transformation):
        """Base64 of ``plaintext`` (UTF-8) encrypted with the certificate's public key, as the cipher tool does."""
        return base64.b64encode(self.cipher.encrypt(plaintext.encode('utf-8'), transformation)).decode('ascii')

    def decrypt(self, value, transformation):
        """The plaintext of a ``[secrets]`` value, or None when it does not decrypt with this key and
        transformation (another key, another transformation, not Base64)."""
        try:
            plain = self.cipher.decrypt(base64.b64decode(value.strip(), validate=True), transformation)
        except (binascii.Error, ValueError):
            return None
        try:
            return plain.decode('utf-8') if plain is not None else None
        except UnicodeDecodeError:
            return None

    def plaintext_of(self, value, transformation):
        """(plaintext, transformation it decrypted with) trying ``transformation`` first, then the other one;
        (None, None) when neither works."""
        for candidate in (transformation,) + tuple(t for t in cipher.TRANSFORMATIONS if t != transformation):
            plain = self.decrypt(value, candidate)
            if plain is not None:
                return plain, candidate
        return None, None


# --- [secrets] ---------------------------------------------------------------------------

def as_the_server_reads(alias, value, key, transformation):
    """(value, change or None) of a value nobody asked to change, as the server can decrypt it: a "[plaintext]"
    written by hand encrypted, as the cipher tool does, and one encrypted with the other transformation encrypted
    again (the server decrypts every value with the one transformation secret-conf.properties names); any other
    value as it is."""
    plain = hand_written_plaintext(value)
    if plain is not None:
        return key.encrypt(plain, transformation), 'encrypted %s, written by hand as plaintext' % alias
    found, used = key.plaintext_of(str(value), transformation)
    if found is not None and used != transformation:
        return key.encrypt(found, transformation), 're-encrypted %s with %s (it was encrypted with %s)' % (
            alias, transformation, used)
    return value, None


def plan_secrets(current, wanted, state, key, transformation, force, config_name):
    """What ``[secrets]`` must become. ``current``: {alias: value as the file holds it}; ``wanted``: {alias:
    plaintext} (with ``state=absent`` only the aliases count). Returns ({alias: value to write}, [aliases to
    remove], [changes]). A value kept is never re-encrypted; a "[plaintext]" value written by hand is
    encrypted, as the cipher tool does, whether or not it is wanted here, and so is any value of this key
    encrypted with another transformation than the one the server will use."""
    settings, removals, changes = {}, [], []
    for alias in wanted:
        check_alias(alias)
    for alias, value in sorted(current.items()):
        if alias in wanted:
            continue
        readable, change = as_the_server_reads(alias, value, key, transformation)
        if change:
            settings[alias] = readable
            changes.append(change)
    for alias, plain in wanted.items():
        existing = current.get(alias)
        if state == 'absent':
            if alias in current:
                removals.append(alias)
                changes.append('removed %s' % alias)
            continue
        if not isinstance(plain, str) or not plain:
            raise RequestError('secrets.%s must be a non-empty string.' % alias)
        if existing is None:
            settings[alias] = key.encrypt(plain, transformation)
            changes.append('added %s' % alias)
            continue
        if hand_written_plaintext(existing) is not None:
            settings[alias] = key.encrypt(plain, transformation)
            changes.append('encrypted %s, written by hand as plaintext' % alias)
            continue
        found, used = key.plaintext_of(str(existing), transformation)
        if found == plain and used == transformation:
            continue
        if found == plain:
            changes.append('re-encrypted %s with %s (it was encrypted with %s)' % (alias, transformation, used))
        elif found is not None:
            changes.append('changed %s' % alias)
        elif force:
            changes.append('encrypted %s anew: its value did not decrypt with the internal key' % alias)
        else:
            raise RequestError(
                '[secrets] %s in %s does not decrypt with the internal key %r of %s (SHA-256 %s): it was encrypted '
                'with another key, or is not a cipher tool value. Nothing was changed. Set force to true to encrypt '
                'the given value anew with this key.' % (alias, config_name, key.alias, key.path, key.fingerprint))
        settings[alias] = key.encrypt(plain, transformation)
    return settings, removals, changes


def resolve(value, secrets_table, key, transformation):
    """A ``$secret{alias}`` value decrypted (None when the alias is missing or does not decrypt); any other
    value as it is."""
    alias = referenced_alias(value)
    if alias is None:
        return value
    stored = (secrets_table or {}).get(alias)
    if not isinstance(stored, str):
        return None
    plain = hand_written_plaintext(stored)
    if plain is not None:
        return plain
    return key.plaintext_of(stored, transformation)[0]


def mask_secrets_table(text):
    """``text`` with every value of ``[secrets]`` masked (a diff shows which aliases change, never a value: a
    value written by hand in brackets is plaintext)."""
    masked, inside = [], False
    for line in text.splitlines(True):
        stripped = line.strip()
        if stripped.startswith('['):
            inside = stripped.split('#', 1)[0].strip() == '[%s]' % SECRETS_TABLE
        elif inside and '=' in line and not stripped.startswith('#'):
            name, _value = line.split('=', 1)
            line = '%s= "********"%s' % (name, '\n' if line.endswith('\n') else '')
        masked.append(line)
    return ''.join(masked)


def mask_properties(content):
    """The text of a properties file (``content``: base64) with every value masked, for a diff that shows which
    aliases of cipher-text.properties change, never a value (one written by hand in brackets is plaintext)."""
    text = base64.b64decode(content or '').decode('utf-8', 'replace')
    return ''.join('%s=********\n' % _escape(alias, True) for alias in parse_properties(text))


# --- secret-conf.properties ---------------------------------------------------------------

def secret_conf(keystore_path, store_type, alias, cipher_text_location, transformation):
    """{key: value} the cipher tool writes into secret-conf.properties for this internal keystore."""
    wanted = {
        'secVault.enabled': 'true',
        'secretRepositories': 'file',
        'secretRepositories.file.provider': 'org.wso2.securevault.secret.repository.FileBaseSecretRepositoryProvider',
        'secretRepositories.file.location': cipher_text_location,
        'keystore.identity.location': keystore_path,
        'keystore.identity.type': store_type.upper(),
        'keystore.identity.alias': alias,
        'keystore.identity.store.password': 'identity.store.password',
        'keystore.identity.store.secretProvider': CALLBACK_HANDLER,
        'keystore.identity.key.password': 'identity.key.password',
        'keystore.identity.key.secretProvider': CALLBACK_HANDLER,
        'carbon.secretProvider': 'org.wso2.securevault.secret.handler.SecretManagerSecretCallbackHandler',
    }
    if transformation != cipher.PKCS1:
        wanted[ALGORITHM_PROPERTY] = transformation
    return wanted


def parse_properties(text):
    """{key: value} of a Java properties file (comments, ``=`` or ``:`` separators, backslash escapes and
    continuation lines, as java.util.Properties reads them)."""
    found = {}
    logical = ''
    for raw in text.splitlines():
        line = raw.lstrip()
        if not logical and (not line or line[0] in '#!'):
            continue
        trailing = len(line) - len(line.rstrip('\\'))
        if trailing % 2:
            logical += line[:-1]
            continue
        logical += line
        key, value = _split_property(logical)
        found[_unescape(key)] = _unescape(value)
        logical = ''
    if logical:
        key, value = _split_property(logical)
        found[_unescape(key)] = _unescape(value)
    return found


def _split_property(line):
    # the key ends at the first unescaped '=', ':' or blank; one '=' or ':' after blanks separates too
    index = 0
    while index < len(line) and line[index] not in '=: \t':
        index += 2 if line[index] == '\\' else 1
    rest = line[index:].lstrip(' \t')
    if rest[:1] in ('=', ':'):
        rest = rest[1:].lstrip(' \t')
    return line[:index], rest


def _unescape(text):
    out, index = [], 0
    simple = {'t': '\t', 'n': '\n', 'r': '\r', 'f': '\f'}
    while index < len(text):
        char = text[index]
        if char == '\\' and index + 1 < len(text):
            following = text[index + 1]
            if following == 'u' and index + 6 <= len(text):
                out.append(chr(int(text[index + 2:index + 6], 16)))
                index += 6
                continue
            out.append(simple.get(following, following))
            index += 2
            continue
        out.append(char)
        index += 1
    return ''.join(out)


def _escape(text, is_key):
    out = []
    for index, char in enumerate(text):
        if char in '\\=:#!' or (char == ' ' and (is_key or index == 0)):
            out.append('\\' + char)
        elif char in '\t\n\r\f':
            out.append({'\t': '\\t', '\n': '\\n', '\r': '\\r', '\f': '\\f'}[char])
        elif ord(char) > 126 or ord(char) < 32:
            out.append('\\u%04x' % ord(char))
        else:
            out.append(char)
    return ''.join(out)


def plan_properties(current_text, wanted):
    """(new text or None when the file already says all of ``wanted``, [changes]). Keys of the file that
    ``wanted`` does not name are kept; so is the file, byte for byte, when nothing it says must change."""
    current = parse_properties(current_text) if current_text is not None else {}
    differing = sorted(key for key, value in wanted.items() if current.get(key) != value)
    stale_algorithm = ALGORITHM_PROPERTY in current and ALGORITHM_PROPERTY not in wanted
    if not differing and not stale_algorithm:
        return None, []
    merged = {key: value for key, value in current.items() if key not in wanted and key != ALGORITHM_PROPERTY}
    merged.update(wanted)
    ordered = list(wanted) + sorted(key for key in merged if key not in wanted)
    text = PROPERTIES_HEADER + ''.join('%s=%s\n' % (_escape(key, True), _escape(merged[key], False))
                                       for key in ordered)
    changes = ['created the secure vault configuration'] if current_text is None else [
        'set %s' % ', '.join(differing + ([ALGORITHM_PROPERTY + ' (removed)'] if stale_algorithm else []))]
    return text, changes


# --- cipher-text.properties ---------------------------------------------------------------

def plan_cipher_text(current_text, secrets, removed, key, transformation):
    """(new text or None when the file already holds every value, [changes]) of cipher-text.properties for a product
    whose config tool does not render it from ``[secrets]`` (Enterprise Integrator 7): the runtime decrypts every
    value of this file at start. ``secrets``: the [secrets] table as it will be; ``removed``: aliases taken out of it.
    Other aliases (a mediation's vault-lookup) are kept; a hand-written "[plaintext]" among them is encrypted, as
    the cipher tool encrypts this file, since the runtime would fail to decrypt it at start."""
    current = parse_properties(current_text) if current_text is not None else {}
    wanted, changes = {}, []
    for alias, value in current.items():
        if alias in secrets or alias in removed:
            continue
        wanted[alias], change = as_the_server_reads(alias, value, key, transformation)
        changes.extend([change] if change else [])
    wanted.update((alias, str(value)) for alias, value in secrets.items())
    if current_text is not None and current == wanted:
        return None, []
    set_aliases = sorted(alias for alias in secrets if current.get(alias) != str(secrets[alias]))
    changes.extend(['set %s' % ', '.join(set_aliases)] if set_aliases else [])
    changes.extend(['removed %s' % ', '.join(sorted(set(removed) & set(current)))] if set(removed) & set(current) else [])
    ordered = sorted(secrets) + sorted(alias for alias in wanted if alias not in secrets)
    return CIPHER_TEXT_HEADER + ''.join('%s=%s\n' % (_escape(alias, True), _escape(wanted[alias], False))
                                        for alias in ordered), changes or ['wrote the values of [secrets]']
