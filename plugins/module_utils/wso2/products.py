# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""WSO2 products as data: where each keeps its configuration and keystores, the defaults and
$ref{} fallbacks its config tool applies, and the rules its documentation sets."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from ansible_collections.carbon.keystores.plugins.module_utils.errors import RequestError
from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import purposes as registry

# Where every product profile keeps its stores today (Profile.security_dir); code with a node's read asks it
# (NodeRead.security_dir), never this constant.
SECURITY_DIR = 'repository/resources/security'
DEFAULT_PASSWORD = 'wso2carbon'
DEFAULT_ALIAS = 'wso2carbon'
# Passwords every copy of a pack ships and WSO2's documentation prints: no secret, and also the pack's keystore file
# and alias name, so that masking them would only garble names (********.jks).
PUBLIC_PASSWORDS = (DEFAULT_PASSWORD,)
# The pack's own keystore files (Identity Server 7.1 and later ship the .p12 one).
PACK_KEYSTORE_NAMES = ('wso2carbon.jks', 'wso2carbon.p12')
# What playbooks/rotate.yml decided (the new keystore's file and key), written on every node before any switches, so
# that a run stopped at any point is finished by the next one.
ROTATION_MARKER = 'carbon-keystores-rotation.json'
# Names a keystore file of the security folder ends with (what product_info reads in one go).
KEYSTORE_SUFFIXES = ('.jks', '.p12', '.pfx', '.pkcs12', '.jceks', '.bks', '.keystore')


def _keystore_defaults(table, file_name, store_type):
    return {'%s.file_name' % table: file_name, '%s.type' % table: store_type,
            '%s.password' % table: DEFAULT_PASSWORD, '%s.alias' % table: DEFAULT_ALIAS,
            '%s.key_password' % table: DEFAULT_PASSWORD}


def _refs(table, source):
    """Every keystore key of ``table`` falls back to the same key of ``source``."""
    return {'%s.%s' % (table, key): '$ref{%s.%s}' % (source, key) for key in registry.KEYSTORE_KEYS}


def _truststore_defaults(file_name, store_type, extra=None):
    defaults = {'truststore.file_name': file_name, 'truststore.type': store_type, 'truststore.password': DEFAULT_PASSWORD}
    defaults.update(extra or {})
    return defaults


@dataclass(frozen=True, kw_only=True, eq=False)  # one object per profile: compared by identity
class Profile:
    """One product in the versions it covers: the releases whose configuration this profile models (a version matches
    by its release, so that an update level such as 7.0.0.65 is 7.0.0)."""

    product: str                          # the role's name: identity_server, ...
    label: str                            # in sentences: "Identity Server up to 7.0"
    config_candidates: tuple              # configuration files under the home, the first that exists wins
    defaults: dict                        # what WSO2's config tool fills in ({dotted key: value}, $ref{} kept)
    file_name_style: str                  # 'bare' (inside the security folder) or 'home_relative'
    security_dir: str                     # the security folder, relative to the home
    versions: tuple                       # the releases it covers, oldest first
    every_key_password_equal: bool = False  # every keystore's key_password must equal its password (else the TLS one)
    keystore_anywhere_in_home: bool = False  # a store may sit outside the security folder, inside the home
    tls_connector: dict = field(default_factory=dict)  # the TLS connector's own keys, defaulting to the tables'
    # settings the product's templates hard-code, whatever the file says (Micro Integrator 1.2's <InternalKeyStore>)
    fixed: dict = field(default_factory=dict)
    # (file under the home, dotted key, value): the config tool's default.json value that tells this profile's homes
    # from those of the product's other profiles
    marker: tuple = ()
    # whether the config tool renders cipher-text.properties from [secrets] at start; where it does not (Enterprise
    # Integrator 7), the secure vault's writer writes that file itself
    renders_cipher_text: bool = True

    def __post_init__(self):
        # a purpose the registry says falls back to another's table takes its keys from there, as default.json does
        for name in self.purposes:
            purpose = registry.get(name)
            if purpose.falls_back_to and purpose.setting('file_name') not in self.defaults:
                self.defaults.update(_refs(purpose.table, registry.get(purpose.falls_back_to).table))

    @property
    def purposes(self):
        """The purposes (wso2/purposes.py) whose tables the product reads."""
        return registry.read_by(self.product)

    def reads(self, purpose, version=None):
        """Whether the product reads the table of ``purpose`` (in ``version``, when given: a table may be newer than
        the first version a profile covers)."""
        first = registry.first_version(purpose, self.product)
        return purpose in self.purposes and not (version and first and release(version) < release(first))

    @property
    def server_purpose(self):
        """The purpose whose key the server presents on TLS."""
        return registry.SERVER

    @property
    def key_password_equal(self):
        """The purposes whose key_password must equal their password: the TLS keystore's (a Tomcat limitation), and
        on API Manager every keystore's."""
        return registry.KEY_PAIR_PURPOSES if self.every_key_password_equal else (registry.SERVER,)

    @property
    def default_store_type(self):
        """The type of the product's own keystores (JKS, or PKCS12 from Identity Server 7.1 on): what a new
        keystore for this profile is when nobody says otherwise."""
        table = registry.get(self.server_purpose).table
        return str(resolve(self.defaults.get('%s.type' % table), self.defaults) or 'JKS').upper()

    @property
    def default_store_names(self):
        """The file names of the stores the product uses when its configuration names none (wso2carbon.jks,
        client-truststore.jks, ...)."""
        return sorted({str(value).rsplit('/', 1)[-1] for key, value in self.defaults.items()
                       if key.endswith('.file_name') and not str(value).startswith('$ref{')})

    def reads_separately(self, purpose, version=None):
        """Whether the product reads the cluster keystore of ``purpose`` from a table of its own, apart from the one
        it follows: it has both tables (Enterprise Integrator 7 keeps the server's key pair in [keystore.tls] alone,
        with no [keystore.primary] to sign with another)."""
        followed = registry.cluster_keystore(purpose).follows
        return self.reads(purpose, version) and (not followed or followed in self.purposes)

    def matches(self, version):
        return release(version) in {release(known) for known in self.versions}

    def hard_codes(self, purpose):
        """Whether the product uses fixed settings for ``purpose``, whatever its table says (its table is not read)."""
        return any(registry.of_setting(key) is registry.get(purpose) for key in self.fixed)

    def marks(self, read):
        """Whether the home whose files ``read(relative path)`` returns (bytes or None) carries this profile's
        marker."""
        if not self.marker:
            return False
        relative, key, value = self.marker
        try:
            defaults = json.loads(read(relative) or b'{}')
        except ValueError:
            return False
        return isinstance(defaults, dict) and defaults.get(key) == value


def release(version):
    """The release a version belongs to: its first two numbers (WSO2 releases x.y.0; 7.0, 7.0.0 and the update level
    7.0.0.65 are all 7.0); () for a string that does not start with a number."""
    if not re.match(r'^\s*v?\d', str(version)):
        return ()
    numbers = [int(part) for part in re.findall(r'\d+', str(version))[:2]]
    return tuple(numbers + [0] * (2 - len(numbers)))


# Identity Server: the TLS connector reads these properties, which default to the TLS keystore and truststore.
_IS_TLS_CONNECTOR = {
    'transport.https.sslHostConfig.certificate.properties.certificateKeystoreFile':
        '${carbon.home}/repository/resources/security/$ref{keystore.tls.file_name}',
    'transport.https.sslHostConfig.certificate.properties.certificateKeystorePassword': '$ref{keystore.tls.password}',
    'transport.https.sslHostConfig.certificate.properties.certificateKeystoreType': '$ref{keystore.tls.type}',
    'transport.https.sslHostConfig.certificate.properties.certificateKeyAlias': '$ref{keystore.tls.alias}',
    'transport.https.sslHostConfig.certificate.properties.certificateKeyPassword': '$ref{keystore.tls.key_password}',
    'transport.https.sslHostConfig.properties.truststoreFile':
        '${carbon.home}/repository/resources/security/$ref{truststore.file_name}',
    'transport.https.sslHostConfig.properties.truststorePassword': '$ref{truststore.password}',
    'transport.https.sslHostConfig.properties.truststoreType': '$ref{truststore.type}',
}


def _identity_server(label, store_type, extension, versions):
    defaults = {}
    defaults.update(_keystore_defaults('keystore.primary', 'wso2carbon.' + extension, store_type))
    defaults.update(_refs('keystore.internal', 'keystore.primary'))
    defaults.update(_refs('keystore.tls', 'keystore.primary'))
    defaults.update(_truststore_defaults('client-truststore.' + extension, store_type))
    defaults['keystore.tenant.type'] = store_type
    defaults.update(_IS_TLS_CONNECTOR)
    return Profile(product='identity_server', label=label, config_candidates=('repository/conf/deployment.toml',),
                   defaults=defaults, file_name_style='bare', security_dir=SECURITY_DIR, versions=tuple(versions),
                   tls_connector=_IS_TLS_CONNECTOR)


def _api_manager():
    defaults = {}
    defaults.update(_keystore_defaults('keystore.primary', 'wso2carbon.jks', 'JKS'))
    defaults.update(_refs('keystore.internal', 'keystore.primary'))
    defaults.update(_refs('keystore.tls', 'keystore.primary'))
    defaults.update(_truststore_defaults('client-truststore.jks', 'JKS'))
    return Profile(product='api_manager', label='API Manager', config_candidates=('repository/conf/deployment.toml',),
                   defaults=defaults, every_key_password_equal=True, file_name_style='bare', security_dir=SECURITY_DIR,
                   versions=('3.0.0', '3.1.0', '3.2.0', '4.0.0', '4.1.0', '4.2.0', '4.3.0', '4.4.0', '4.5.0', '4.6.0',
                             '4.7.0'))


# Where Micro Integrator's config tool keeps WSO2's default.json in a home (its bin.xml places it there).
MI_DEFAULTS_FILE = 'repository/resources/conf/default.json'


def _micro_integrator_1_2():
    # From 1.2.0's default.json and carbon.xml.j2: [keystore.primary] and [truststore] file names are read after the
    # security folder; there is no [keystore.internal] or [keystore.tls]: <InternalKeyStore> is the pack's
    # wso2carbon.jks with its password, and the HTTPS listener and sender take [keystore.primary].
    defaults = {}
    defaults.update(_keystore_defaults('keystore.primary', 'wso2carbon.jks', 'JKS'))
    defaults.update(_truststore_defaults('client-truststore.jks', 'JKS'))
    fixed = _keystore_defaults('keystore.internal', 'wso2carbon.jks', 'JKS')
    fixed.update(_refs('keystore.tls', 'keystore.primary'))
    return Profile(product='micro_integrator', label='Micro Integrator 1.2', config_candidates=('conf/deployment.toml',),
                   defaults=defaults, fixed=fixed, file_name_style='bare', security_dir=SECURITY_DIR,
                   versions=('1.2.0',), marker=(MI_DEFAULTS_FILE, 'keystore.primary.file_name', 'wso2carbon.jks'))


def _micro_integrator():
    # From the product's config-tool default.json: file names relative to the home.
    defaults = {}
    defaults.update(_keystore_defaults('keystore.primary', 'repository/resources/security/wso2carbon.jks', 'JKS'))
    defaults.update(_refs('keystore.internal', 'keystore.primary'))
    defaults.update(_truststore_defaults('repository/resources/security/client-truststore.jks', 'JKS',
                                         {'truststore.alias': 'symmetric.key.value', 'truststore.algorithm': 'AES'}))
    # no template of 4.x reads [keystore.tls]: the HTTPS listener and sender take $ref{keystore.primary.*}
    return Profile(product='micro_integrator', label='Micro Integrator 4', config_candidates=('conf/deployment.toml',),
                   defaults=defaults, fixed=_refs('keystore.tls', 'keystore.primary'), file_name_style='home_relative',
                   security_dir=SECURITY_DIR,
                   versions=('4.0.0', '4.1.0', '4.2.0', '4.3.0', '4.4.0'), keystore_anywhere_in_home=True)


def _enterprise_integrator():
    # From the config tool of wso2/product-ei's TOML configuration: its templates render no cipher-text.properties, so
    # the [secrets] the cipher tool writes reach the server only through a file written beside secret-conf.properties.
    # Its runtime, Micro Integrator 1.0 (wso2/micro-integrator v1.0.0), ships a carbon.xml no template renders, whose
    # <InternalKeyStore> is the pack's wso2carbon.jks with the password wso2carbon (1.1.0's carbon.xml.j2 too).
    defaults = {}
    defaults.update(_keystore_defaults('keystore.tls', 'wso2carbon.jks', 'JKS'))
    defaults.update(_refs('keystore.primary', 'keystore.tls'))
    defaults.update(_refs('keystore.internal', 'keystore.tls'))
    fixed = _keystore_defaults('keystore.internal', 'wso2carbon.jks', 'JKS')
    defaults.update(_truststore_defaults('client-truststore.jks', 'JKS',
                                         {'truststore.alias': 'symmetric.key.value', 'truststore.algorithm': 'AES'}))
    return Profile(product='enterprise_integrator', label='Enterprise Integrator 7',
                   config_candidates=('conf/ei.toml', 'conf/deployment.toml'), defaults=defaults,
                   fixed=fixed, file_name_style='bare', security_dir=SECURITY_DIR, versions=('7.0.0', '7.1.0'),
                   renders_cipher_text=False)


PROFILES = {
    'identity_server': [
        _identity_server('Identity Server up to 7.0', 'JKS', 'jks',
                         ('5.9.0', '5.10.0', '5.11.0', '6.0.0', '6.1.0', '7.0.0')),
        _identity_server('Identity Server 7.1 and later', 'PKCS12', 'p12', ('7.1.0', '7.2.0', '7.3.0')),
    ],
    'api_manager': [_api_manager()],
    'micro_integrator': [_micro_integrator_1_2(), _micro_integrator()],
    'enterprise_integrator': [_enterprise_integrator()],
}
PRODUCTS = tuple(PROFILES)
PRODUCT_LABELS = {'identity_server': 'Identity Server', 'api_manager': 'API Manager',
                  'micro_integrator': 'Micro Integrator', 'enterprise_integrator': 'Enterprise Integrator'}


def supported_versions(product):
    """Every version of ``product`` a profile covers, oldest first."""
    return [version for profile in PROFILES[product] for version in profile.versions]


def knows(product, version):
    """Whether a profile of ``product`` covers ``version``."""
    return any(profile.matches(version) for profile in PROFILES[product])


def unknown_version(product, version):
    """The sentence for a version no profile covers."""
    return ('%s is not a version of %s that this collection knows; it knows %s (an update level such as %s.1 counts as '
            'its release), or leave the version out to let the product home decide.'
            % (version, PRODUCT_LABELS[product], ', '.join(supported_versions(product)), supported_versions(product)[-1]))


def profile_for(product, version=None):
    """The profile of ``product`` in ``version``; without a version, the newest (product_info then lets the home
    decide: profile_for_home)."""
    if product not in PROFILES:
        raise RequestError('product must be one of %s, not %r.' % (', '.join(PRODUCTS), product))
    if version is None:
        return PROFILES[product][-1]
    for profile in PROFILES[product]:
        if profile.matches(version):
            return profile
    raise RequestError('version %s' % unknown_version(product, version))


def store_names(product, version=None):
    """The file names of the default stores a home of ``product`` may hold: its release's, or with no version given
    those of every release, since the home tells its release only once it is read (one read then holds the contents of
    either, and no second run is needed for the stores the release turns out to use)."""
    profiles = [profile_for(product, version)] if version else PROFILES.get(product) or [profile_for(product)]
    return sorted({name for profile in profiles for name in profile.default_store_names})


def profile_named(product, label):
    """The profile of ``product`` that product_info reported as ``label`` (its result's ``profile``); the newest when
    none is called so."""
    return next((profile for profile in PROFILES.get(product) or [] if profile.label == label), None) or \
        profile_for(product)


def marker_files(product):
    """The files under a home of ``product`` that profile_for_home reads to tell its profiles apart."""
    return sorted({profile.marker[0] for profile in PROFILES.get(product) or [] if profile.marker})


def default_store_type(product, version=None):
    return profile_for(product, version or None).default_store_type


def profile_for_home(product, config_data, exists, read=None):
    """The profile for a home whose version is not given: where a product changed its defaults between
    versions, the home tells which side it is on: by the marker a profile has in its config tool's files
    (Micro Integrator 1.2; ``read(path under the home)``: its bytes or None), else (Identity Server 7.1 moved to
    PKCS12) by the primary keystore its configuration names, else by the default keystore file it holds
    (``exists(folder, name)``: whether the home's folder ``folder`` holds a file ``name``)."""
    candidates = PROFILES.get(product) or []
    marked = next((profile for profile in candidates if read is not None and profile.marks(read)), None)
    if marked is not None:
        return marked
    candidates = [profile for profile in candidates if not profile.marker]
    if len(candidates) < 2:
        return candidates[-1] if candidates else profile_for(product)
    configured = str(flatten(config_data).get('keystore.primary.file_name') or '')
    for profile in candidates:
        default_name = profile.defaults.get('keystore.primary.file_name', '')
        extension = default_name.rsplit('.', 1)[-1]
        if configured and configured.lower().endswith('.' + extension):
            return profile
    for profile in reversed(candidates):
        if exists(profile.security_dir, profile.defaults.get('keystore.primary.file_name', '')):
            return profile
    return profile_for(product)


# --- resolving WSO2's placeholders ------------------------------------------------

_REF = re.compile(r'\$ref\{([^}]+)\}')
UNKNOWN_PLACEHOLDER = re.compile(r'\$(secret|env|sys)\{([^}]*)\}')


def flatten(data, prefix=''):
    """{'keystore': {'internal': {'alias': 'x'}}} -> {'keystore.internal.alias': 'x'} (arrays of tables are skipped)."""
    flat = {}
    for key, value in data.items():
        name = '%s.%s' % (prefix, key) if prefix else key
        if isinstance(value, dict):
            flat.update(flatten(value, name))
        else:
            flat[name] = value
    return flat


def file_settings(config_data):
    """The file's own settings, flat ({'keystore.tls.alias': 'x'}), with the store keys of a purpose kept in an
    element of an array of tables (wso2/purposes.py stored_in) under its own table, as if written there:
    [keystore.mapping.oauth] keystore_file_name = "oauth.p12" and the [[keystore.custom]] element whose file_name
    is oauth.p12 read as keystore.mapping.oauth.file_name, .password, ..."""
    flat = flatten(config_data)
    for purpose in registry.REGISTRY:
        mapped = flat.get(purpose.setting(registry.MAPPED_BY)) if purpose.stored_in else None
        if not isinstance(mapped, str):
            continue
        elements = _lookup(config_data, purpose.stored_in)
        element = next((item for item in elements if isinstance(item, dict) and item.get('file_name') == mapped), None)
        flat.update({purpose.setting(key): value for key, value in (element or {'file_name': mapped}).items()
                     if key in purpose.keys})
    return flat


def _lookup(data, dotted):
    for part in dotted.split('.'):
        data = data.get(part) if isinstance(data, dict) else None
    return data if isinstance(data, list) else []


def effective_settings(profile, config_data):
    """Flat settings the product uses: the file's values over the profile's defaults, $ref{} resolved."""
    merged = dict(profile.defaults)
    merged.update(file_settings(config_data))
    merged.update(profile.fixed)
    return {key: resolve(value, merged) for key, value in merged.items()}


def resolve(value, settings, depth=0):
    if not isinstance(value, str) or '$ref{' not in value:
        return value
    if depth > 10:
        return value
    whole = _REF.fullmatch(value)
    if whole:
        return resolve(settings.get(whole.group(1), value), settings, depth + 1)
    return _REF.sub(lambda m: str(resolve(settings.get(m.group(1), m.group(0)), settings, depth + 1)), value)


def unknown_reason(value):
    """Why a value cannot be read back ('$secret{alias}' and friends), or None."""
    if isinstance(value, str):
        match = UNKNOWN_PLACEHOLDER.search(value)
        if match:
            return 'it is a $%s{} placeholder' % match.group(1)
    return None


def keystore_path(profile, home, file_name):
    """Absolute path of a configured file_name. Most products put it after the security folder
    (so '../' climbs out of it); Micro Integrator 4 reads every relative name from the home, a bare one too (it
    opens new File(name) in the home its start script changes to). ${carbon.home} is the home."""
    file_name = str(file_name).replace('${carbon.home}', home)
    if file_name.startswith('/'):
        return _normalise(file_name)
    if profile.file_name_style == 'home_relative':
        return _normalise('%s/%s' % (home.rstrip('/'), file_name))
    return _normalise('%s/%s/%s' % (home.rstrip('/'), profile.security_dir, file_name))


def _normalise(path):
    parts: list[str] = []
    for part in path.split('/'):
        if part in ('', '.'):
            continue
        if part == '..':
            if parts:
                parts.pop()
            continue
        parts.append(part)
    return '/' + '/'.join(parts)


def file_name_for(profile, existing_file_name, new_base_name):
    """The file_name to write for ``new_base_name``: beside the file the table names now, in the form the product
    resolves (on Micro Integrator 4 a bare name, kept from a 1.2-era file, becomes one under the security folder)."""
    if existing_file_name and '/' in str(existing_file_name):
        return '%s/%s' % (str(existing_file_name).rsplit('/', 1)[0], new_base_name)
    return '%s/%s' % (profile.security_dir, new_base_name) if profile.file_name_style == 'home_relative' \
        else new_base_name
