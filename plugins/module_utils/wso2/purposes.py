# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Keystore purposes as data: one record per table of deployment.toml / ei.toml that names a store.

Every list of purposes elsewhere (what product_info reads and describes, what the audit reports, what the secure
vault protects, what a PKCS12 migration converts) is a question asked of this registry, in its order."""

from __future__ import annotations

from dataclasses import dataclass

KEYSTORE_KEYS = ('file_name', 'type', 'password', 'alias', 'key_password')
MAPPED_BY = 'keystore_file_name'
TRUSTSTORE_KEYS = ('file_name', 'type', 'password')


@dataclass(frozen=True, kw_only=True)
class ClusterKeystore:
    """How the product roles give a purpose one key pair for every node of the cluster."""

    inputs: str               # its role inputs: <role>_<inputs>keystore_file_name, <role>_<inputs>keystore_alias, ...
    material: str             # its PEM inputs: <role>_<material>_certificate, <role>_<material>_private_key, ...
    separate: str = ''        # the role input that gives it a keystore of its own; without it, it ...
    follows: str = ''         # ... names the keystore of this purpose instead
    alias_suffix: str = ''    # its alias, unless given: the followed keystore's alias and this
    # whether its table names the followed keystore while it has none of its own; False: its table is written only
    # when it is given one (or the file has the table already), else the product reads the followed table by $ref{}
    table_when_following: bool = True


@dataclass(frozen=True, kw_only=True)
class Purpose:
    """One keystore purpose, as WSO2's configuration names it."""

    name: str                 # the key of product_info's ``purposes`` and of the role's plans
    table: str                # its table in deployment.toml / ei.toml
    label: str                # how a sentence names its keystore ("The TLS keystore ...")
    keys: tuple               # the keys of its table
    holds_key_pair: bool      # the product reads a private key from it (and its alias and key_password)
    has_file: bool = True     # the table names a store file (the tenant table only sets the tenants' store type)
    secret_alias: str = ''    # encrypt_passwords: the [secrets] alias its password goes under
    migrated: bool = True     # the PKCS12 migration converts its file
    optional_keys: tuple = ()  # keys its table may add, described when set
    serves_tls: bool = False  # the server presents its key on TLS
    encrypts_data: bool = False  # the product encrypts with its key: the certificate needs dataEncipherment
    cluster: ClusterKeystore | None = None  # the roles keep one key pair for the cluster in it
    read_by: tuple = ()       # the products whose configuration has its table; () for every product
    first_versions: tuple = ()  # (product, version): the first version of that product that reads its table
    falls_back_to: str = ''   # without its table, the product reads this purpose's (WSO2's default.json $ref{})
    summary: str = ''         # product_info's documentation of its entry (tools/roles.py writes it there)
    # the array of tables whose element holds its store's keys; its own table then only names that element's
    # file_name by MAPPED_BY ([keystore.mapping.oauth] keystore_file_name -> [[keystore.custom]] file_name)
    stored_in: str = ''

    def setting(self, key):
        """The dotted name of one of its settings: 'keystore.tls.file_name'."""
        return '%s.%s' % (self.table, key)


def _custom_keystore(protocol, label):
    """A custom keystore Identity Server maps to one authentication protocol (WSO2 docs-is, "Configure custom
    keystores for authentication protocols"): [keystore.mapping.<protocol>] names a [[keystore.custom]] element;
    without it the protocol signs with the primary keystore."""
    return Purpose(name=protocol, table='keystore.mapping.' + protocol, label=label, keys=KEYSTORE_KEYS,
                   holds_key_pair=True, secret_alias='keystore_password', falls_back_to='primary',
                   stored_in='keystore.custom', optional_keys=('use_in_all_tenants',),
                   cluster=ClusterKeystore(inputs=protocol + '_', material=protocol,
                                           separate='separate_%s_keystore' % protocol, follows='primary',
                                           alias_suffix='-' + protocol.replace('_', '-'), table_when_following=False),
                   read_by=('identity_server',), first_versions=(('identity_server', '5.11.0'),),
                   summary='The keystore Identity Server signs %s tokens with: the C([[keystore.custom]]) element '
                           'C([keystore.mapping.%s]) names, else the primary keystore; as RV(purposes.primary).'
                           % (label.split(' ')[0], protocol))


REGISTRY = (
    Purpose(name='primary', table='keystore.primary', label='primary', keys=KEYSTORE_KEYS, holds_key_pair=True,
            secret_alias='keystore_password', encrypts_data=True,
            cluster=ClusterKeystore(inputs='primary_', material='primary', separate='separate_primary_keystore',
                                    follows='tls', alias_suffix='-primary'),
            # Enterprise Integrator 7 keeps the server's key pair in [keystore.tls] alone
            read_by=('identity_server', 'api_manager', 'micro_integrator')),
    Purpose(name='internal', table='keystore.internal', label='internal', keys=KEYSTORE_KEYS, holds_key_pair=True,
            secret_alias='internal_keystore_password',
            summary='The internal keystore (encrypts the product\'s data; never replace its key); as '
                    'RV(purposes.primary).'),
    Purpose(name='tls', table='keystore.tls', label='TLS', keys=KEYSTORE_KEYS, holds_key_pair=True,
            secret_alias='keystore_password', serves_tls=True, cluster=ClusterKeystore(inputs='', material='tls'),
            summary='The keystore the server presents on TLS; as RV(purposes.primary).'),
    Purpose(name='saml', table='keystore.saml', label='SAML signing', keys=KEYSTORE_KEYS, holds_key_pair=True,
            # the cluster keystores share the store password, so the vault's alias too
            secret_alias='keystore_password', falls_back_to='primary',
            cluster=ClusterKeystore(inputs='saml_', material='saml', separate='separate_saml_keystore',
                                    follows='primary', alias_suffix='-saml', table_when_following=False),
            # WSO2 docs-is, "Configure custom keystores for authentication protocols" (5.11.0 update 400 and later)
            read_by=('identity_server',), first_versions=(('identity_server', '5.11.0'),),
            summary='The keystore Identity Server signs SAML assertions and responses with (C([keystore.saml]); '
                    'without that table, the primary keystore); as RV(purposes.primary).'),
    _custom_keystore('oauth', 'OAuth signing'),
    _custom_keystore('ws_federation', 'WS-Federation signing'),
    _custom_keystore('ws_trust', 'WS-Trust signing'),
    Purpose(name='truststore', table='truststore', label='truststore', keys=TRUSTSTORE_KEYS, holds_key_pair=False,
            secret_alias='truststore_password',
            # the symmetric key Micro Integrator and Enterprise Integrator keep in their truststore
            optional_keys=('alias', 'algorithm'),
            summary='The truststore; as RV(purposes.primary) without C(alias) and the key fields, with C(alias) and '
                    'C(algorithm) where the product has them (Micro Integrator, Enterprise Integrator).'),
    Purpose(name='tenant', table='keystore.tenant', label='tenant', keys=('type',), holds_key_pair=False,
            has_file=False, migrated=False, read_by=('identity_server',),
            summary='The type of new tenants\' keystores (C(table), C(configured_in_file), C(type)).'),
)
BY_NAME = {purpose.name: purpose for purpose in REGISTRY}
BY_TABLE = {purpose.table: purpose for purpose in REGISTRY}


def _chain(purpose):
    """The purposes whose cluster keystore ``purpose`` names when it has none of its own, nearest first."""
    found = []
    while purpose.cluster and purpose.cluster.follows:
        purpose = BY_NAME[purpose.cluster.follows]
        found.append(purpose.name)
    return found


NAMES = tuple(BY_NAME)
TABLES = {purpose.name: purpose.table for purpose in REGISTRY}
KEY_PAIR_PURPOSES = tuple(purpose.name for purpose in REGISTRY if purpose.holds_key_pair)
STORE_PURPOSES = tuple(purpose.name for purpose in REGISTRY if purpose.has_file)
MIGRATED_PURPOSES = tuple(purpose.name for purpose in REGISTRY if purpose.migrated)
SECRET_ALIASES = {purpose.table: purpose.secret_alias for purpose in REGISTRY if purpose.secret_alias}
# the purpose whose key the server presents, which rotation replaces
SERVER = next(purpose.name for purpose in REGISTRY if purpose.serves_tls)
# the cluster keystores, each after the ones it follows (the server's first)
CLUSTER_KEYSTORES = tuple(sorted((purpose for purpose in REGISTRY if purpose.cluster),
                                 key=lambda purpose: len(_chain(purpose))))


def get(name):
    """The purpose called ``name``."""
    return BY_NAME[name]


def of_setting(dotted):
    """The purpose whose table holds the setting ``dotted`` ('keystore.tls.password' -> tls), else None."""
    return next((purpose for purpose in REGISTRY if dotted.startswith(purpose.table + '.')), None)


def label(name):
    """How a sentence names the keystore of ``name`` ('TLS', 'primary'); an unknown name as it is."""
    purpose = BY_NAME.get(name)
    return purpose.label if purpose else name


def store_label(name):
    """The store of ``name`` at the start of a sentence: 'The truststore', 'The TLS keystore'."""
    purpose = BY_NAME.get(name)
    if purpose is not None and not purpose.holds_key_pair and purpose.has_file:
        return 'The %s' % purpose.label
    return 'The %s keystore' % label(name)


def read_by(product):
    """The purposes whose tables ``product`` reads in some version, in the registry's order."""
    return tuple(purpose.name for purpose in REGISTRY if not purpose.read_by or product in purpose.read_by)


def first_version(name, product):
    """The first version of ``product`` that reads the table of ``name``; '' when every version that reads any does."""
    return dict(BY_NAME[name].first_versions).get(product, '')


def followers(name):
    """The cluster keystore purposes that name the keystore of ``name`` unless given one of their own."""
    return tuple(purpose for purpose in CLUSTER_KEYSTORES if purpose.cluster and purpose.cluster.follows == name)


def read_from_own_table(name, described):
    """Whether ``described`` (product_info's entry of ``name``) is read from a table of its own: the purpose falls
    back to no other's, or the file has its table. One that only falls back is the other's keystore, which the audit
    and the preflight judge there already."""
    return not BY_NAME[name].falls_back_to or bool(described.get('configured_in_file'))


def serving(name, own):
    """The purpose whose cluster keystore serves ``name`` when the purposes in ``own`` have keystores of their own:
    ``name`` itself, else the nearest it follows that has one (the server's, at the end of every chain)."""
    return next((found for found in [name] + _chain(BY_NAME[name]) if found in own), SERVER)


def cluster_keystore(name):
    """How the roles keep the cluster keystore of ``name`` (a purpose of CLUSTER_KEYSTORES)."""
    found = BY_NAME[name].cluster
    if found is None:
        raise KeyError('%s has no cluster keystore' % name)
    return found
