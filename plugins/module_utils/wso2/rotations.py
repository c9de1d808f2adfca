# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rotation of the cluster's server key (playbooks/rotate.yml): the plan of a new key, and the marker on every node
that lets the next run finish a rotation a stopped run left unfinished."""

from __future__ import annotations

import base64
import json

from ansible_collections.carbon.keystores.plugins.module_utils.errors import ClusterError
from ansible_collections.carbon.keystores.plugins.module_utils.wso2.node import NodeRead
from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import cluster_keys, products, purposes as registry, writes


def rotation_plan(current, stamp, hosts, security_dir):
    """The plan of a key rotation for a cluster whose nodes share ``current`` (a 'keep' plan): one new key
    pair, generated once, in a new file named after the alias and ``stamp``, for every node in ``hosts``;
    trusted under its own alias (so the old certificate stays trusted until the last node switched), in the
    product's ``security_dir``."""
    if current.get('action') != 'keep':
        raise ClusterError('The nodes do not all serve one keystore of their own yet (the product flow would %s for '
                           '%s); run the product\'s playbook first. Nothing was changed.'
                           % (current.get('action'), ', '.join(current.get('needs') or [])))
    store_type = str(current.get('type') or 'JKS').upper()
    alias = current['alias']
    return {'action': 'generate', 'source': None, 'fingerprint': None, 'certificate_pem': None,
            'path': '%s/%s-%s.%s' % (security_dir, alias, stamp, 'p12' if store_type == 'PKCS12' else 'jks'),
            'type': store_type, 'alias': alias, 'trust_alias': '%s-%s' % (alias, stamp), 'needs': sorted(hosts),
            'old_fingerprint': current['fingerprint'], 'stamp': stamp}


def rotation_marker(info):
    """What playbooks/rotate.yml wrote on this node of its rotation (stamp, path, fingerprint, old fingerprint, state),
    or None."""
    path = '%s/%s/%s' % (str(info.get('home', '')).rstrip('/'), NodeRead(info).security_dir, products.ROTATION_MARKER)
    read = writes.preflight_read(info, path)
    if read.get('sha256', 'absent') == 'absent':
        return None
    try:
        marker = json.loads(base64.b64decode(read.get('content', '')).decode('utf-8'))
    except ValueError:
        raise ClusterError('%s is not what rotate.yml writes (JSON); remove it.' % path)
    return marker if isinstance(marker, dict) and marker.get('stamp') else None


def rotation_marker_content(rotation, state):
    """Base64 of the marker a rotation writes on every node: its decision, and how far it got."""
    marker = {'stamp': rotation['stamp'], 'path': rotation['path'], 'alias': rotation['alias'],
              'fingerprint': rotation['fingerprint'], 'old_fingerprint': rotation.get('old_fingerprint'), 'state': state}
    return base64.b64encode((json.dumps(marker, sort_keys=True, indent=2) + '\n').encode('utf-8')).decode('ascii')


def rotation_in_progress(infos, flow):
    """The newest rotation whose marker says it is not finished on some node while some node still serves another
    key of its own (a run of rotate.yml stopped during its stage or a switch), with the staged keystore as the nodes
    hold it; None when there is none (a node that carries the pack's default is a new node, not an unfinished one)."""
    markers = [marker for marker in (rotation_marker(info) for _host, info in sorted(infos.items()))
               if marker and marker.get('state') != 'finished']
    if not markers:
        return None
    marker = max(markers, key=lambda item: str(item['stamp']))
    served = {host: cluster_keys.node_state(info, registry.SERVER) for host, info in sorted(infos.items())}
    behind = sorted(host for host, (state, fingerprint) in served.items()
                    if state == 'proper' and fingerprint != marker['fingerprint'])
    if not behind:
        return None
    holders = {}
    for host, info in sorted(infos.items()):
        full = '%s/%s' % (str(info.get('home', '')).rstrip('/'), marker['path'])
        read = writes.preflight_read(info, full)
        if read.get('sha256', 'absent') != 'absent':
            opened = cluster_keys.open_own(read, full, flow['keystore_password'], marker['alias'])
            if opened.get('fingerprint') == marker['fingerprint']:
                holders[host] = opened
    if not holders:
        raise ClusterError('The unfinished rotation %s (%s) has no node that holds its keystore; remove %s from every '
                           'node to abandon it.' % (marker['stamp'], marker['path'], products.ROTATION_MARKER))
    switched = sorted(host for host, (_state, fingerprint) in served.items() if fingerprint == marker['fingerprint'])
    account = '%s serve%s its new key (%s), %s the old one' % (
        ', '.join(switched) or 'no node', 's' if len(switched) == 1 else '', marker['path'], ', '.join(behind))
    source = sorted(holders)[0]
    return dict(marker, source=source, held=holders[source], account=account)


def resumed_rotation(infos, unfinished):
    """The plan that finishes an unfinished rotation: its keystore copied to the nodes that lack it (from one that
    holds it), trusted under the rotation's alias, and the nodes switched that are not yet."""
    held = unfinished['held']
    return {'action': 'copy', 'source': unfinished['source'], 'fingerprint': unfinished['fingerprint'],
            'certificate_pem': held['certificate_pem'], 'path': unfinished['path'], 'type': held['type'],
            'alias': unfinished['alias'], 'trust_alias': '%s-%s' % (unfinished['alias'], unfinished['stamp']),
            'chain': held['chain'], 'entries_text': held['entries_text'], 'adopted': True,
            'needs': cluster_keys.lacking(infos, registry.SERVER, unfinished['path'], held['chain']), 'stamp': unfinished['stamp'],
            'old_fingerprint': unfinished.get('old_fingerprint')}
