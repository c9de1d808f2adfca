# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters the product roles and the audit playbook use on the controller: the cluster's keystore, what is
pending on a node, and the audit's lines and report."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.carbon.keystores.plugins.module_utils import cluster, report


def keystore_plan(infos, purpose='tls', source_node=None, new_keystore=None):
    """{host: product_info result} -> what the flow does (see module_utils/cluster.py)."""
    try:
        return cluster.plan(dict(infos), purpose, source_node or None, new_keystore)
    except cluster.ClusterError as exc:
        raise AnsibleFilterError(str(exc))


def server_tables(info):
    return cluster.server_tables(info)


def wso2_file_name(info, product, base_name, table):
    return cluster.file_name(info, product, base_name, table)


def wanted_tables(info, product, keystore, passwords, keep_internal=False, tenant_keystore_type=''):
    return cluster.wanted_tables(info, product, keystore, passwords, keep_internal, tenant_keystore_type)


def pending_tables(info, wanted):
    return cluster.pending_tables(info, wanted)


def audit_line(purpose):
    """One line of the audit summary for a product_info purpose."""
    line = '%s: %s' % (purpose.get('table'), purpose.get('file_name'))
    if purpose.get('type'):
        line += ' (%s)' % purpose['type']
    if purpose.get('alias'):
        line += ', alias %s' % purpose['alias']
    if purpose.get('fingerprint_sha256'):
        line += ', SHA-256 %s..., expires %s (%s days)' % (purpose['fingerprint_sha256'][:23], purpose.get('not_after'),
                                                           purpose.get('days_left'))
    elif purpose.get('keystore_status') not in (None, 'ok'):
        line += ', %s' % purpose['keystore_status']
    return line


def pkcs12_migration(info, product):
    return cluster.pkcs12_migration(info, product)


def migration_problems(before, after):
    return cluster.migration_problems(before, after)


def audit_report(infos, products_by_host, warn_days=30):
    """{host: product_info result}, {host: product} -> the expiry report as data (report.json)."""
    return report.build({host: (products_by_host[host], info) for host, info in dict(infos).items()}, int(warn_days))


def audit_report_html(data):
    return report.render_html(data)


def expiring_within(data, days):
    return report.expiring_within(data, int(days))


class FilterModule:
    def filters(self):
        return {
            'audit_line': audit_line,
            'audit_report': audit_report,
            'audit_report_html': audit_report_html,
            'expiring_within': expiring_within,
            'keystore_plan': keystore_plan,
            'pending_tables': pending_tables,
            'pkcs12_migration': pkcs12_migration,
            'migration_problems': migration_problems,
            'server_tables': server_tables,
            'wanted_tables': wanted_tables,
            'wso2_file_name': wso2_file_name,
        }
