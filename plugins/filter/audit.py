# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of playbooks/audit.yml, run on the controller: the summary lines, the expiry report
(module_utils/wso2/report.py) and its metrics (module_utils/wso2/metrics.py). Each is documented in the YAML file of the same name beside this one."""

from __future__ import annotations

from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import metrics, report


def audit_line(purpose):
    return report.summary_line(purpose)


def audit_lines(info):
    return report.summary_lines(dict(info))


def audit_report(infos, products_by_host, warn_days=30):
    """{host: product_info result}, {host: product} -> the expiry report as data (report.json)."""
    return report.build({host: (products_by_host[host], info) for host, info in dict(infos).items()}, int(warn_days))


def audit_metrics(infos, products_by_host):
    """{host: product_info result}, {host: product} -> the node_exporter textfile (carbon_keystores.prom)."""
    return metrics.textfile({host: (products_by_host[host], info) for host, info in dict(infos).items()})


def audit_report_html(data):
    return report.render_html(data)


def expiring_within(data, days, unknown=False):
    return report.expiring_within(data, int(days), bool(unknown))


def audit_unreadable(data):
    return report.unreadable(data)


def audit_sentence(items):
    return report.sentence(list(items))


class FilterModule:
    def filters(self):
        return {
            'audit_line': audit_line,
            'audit_lines': audit_lines,
            'audit_metrics': audit_metrics,
            'audit_report': audit_report,
            'audit_report_html': audit_report_html,
            'audit_sentence': audit_sentence,
            'audit_unreadable': audit_unreadable,
            'expiring_within': expiring_within,
        }
