# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the product roles' flow, run on the controller: the cluster's keystore, the tables a node
must hold and which of them are pending, the JKS-to-PKCS12 migration (module_utils/wso2/cluster.py).
Each is documented in the YAML file of the same name beside this one."""

from __future__ import annotations

import functools

from ansible.errors import AnsibleFilterError

from ansible_collections.carbon.keystores.plugins.module_utils.errors import CarbonKeystoresError
from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import cluster, settings


def _sentences(function):
    """An operator's error from module_utils fails the task with its sentence, not a traceback."""
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except CarbonKeystoresError as exc:
            raise AnsibleFilterError(str(exc))
    return wrapper


@_sentences
def flow_settings(inputs, hosts):
    return settings.flow_settings(dict(inputs), list(hosts))


@_sentences
def flow_refusals(flow):
    return settings.refusals(flow)


@_sentences
def keystore_plans(infos, flow):
    """{purpose: plan} for every cluster keystore of the flow: the TLS one first, then a separate primary one,
    which must not be the TLS keystore's file."""
    infos = dict(infos)
    default_type = next((info.get('default_keystore_type') for _host, info in sorted(infos.items())), None)
    plans = {}
    for keystore in flow['keystores']:
        distinct_from = plans['tls']['path'] if keystore['purpose'] != 'tls' else None
        plans[keystore['purpose']] = cluster.plan(infos, keystore['purpose'], flow['source_node'] or None,
                                                  settings.new_keystore(flow, default_type, keystore['purpose']),
                                                  distinct_from)
    return plans


@_sentences
def build_needed(plan, keystore, judged, infos):
    return cluster.build_needed(plan, keystore, judged or None, dict(infos))


@_sentences
def lacking(infos, purpose, path, chain_sha256):
    return cluster.lacking(dict(infos), purpose, path, list(chain_sha256))


@_sentences
def cluster_refusals(plans, infos, flow, judged):
    return cluster.refusals(dict(infos), flow, dict(plans), dict(judged))


@_sentences
def password_changes(info, flow, cluster_paths):
    return cluster.password_changes(info, flow, list(cluster_paths))


@_sentences
def rotation_plan(current, stamp, hosts):
    return cluster.rotation_plan(current, str(stamp), list(hosts))


@_sentences
def wanted_tables(info, product, keystores, passwords, keep_internal=False, tenant_keystore_type='', internal_password='',
                  truststore_password=''):
    return cluster.wanted_tables(info, product, dict(keystores), passwords, keep_internal, tenant_keystore_type,
                                 internal_password, truststore_password)


def trusted_entry(cluster_keystore):
    """The truststore item ({alias, certificate}) of a cluster keystore: its certificate under its trust alias."""
    return {'alias': cluster_keystore['trust_alias'], 'certificate': cluster_keystore['certificate_pem']}


@_sentences
def pending_tables(info, wanted):
    return cluster.pending_tables(info, wanted)


@_sentences
def pkcs12_migration(info, product):
    return cluster.pkcs12_migration(info, product)


@_sentences
def migration_problems(before, after):
    return cluster.migration_problems(before, after)


class FilterModule:
    def filters(self):
        return {
            'build_needed': build_needed,
            'cluster_refusals': cluster_refusals,
            'flow_refusals': flow_refusals,
            'flow_settings': flow_settings,
            'keystore_plans': keystore_plans,
            'lacking': lacking,

            'migration_problems': migration_problems,
            'password_changes': password_changes,
            'pending_tables': pending_tables,
            'pkcs12_migration': pkcs12_migration,
            'rotation_plan': rotation_plan,
            'trusted_entry': trusted_entry,
            'wanted_tables': wanted_tables,
        }
