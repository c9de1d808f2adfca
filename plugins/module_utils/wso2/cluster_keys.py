# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One key pair per product cluster (WSO2: every node of a product uses the same keystore): each cluster keystore's
plan from what product_info found on every node.

Keep the key the nodes agree on, generate one key for all when they still carry the pack's default, or copy the key
from the nodes that have it to those that do not. Nodes that disagree stop the run, unless the operator names the
node whose keystore wins, or most nodes name one. The fleet is the only state."""

from __future__ import annotations

import base64

from ansible_collections.carbon.keystores.plugins.module_utils.errors import ClusterError, KeystoreError
from ansible_collections.carbon.keystores.plugins.module_utils.keystore import inspection
from ansible_collections.carbon.keystores.plugins.module_utils.keystore.codec import load_keystore
from ansible_collections.carbon.keystores.plugins.module_utils.keystore.model import PRIVATE_KEY
from ansible_collections.carbon.keystores.plugins.module_utils.wso2.node import NodeRead
from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import products, purposes as registry, writes
from ansible_collections.carbon.keystores.plugins.module_utils.x509 import certificates


def is_pack_keystore(described):
    """Whether a purpose reads the pack's own keystore: its file and alias (and, as node_state asks, its password)
    are the pack's. A keystore of the operator's or of this role's is never the pack's, whatever its password, even
    the pack's documented one (a role run with <role>_keystore_password=wso2carbon must keep its own key)."""
    name = str(described.get('path') or '').rsplit('/', 1)[-1]
    return name in products.PACK_KEYSTORE_NAMES and str(described.get('alias') or '').lower() == products.DEFAULT_ALIAS


def node_state(info, purpose, distinct_from=None):
    """('proper', fingerprint) / ('default', None) / ('unknown', reason) for one node's keystore of ``purpose``:
    'default' while it is the pack's keystore (its file, alias and password the pack's) or none.

    ``distinct_from``: the paths (relative to the home) of the other cluster keystores; a purpose that still
    reads one of those files has no keystore of its own yet (a primary keystore being separated from the TLS one)."""
    described = NodeRead(info).described(purpose)
    home = str(info.get('home', '')).rstrip('/')
    if described.get('path') in {'%s/%s' % (home, path) for path in distinct_from or ()}:
        return 'default', None
    state = described.get('password_state', '')
    if state.startswith('unknown'):
        return 'unknown', 'its password cannot be read back (%s)' % state[len('unknown: '):]
    if state == 'default' and is_pack_keystore(described) or described.get('keystore_status') in ('missing', None):
        return 'default', None
    if described.get('keystore_status') != 'ok' or not described.get('fingerprint_sha256'):
        return 'broken', 'its %s keystore %s cannot be used (%s)' % (
            purpose, described.get('path'), described.get('keystore_status'))
    return 'proper', described['fingerprint_sha256']


def security_dir(infos):
    """The security folder (relative to the home) of the cluster's product, as its nodes' reads name it."""
    return next((NodeRead(info).security_dir for _host, info in sorted(infos.items()) if NodeRead(info).security_dir),
                products.SECURITY_DIR)


def plan(infos, purpose, source_node=None, new_keystore=None, distinct_from=None):
    """``infos``: {host: product_info result}. Returns a dict the flow acts on:

    action: 'keep' | 'generate' | 'copy'; source: the node to copy from; fingerprint and
    certificate_pem of the cluster's key when known; path (relative to the home), type and alias
    of the cluster's keystore file; needs: the nodes that do not have the cluster's key yet.

    ``new_keystore``: {file_name, type, alias} of the keystore to generate when there is none
    (its path is in the security folder); ``distinct_from``: see node_state."""
    states = {host: node_state(info, purpose, distinct_from) for host, info in sorted(infos.items())}
    role = next((info['product'] for info in infos.values() if info.get('product')), 'the role\'s')
    variable = '%s_keystore_source_node' % role
    blocked = {host: reason for host, (state, reason) in states.items() if state in ('unknown', 'broken')}
    if blocked:
        raise ClusterError('Cannot decide the cluster\'s keystore: %s. Fix these nodes or their configuration first.'
                           % '; '.join('%s: %s' % item for item in blocked.items()))
    proper = {host: fingerprint for host, (state, fingerprint) in states.items() if state == 'proper'}
    if source_node:
        if source_node not in infos:
            raise ClusterError('%s=%s is not a node of this run; run it with that node.' % (variable, source_node))
        if source_node not in proper:
            raise ClusterError('%s=%s names a node without a usable keystore of its own (it carries the pack\'s '
                               'default or none).' % (variable, source_node))
        winners = {source_node: proper[source_node]}
    else:
        winners = _most_named(proper)
    fingerprints = sorted(set(winners.values()))
    if len(fingerprints) > 1:
        groups: dict[str, list[str]] = {}
        for host, fingerprint in sorted(proper.items()):
            groups.setdefault(fingerprint, []).append(host)
        raise ClusterError('The nodes disagree on their %s keystore: %s, and no keystore is the one most nodes name. WSO2 '
                           'needs one keystore on every node of a product: run again with -e %s=<the node whose '
                           'keystore wins> (one of %s).'
                           % (registry.label(purpose), '; '.join(
                               '%s has %s' % (', '.join(hosts), fingerprint[:23] + '...')
                               for fingerprint, hosts in groups.items()), variable, ', '.join(sorted(proper))))
    if not fingerprints:
        new_keystore = new_keystore or {}
        file_name = new_keystore.get('file_name')
        return {'action': 'generate', 'source': None, 'fingerprint': None, 'certificate_pem': None,
                'path': '%s/%s' % (security_dir(infos), file_name) if file_name else None,
                'type': new_keystore.get('type'), 'alias': new_keystore.get('alias'), 'needs': sorted(infos)}
    fingerprint = fingerprints[0]
    source = source_node or sorted(host for host, value in proper.items() if value == fingerprint)[0]
    described = infos[source]['purposes'][purpose]
    needs = sorted(host for host in infos if proper.get(host) != fingerprint)
    home = infos[source]['home'].rstrip('/') + '/'
    relative = described['path'][len(home):] if described['path'].startswith(home) else None
    if needs and relative is None:
        raise ClusterError('The keystore of %s (%s) is outside its product home, so it cannot be copied to the other '
                           'nodes; move it into %s first.' % (source, described['path'], security_dir(infos)))
    return {'action': 'copy' if needs else 'keep', 'source': source, 'fingerprint': fingerprint,
            'certificate_pem': described.get('certificate_pem'), 'path': relative, 'type': described.get('type'),
            'alias': described.get('alias'), 'needs': needs}


def _most_named(proper):
    """Of the nodes with a keystore of their own ({host: fingerprint}), those whose keystore more nodes name than any
    other: a split that an interrupted or concurrent run left is repaired toward the keystore most of the cluster
    serves already. All of them when no keystore is named by more nodes than every other."""
    counts: dict[str, int] = {}
    for fingerprint in proper.values():
        counts[fingerprint] = counts.get(fingerprint, 0) + 1
    ranked = sorted(counts.values(), reverse=True)
    if len(ranked) > 1 and ranked[0] > ranked[1]:
        leader = next(fingerprint for fingerprint, count in counts.items() if count == ranked[0])
        return {host: fingerprint for host, fingerprint in proper.items() if fingerprint == leader}
    return proper


def build_needed(plan_, keystore, judged, infos):
    """Whether a cluster keystore must be built on the controller this run: a key to generate, PEM material
    some node does not hold yet, or a CSR to write. Otherwise the nodes that lack it get the bytes of a node
    that has it, and a converged cluster costs no controller work at all."""
    if plan_['action'] == 'generate' or keystore.get('csr_path'):
        return True
    if judged:
        return bool(lacking(infos, keystore['purpose'], plan_['path'], judged['chain_sha256']))
    return False


def _source_content(infos, plan_):
    """Base64 of the cluster keystore as the preflight read it on the plan's source node ('' without one)."""
    source = plan_.get('source')
    if not source:
        return ''
    info = infos[source]
    return info['contents']['%s/%s' % (str(info['home']).rstrip('/'), plan_['path'])]['content']


def builds(plans, flow, judged, infos):
    """The cluster keystores to build on the controller this run (build_needed), each with its plan, the
    keystore's settings, the mode of its PEM material ('' to generate, 'import' or 'reply') and the bytes to
    start from (base64; '' for a new keystore)."""
    items = []
    for keystore in flow['keystores']:
        purpose = keystore['purpose']
        plan_ = plans.get(purpose)
        material = (judged or {}).get(purpose)
        if not plan_ or not build_needed(plan_, keystore, material, infos):
            continue
        items.append({'purpose': purpose, 'plan': plan_, 'keystore': keystore,
                      'mode': (material or {}).get('mode', ''), 'content': _source_content(infos, plan_)})
    return items


def cluster_keystores(plans, built, infos):
    """{purpose: the cluster keystore as the nodes will name and hold it}: path (relative to the home), type,
    alias, trust alias, fingerprint, certificate, chain, base64 content, its entries as a diff shows them, and the
    nodes that lack it.

    ``built``: {purpose: what the keystore task returned for it} for the keystores built this run; the
    others are as the preflight read them on the plan's source node."""
    clusters = {}
    for purpose, plan_ in plans.items():
        made = (built or {}).get(purpose)
        if made:
            described = {'fingerprint': made['fingerprint_sha256'], 'certificate_pem': made['certificate_pem'],
                         'chain': made['chain_fingerprints_sha256'], 'content': made['content'],
                         'entries_text': (made.get('diff') or {}).get('after') or writes.entries_text([dict(
                             made, kind='private_key')])}
        elif plan_.get('adopted'):
            # a keystore nothing configures yet (place_new_keystore): what it holds is in the plan
            described = {'fingerprint': plan_['fingerprint'], 'certificate_pem': plan_['certificate_pem'],
                         'chain': plan_['chain'], 'content': _source_content(infos, plan_),
                         'entries_text': plan_['entries_text']}
        else:
            source_info = infos[plan_['source']]
            source = source_info['purposes'][purpose]
            described = {'fingerprint': plan_['fingerprint'], 'certificate_pem': plan_['certificate_pem'],
                         'chain': source.get('chain_fingerprints_sha256') or [], 'content': _source_content(infos, plan_),
                         'entries_text': writes.stored_entries_text(source_info, source['path'])}
        described.update(path=plan_['path'], type=str(plan_['type']).upper(), alias=plan_['alias'],
                         trust_alias=plan_.get('trust_alias') or plan_['alias'], built=bool(made),
                         generated=plan_['action'] == 'generate',
                         needs=lacking(infos, purpose, plan_['path'], described['chain']))
        clusters[purpose] = described
    return clusters


def lacking(infos, purpose, path, chain_sha256):
    """The nodes whose ``purpose`` does not yet read the keystore at ``path`` (relative to the home) holding
    the chain ``chain_sha256`` (leaf to root): the nodes the cluster keystore must be written to."""
    missing = []
    for host, info in sorted(infos.items()):
        described = NodeRead(info).described(purpose)
        same_file = described.get('path') == '%s/%s' % (str(info.get('home', '')).rstrip('/'), path)
        if not same_file or described.get('chain_fingerprints_sha256') != list(chain_sha256):
            missing.append(host)
    return missing


def place_new_keystore(infos, flow, keystore, plan_, planned_paths=()):
    """A 'generate' plan whose file name no node uses for anything else: a file at that name on any node (a
    configured store, say the operator's [keystore.internal], or a keystore nothing configures) is never overwritten
    by another keystore. The name then gets a number (wso2is-2.jks), or, when the operator chose it
    (<role>_keystore_file_name), the run is refused naming it.

    A keystore at that name that nothing configures, opens with the role's password and holds a key under the
    cluster's alias is this role's own, left by a run that stopped, or written first by another controller converging
    the same cluster at once (write.yml's claim): the plan adopts it, as a copy from that node, instead of making a
    second key."""
    candidates, taken = {}, {}
    for host, info in sorted(infos.items()):
        found = _existing_file(info, plan_['path'], flow['keystore_password'], plan_['alias'])
        if found is None:
            continue
        if found.get('fingerprint'):
            candidates[host] = found
        else:
            taken[host] = found['reason']
    fingerprints = {item['fingerprint'] for item in candidates.values()}
    if candidates and not taken and len(fingerprints) == 1 and plan_['path'] not in planned_paths:
        source = sorted(candidates)[0]
        adopted = candidates[source]
        return dict(plan_, action='copy', source=source, fingerprint=adopted['fingerprint'],
                    certificate_pem=adopted['certificate_pem'], type=adopted['type'], chain=adopted['chain'],
                    entries_text=adopted['entries_text'], adopted=True,
                    needs=lacking(infos, keystore['purpose'], plan_['path'], adopted['chain']))
    if not taken and not candidates and plan_['path'] not in planned_paths:
        return plan_
    if keystore.get('file_name'):
        variable = '%s_%skeystore_file_name' % (flow['product'], registry.cluster_keystore(keystore['purpose']).inputs)
        where = '; '.join('%s: %s' % (host, reason) for host, reason in sorted(taken.items())) or \
            'another cluster keystore of this run has that name'
        raise ClusterError('%s=%s names a file that exists already (%s), and the role never overwrites a keystore with '
                           'another; choose another name.' % (variable, keystore['file_name'], where))
    folder, name = plan_['path'].rsplit('/', 1)
    stem, extension = name.rsplit('.', 1)
    for number in range(2, 100):
        path = '%s/%s-%d.%s' % (folder, stem, number, extension)
        if path not in planned_paths and all(_existing_file(info, path, None, None) is None for info in infos.values()):
            return dict(plan_, path=path)
    raise ClusterError('No free file name for the cluster\'s new keystore near %s; give %s_keystore_file_name.'
                       % (plan_['path'], flow['product']))


def _existing_file(info, path, password, alias):
    """What the node holds at ``path`` (relative to the home): None when nothing; else, for a keystore nothing
    configures that opens with ``password`` and holds a private key under ``alias``, its fingerprint, chain,
    certificate, type and entries; else the reason it is taken."""
    full = '%s/%s' % (str(info.get('home', '')).rstrip('/'), path)
    if full in (info.get('links') or {}):
        return None  # a link is no keystore to keep or adopt: node_refusals refuses it, naming the node
    configured = sorted(purpose for purpose, described in NodeRead(info).purposes.items()
                        if described.get('path') == full)
    read = writes.preflight_read(info, full)
    if not configured and read.get('sha256', 'absent') == 'absent':
        return None
    if configured:
        return {'reason': '%s is the %s store it configures' % (full, ' and '.join(configured))}
    if password is None:
        return {'reason': '%s exists' % full}
    return open_own(read, full, password, alias)


def open_own(read, full, password, alias):
    """A keystore the preflight read (``read``: sha256 and base64 content) described as the cluster's: fingerprint,
    chain, certificate, type and entries when it opens with ``password`` and holds a private key under ``alias``;
    else the reason it is not."""
    try:
        store = load_keystore(base64.b64decode(read.get('content', '')), password, full,
                              key_passwords=[password])
    except KeystoreError:
        return {'reason': '%s is a file this role did not write' % full}
    entry = store.get(str(alias).lower())
    if entry is None or entry.kind != PRIVATE_KEY or entry.pkcs8 is None:
        return {'reason': '%s is a keystore without the cluster\'s key %r' % (full, alias)}
    return {'fingerprint': certificates.fingerprint(entry.certificate), 'type': store.store_type.upper(),
            'chain': [certificates.fingerprint(der) for der in entry.chain],
            'certificate_pem': certificates.certificate_pem(entry.certificate),
            'entries_text': writes.entries_text(inspection.describe_store(store, password)[0])}
