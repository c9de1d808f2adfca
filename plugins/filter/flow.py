# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the product roles' flow, run on the controller: the cluster's keystore, the tables a node
must hold and which of them are pending, the JKS-to-PKCS12 migration (module_utils/wso2/: cluster.py, cluster_keys.py,
rotations.py, node_tables.py, migration.py).
Each is documented in the YAML file of the same name beside this one.

A filter imports the modules it needs when it runs: Ansible forks a worker process per host and task, and the first
tasks of a play (the flow's settings) run before the controller's main process has imported the keystore, TOML and
X.509 code (plugins/action/product_info.py does, at the roles' first read), so each of their workers would import it
all (about 170 ms) for filters that need none of it."""

from __future__ import annotations

import functools

from ansible.errors import AnsibleFilterError

from ansible_collections.carbon.keystores.plugins.module_utils.errors import CarbonKeystoresError
from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import settings


def _sentences(function):
    """An operator's error from module_utils fails the task with its sentence, not a traceback."""
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except CarbonKeystoresError as exc:
            raise AnsibleFilterError(str(exc))
    return wrapper


def blocking_findings(info):
    from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import home
    return home.blocking_findings(dict(info))


@_sentences
def unserved_keys(info, clusters):
    from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import node_tables
    return node_tables.unserved_keys(dict(info), dict(clusters))


@_sentences
def flow_settings(inputs, hosts, migrate=False):
    return settings.flow_settings(dict(inputs), list(hosts), bool(migrate))


@_sentences
def cluster_members(hosts, clusters, active=None):
    return settings.cluster_members(list(hosts), list(clusters), None if active is None else list(active))


def keep_internal(flow, pinned=False):
    return settings.keep_internal(flow, bool(pinned))


@_sentences
def flow_refusals(flow):
    return settings.refusals(flow)


@_sentences
def preflight(infos, flow, rotation=None, ca_certificates=None):
    """``rotation``: the stamp of a new rotation (playbooks/rotate.yml); the TLS plan is then a rotation."""
    from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import cluster
    from ansible_collections.carbon.keystores.plugins.module_utils.x509 import certificates
    with certificates.tolerating_legacy_certificates():  # the judgement of converged, as trust_step
        return cluster.preflight(dict(infos), flow, str(rotation) if rotation else None,
                                 None if ca_certificates is None else list(ca_certificates))


@_sentences
def cluster_converged(infos, flow, judged, ca_certificates, preflight_):
    from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import cluster
    from ansible_collections.carbon.keystores.plugins.module_utils.x509 import certificates
    with certificates.tolerating_legacy_certificates():  # as trust_step
        return cluster.converged(dict(infos), flow, dict(judged or {}), list(ca_certificates), dict(preflight_))


@_sentences
def rotation_marker(plan_, state, info=None):
    """With ``info``: the write of the marker on that node (an empty list when it holds it already)."""
    from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import rotations, writes
    content = rotations.rotation_marker_content(dict(plan_), str(state))
    return writes.marker_write(info, content) if info else content


@_sentences
def keystore_builds(plans, flow, judged, infos):
    from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import cluster_keys
    return cluster_keys.builds(dict(plans), flow, dict(judged or {}), dict(infos))


@_sentences
def cluster_keystores(plans, built_results, infos):
    """``built_results``: the results of the keystore task's loop over keystore_builds."""
    from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import cluster_keys
    built = {result['item']['purpose']: result for result in built_results or [] if not result.get('skipped')}
    return cluster_keys.cluster_keystores(dict(plans), built, dict(infos))


@_sentences
def step_results(steps, **results):
    from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import writes
    return writes.with_steps(dict(steps or {}), results)


@_sentences
def node_writes(info, host, flow, clusters, steps, diff=False):
    from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import writes
    return writes.node_writes(info, host, flow, dict(clusters), writes.with_steps(steps, {}), bool(diff))


@_sentences
def node_after(info, items, internal_keystore_password=None):
    from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import writes
    return writes.node_after(dict(info), list(items or []), internal_keystore_password)


@_sentences
def write_confirms(written, after):
    from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import writes
    return writes.write_confirms(dict(written or {}), dict(after or {}))


@_sentences
def migration_writes(info, converted, config=None, diff=False, earlier=()):
    """``info``: the node as ``earlier`` (the flow's writes, before the migration's) leave it (node_after);
    ``converted``: the results of the keystore_convert loop over pkcs12_migration's stores; ``config``: the
    configuration that names the new files."""
    from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import migration, writes
    computed = [{'path': result['item']['dest'], 'result': result} for result in converted or []]
    properties = migration.vault_properties(info, {result['item']['src']: result['item']['dest']
                                                   for result in converted or []})
    # the vault's properties before the configuration, as in every write of the flow
    computed.extend([properties] if properties else [])
    computed.append({'path': info['config_file'], 'result': config, 'text': True})
    return writes.computed_writes(info, computed, bool(diff), earlier=list(earlier or []))


@_sentences
def config_now(info, *results):
    """Base64 of the node's configuration as the last of ``results`` (in-memory tasks on it) that changed it left it,
    else as the preflight read it."""
    from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import writes
    return writes.config_now(info, list(results))


@_sentences
def store_now(info, path, *results):
    """Base64 of the store at ``path`` as the last of ``results`` (in-memory tasks on stores) that changed it left it,
    else as the preflight read it."""
    from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import writes
    return writes.store_now(info, path, list(results))


@_sentences
def read_version(info):
    """A version of the release a node's read stands for (the first its profile covers): what an in-memory step that
    cannot look at the home itself is told, so that it reads the configuration as that release does."""
    from ansible_collections.carbon.keystores.plugins.module_utils.wso2.node import NodeRead
    node = NodeRead(info)
    return node.profile(str(node.info.get('product'))).versions[0]


@_sentences
def claim_writes(info, items, clusters):
    from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import writes
    return writes.claim(info, list(items or []), dict(clusters or {}))


@_sentences
def write_refusals(info, host, flow, items):
    from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import writes
    return writes.write_refusals(info, host, flow, list(items or []))


def write_overlay(written):
    from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import writes
    return writes.overlay(written)


def write_digests(written):
    from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import writes
    return writes.digests(written)


@_sentences
def referenced_tables(tables, info, vault_password):
    from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import node_tables
    return list(node_tables.referenced_tables(dict(tables), info, vault_password))


@_sentences
def table_step(info, flow, clusters, pinned=False, new_passwords=False):
    from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import node_tables
    return node_tables.table_step(info, flow, dict(clusters), settings.keep_internal(flow, bool(pinned)),
                                  bool(new_passwords))


@_sentences
def verify_problems(after, before, flow, clusters, pinned=False):
    from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import node_tables
    return node_tables.verify_problems(before, after, dict(clusters), settings.keep_internal(flow, bool(pinned)))


@_sentences
def vault_keystore(info, flow, clusters, keep_internal, reprotected='', reopened=()):
    from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import node_tables
    return node_tables.vault_keystore(info, flow, dict(clusters), bool(keep_internal), reprotected, list(reopened))


@_sentences
def material_refusals(judged, infos, flow, plans):
    from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import cluster
    return cluster.material_refusals(dict(infos), flow, dict(plans), dict(judged))


@_sentences
def wanted_tables(info, product, keystores, passwords, keep_internal=False, tenant_keystore_type='', internal_password='',
                  truststore_password=''):
    from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import node_tables
    return node_tables.wanted_tables(info, product, dict(keystores), passwords, keep_internal, tenant_keystore_type,
                                     internal_password, truststore_password)


def trusted_entry(cluster_keystore):
    from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import node_tables
    return node_tables.trusted_entry(dict(cluster_keystore))


@_sentences
def trust_step(info, flow, clusters, ca_certificates, password_changes=()):
    from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import node_tables
    from ansible_collections.carbon.keystores.plugins.module_utils.x509 import certificates
    with certificates.tolerating_legacy_certificates():  # as the truststore module reads a CA's certificate
        return node_tables.trust_step(info, flow, dict(clusters), list(ca_certificates), list(password_changes))


@_sentences
def node_password_changes(info, flow, plans):
    """The store passwords that change on one node read again (rewrite.yml), on the cluster's plans."""
    from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import cluster
    paths = [plan_['path'] for plan_ in dict(plans).values() if plan_.get('path')]
    return cluster.password_changes(info, flow, paths)['changes']


@_sentences
def pending_tables(info, wanted):
    from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import node_tables
    return node_tables.pending_tables(info, wanted)


@_sentences
def pkcs12_migration(info, product):
    from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import migration
    return migration.pkcs12_migration(info, product)


@_sentences
def migration_problems(before, after):
    from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import migration
    return migration.migration_problems(before, after)


class FilterModule:
    def filters(self):
        return {
            'blocking_findings': blocking_findings,
            'claim_writes': claim_writes,
            'cluster_converged': cluster_converged,
            'cluster_keystores': cluster_keystores,
            'config_now': config_now,
            'store_now': store_now,
            'table_step': table_step,
            'read_version': read_version,
            'flow_refusals': flow_refusals,
            'flow_settings': flow_settings,
            'keep_internal': keep_internal,
            'keystore_builds': keystore_builds,
            'material_refusals': material_refusals,
            'node_password_changes': node_password_changes,
            'node_after': node_after,
            'cluster_members': cluster_members,
            'write_confirms': write_confirms,
            'node_writes': node_writes,
            'step_results': step_results,
            'migration_problems': migration_problems,
            'migration_writes': migration_writes,
            'preflight': preflight,
            'referenced_tables': referenced_tables,
            'pending_tables': pending_tables,
            'pkcs12_migration': pkcs12_migration,
            'rotation_marker': rotation_marker,
            'vault_keystore': vault_keystore,
            'trusted_entry': trusted_entry,
            'trust_step': trust_step,
            'unserved_keys': unserved_keys,
            'verify_problems': verify_problems,
            'wanted_tables': wanted_tables,
            'write_digests': write_digests,
            'write_overlay': write_overlay,
            'write_refusals': write_refusals,
        }
