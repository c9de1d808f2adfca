# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One key pair per product cluster (WSO2: every node of a product uses the same TLS keystore).

Given what product_info found on every node, decide what the flow does: keep the key the
nodes agree on, generate one key for all when they still carry the pack's default, or copy
the key from the nodes that have it to those that do not. Nodes that disagree stop the run,
unless the operator names the node whose keystore wins. The fleet is the only state."""

from __future__ import annotations


import base64
import json

from ansible_collections.carbon.keystores.plugins.module_utils.errors import ClusterError, KeystoreError
from ansible_collections.carbon.keystores.plugins.module_utils.keystore import inspection
from ansible_collections.carbon.keystores.plugins.module_utils.keystore.codec import load_keystore
from ansible_collections.carbon.keystores.plugins.module_utils.keystore.model import PRIVATE_KEY
from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import products, purposes as registry, settings, vault, writes
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

    ``distinct_from``: the path (relative to the home) of another cluster keystore; a purpose that still
    reads that file has no keystore of its own yet (a primary keystore being separated from the TLS one)."""
    described = (info.get('purposes') or {}).get(purpose) or {}
    if distinct_from and described.get('path') == '%s/%s' % (str(info.get('home', '')).rstrip('/'), distinct_from):
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
                'path': '%s/%s' % (products.SECURITY_DIR, file_name) if file_name else None,
                'type': new_keystore.get('type'), 'alias': new_keystore.get('alias'), 'needs': sorted(infos)}
    fingerprint = fingerprints[0]
    source = source_node or sorted(host for host, value in proper.items() if value == fingerprint)[0]
    described = infos[source]['purposes'][purpose]
    needs = sorted(host for host in infos if proper.get(host) != fingerprint)
    home = infos[source]['home'].rstrip('/') + '/'
    relative = described['path'][len(home):] if described['path'].startswith(home) else None
    if needs and relative is None:
        raise ClusterError('The keystore of %s (%s) is outside its product home, so it cannot be copied to the other '
                           'nodes; move it into %s first.' % (source, described['path'], products.SECURITY_DIR))
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
        described = (info.get('purposes') or {}).get(purpose) or {}
        same_file = described.get('path') == '%s/%s' % (str(info.get('home', '')).rstrip('/'), path)
        if not same_file or described.get('chain_fingerprints_sha256') != list(chain_sha256):
            missing.append(host)
    return missing


def rotation_plan(current, stamp, hosts):
    """The plan of a key rotation for a cluster whose nodes share ``current`` (a 'keep' plan): one new key
    pair, generated once, in a new file named after the alias and ``stamp``, for every node in ``hosts``;
    trusted under its own alias (so the old certificate stays trusted until the last node switched)."""
    if current.get('action') != 'keep':
        raise ClusterError('The nodes do not all serve one keystore of their own yet (the product flow would %s for '
                           '%s); run the product\'s playbook first. Nothing was changed.'
                           % (current.get('action'), ', '.join(current.get('needs') or [])))
    store_type = str(current.get('type') or 'JKS').upper()
    alias = current['alias']
    return {'action': 'generate', 'source': None, 'fingerprint': None, 'certificate_pem': None,
            'path': '%s/%s-%s.%s' % (products.SECURITY_DIR, alias, stamp, 'p12' if store_type == 'PKCS12' else 'jks'),
            'type': store_type, 'alias': alias, 'trust_alias': '%s-%s' % (alias, stamp), 'needs': sorted(hosts),
            'old_fingerprint': current['fingerprint'], 'stamp': stamp}


def rotation_marker(info):
    """What playbooks/rotate.yml wrote on this node of its rotation (stamp, path, fingerprint, old fingerprint, state),
    or None."""
    path = '%s/%s/%s' % (str(info.get('home', '')).rstrip('/'), products.SECURITY_DIR, products.ROTATION_MARKER)
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
    served = {host: node_state(info, registry.SERVER) for host, info in sorted(infos.items())}
    behind = sorted(host for host, (state, fingerprint) in served.items()
                    if state == 'proper' and fingerprint != marker['fingerprint'])
    if not behind:
        return None
    holders = {}
    for host, info in sorted(infos.items()):
        full = '%s/%s' % (str(info.get('home', '')).rstrip('/'), marker['path'])
        read = writes.preflight_read(info, full)
        if read.get('sha256', 'absent') != 'absent':
            opened = _open_own(read, full, flow['keystore_password'], marker['alias'])
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
            'needs': lacking(infos, registry.SERVER, unfinished['path'], held['chain']), 'stamp': unfinished['stamp'],
            'old_fingerprint': unfinished.get('old_fingerprint')}


def unserved_keys(info, clusters):
    """Sentences for each cluster keystore purpose whose table, as ``info`` (product_info, read after the writes)
    describes the node, does not hold the cluster's key: its own keystore's (``clusters``: by purpose, each with its
    fingerprint), else the keystore of the purpose it follows. Empty when the node serves the cluster's keys."""
    purposes = info.get('purposes') or {}
    found = []
    for purpose in registry.CLUSTER_KEYSTORES:
        described = purposes.get(purpose.name)
        if described is None:
            continue
        own = purpose.name if purpose.name in clusters else registry.cluster_keystore(purpose.name).follows
        wanted = clusters.get(own) or {}
        held = described.get('fingerprint_sha256') or ''
        if held != wanted.get('fingerprint'):
            found.append('[%s] names %s, whose key is %s, not the cluster\'s %s keystore (%s).' % (
                purpose.table, described.get('path') or 'no keystore', held or 'unknown',
                registry.label(own),
                wanted.get('fingerprint') or 'unknown'))
    return found


def server_tables(info, given=()):
    """{table: purpose of the cluster keystore it names}, in the registry's order: a follower's table
    ([keystore.primary], when the product reads one) names its own keystore when ``given`` holds its purpose, else
    the one it follows; a followed table ([keystore.tls]) is written wherever the file already configures it, the
    product reads no follower, or a follower gets a keystore of its own (else the product reads it through the
    follower's table by $ref{})."""
    purposes = info.get('purposes') or {}
    tables = {}
    for purpose in registry.REGISTRY:
        described = purposes.get(purpose.name)
        if purpose.cluster is None or described is None:
            continue
        if purpose.cluster.follows:
            tables[purpose.table] = purpose.name if purpose.name in given else purpose.cluster.follows
            continue
        followers = [item.name for item in registry.followers(purpose.name) if item.name in purposes]
        if described.get('configured_in_file') or not followers or any(name in given for name in followers):
            tables[purpose.table] = purpose.name
    return tables


def file_name(info, product, base_name, table):
    """file_name to write into ``table`` for ``base_name``: in the style that table already uses in the
    node's file (Micro Integrator ships a bare name in [keystore.tls] but reads [keystore.primary]
    relative to the home), else in the product's style."""
    profile = products.profile_for(product)
    purpose = registry.BY_TABLE[table].name
    described = (info.get('purposes') or {}).get(purpose) or {}
    existing = described.get('file_name') if described.get('configured_in_file') else None
    return products.file_name_for(profile, existing, base_name)


def wanted_tables(info, product, keystores, passwords, keep_internal=False, tenant_keystore_type='',
                  internal_password='', truststore_password=''):
    """{table: settings} the node's config must hold for the cluster's keystores (``keystores``: by purpose,
    V(tls) and, when the signing keystore is separate, V(primary); each with path relative to the home, type
    and alias), protected by ``passwords`` (keystore_password, key_password).

    ``keep_internal``: the keystore the node used until then for everything becomes [keystore.internal]
    (WSO2: data encrypted with it must stay readable). ``internal_password``: the internal keystore gets this
    password (store and key), once it has a table of its own. ``truststore_password``: the truststore's
    password, when it is to change."""
    purposes = info.get('purposes') or {}
    secrets = info.get('secrets') or {}
    tables = {}
    internal = purposes.get('internal')
    if keep_internal and internal and not internal.get('configured_in_file') and internal.get('keystore_status') == 'ok':
        tables['keystore.internal'] = {
            'file_name': internal['file_name'],
            # the type of the file itself: a default the product would apply is not proof of what the file is
            'type': str(info['keystores'][internal['path']]['type']).upper(),
            'password': (secrets.get('internal') or {}).get('password'),
            'alias': internal['alias'],
            'key_password': (secrets.get('internal') or {}).get('key_password'),
        }
    if internal_password and internal and ('keystore.internal' in tables or internal.get('configured_in_file')):
        tables.setdefault('keystore.internal', {}).update(password=internal_password, key_password=internal_password)
    for table, purpose in server_tables(info, keystores).items():
        keystore = keystores[purpose]
        tables[table] = {
            'file_name': file_name(info, product, keystore['path'].rsplit('/', 1)[-1], table),
            'type': str(keystore['type']).upper(),
            'password': passwords['keystore_password'],
            'alias': keystore['alias'],
            'key_password': passwords['key_password'],
        }
    if truststore_password and 'truststore' in purposes:
        tables['truststore'] = {'password': truststore_password}
    if tenant_keystore_type and 'tenant' in products.profile_for(product).purposes:
        tables['keystore.tenant'] = {'type': str(tenant_keystore_type).upper()}
    return tables


def referenced_tables(tables, info, vault_password):
    """encrypt_passwords: ``tables`` (wanted_tables) with every store password a $secret{} reference, and the
    clear-text passwords the file writes in [keystore.internal] and [truststore] referred to as well. Returns
    (tables, {alias: plaintext} the references need in [secrets], as the files hold them at this write).

    The internal keystore's own password becomes a reference only once it is ``vault_password``, the one the flow
    knows: a reference to any other would lock the vault's key behind a password only the vault holds."""
    referenced = {table: dict(table_settings) for table, table_settings in tables.items()}
    written = info.get('config_tables') or {}
    for table in ('keystore.internal', 'truststore'):
        clear = {key: value for key, value in (written.get(table) or {}).items()
                 if key in ('password', 'key_password') and value and not vault.referenced_alias(value)}
        if clear and table not in referenced:
            referenced[table] = clear
    secrets = {}
    for table, table_settings in sorted(referenced.items()):
        alias = registry.SECRET_ALIASES.get(table)
        if not alias:
            continue
        if table == 'keystore.internal' and table_settings.get('password') != vault_password:
            # not yet the flow's own password: stays as it is until the file has it (passwords.yml)
            if table not in tables:
                del referenced[table]
            continue
        store_password = table_settings.get('password')
        for key in ('password', 'key_password'):
            value = table_settings.get(key)
            if value is None or vault.referenced_alias(value):
                continue
            name = alias if key == 'password' or value == store_password else alias.replace('_password', '_key_password')
            secrets[name] = value
            table_settings[key] = vault.reference(name)
    return referenced, secrets


def vault_keystore(info, flow, clusters, keep_internal, reprotected=None, reopened=()):
    """{path, content (base64), password} of the keystore whose key the secure vault uses once the flow's tables
    are written: the internal keystore the node keeps (``reprotected``: its re-protected bytes when this run gave it
    its own password), or, without ``keep_internal`` (a fresh install), the cluster's keystore it follows."""
    if not keep_internal:
        # the keystore [keystore.primary] names, which the internal one follows on a fresh install
        cluster = next((clusters[item.name] for item in registry.followers(registry.SERVER) if item.name in clusters),
                       clusters[registry.SERVER])
        return {'path': cluster['path'], 'content': cluster['content'], 'password': flow['keystore_password']}
    internal = (info.get('purposes') or {}).get('internal') or {}
    path = internal.get('path')
    if reprotected:
        return {'path': path, 'content': reprotected, 'password': flow['internal_keystore_password']}
    password = ((info.get('secrets') or {}).get('internal') or {}).get('password')
    if any(item.get('purpose') == 'internal' for item in reopened):
        password = flow['internal_keystore_password']
    return {'path': path, 'content': writes.preflight_read(info, path).get('content', ''),
            'password': password}


MISPLACED = ('outside_security_folder', 'outside_home')


def plan_keystores(infos, flow, rotation_stamp=None):
    """{purpose: plan} for every cluster keystore of the flow: the server's (TLS) one first, then each one of its
    own of a purpose that follows it, which must not be the followed keystore's file. ``rotation_stamp``
    (playbooks/rotate.yml): the server's plan is a rotation, the one a stopped run left unfinished (its marker on
    the nodes), else a new one named after the stamp."""
    default_type = next((info.get('default_keystore_type') for _host, info in sorted(infos.items())), None)
    unfinished = rotation_in_progress(infos, flow)
    found: dict[str, dict] = {}
    for keystore in flow['keystores']:
        followed = registry.cluster_keystore(keystore['purpose']).follows
        distinct_from = found[followed]['path'] if followed else None
        served = keystore['purpose'] == registry.SERVER
        if served and unfinished and rotation_stamp is None:
            raise ClusterError(
                'A rotation of the cluster\'s TLS key is unfinished (a run of playbooks/rotate.yml stopped): %s. Finish it '
                'with ansible-playbook -i <inventory> playbooks/rotate.yml -e product_role=%s, which switches the other '
                'nodes to that key, or remove %s from every node to abandon it.' % (
                    unfinished['account'], flow['product'], '%s/%s' % (products.SECURITY_DIR, products.ROTATION_MARKER)))
        if served and rotation_stamp is not None:
            found[registry.SERVER] = resumed_rotation(infos, unfinished) if unfinished else rotation_plan(
                plan(infos, registry.SERVER, flow['source_node'] or None, None), rotation_stamp, sorted(infos))
            continue
        planned = plan(infos, keystore['purpose'], flow['source_node'] or None,
                       settings.new_keystore(flow, default_type, keystore['purpose']), distinct_from)
        if planned['action'] == 'generate':
            planned = place_new_keystore(infos, flow, keystore, planned, [item['path'] for item in found.values()])
        found[keystore['purpose']] = planned
    return found


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
    configured = sorted(purpose for purpose, described in (info.get('purposes') or {}).items()
                        if described.get('path') == full)
    read = writes.preflight_read(info, full)
    if not configured and read.get('sha256', 'absent') == 'absent':
        return None
    if configured:
        return {'reason': '%s is the %s store it configures' % (full, ' and '.join(configured))}
    if password is None:
        return {'reason': '%s exists' % full}
    return _open_own(read, full, password, alias)


def _open_own(read, full, password, alias):
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


def preflight(infos, flow, rotation_stamp=None):
    """The whole preflight judgement, once for the cluster, from every node's product_info: {'plans': by purpose,
    'refusals': {host: sentences}, what each node does not allow (the flow fails that node, so that the recap names
    the guilty one), 'cluster_refusals': sentences about the cluster as a whole, 'password_changes': by host,
    'reopen': by host, the stores whose new password must be tried because the configured one does not open them}.
    Nothing is planned for a cluster with a node that cannot be read."""
    role = flow['product']
    found: dict[str, list[str]] = {host: [] for host in infos}
    cluster_found, changes, reopen = [], {}, {}
    for host, info in sorted(infos.items()):
        if not info.get('config_file'):
            message = str(info.get('msg') or 'product_info returned nothing').rstrip('.')
            # a home that is not there, or no product home, is the variable's fault; a broken file names itself
            where = '%s_home: ' % role if message.endswith('product home?') or message.startswith('Cannot') else ''
            found[host].append('%s: %s%s' % (host, where, message if message.endswith('?') else message + '.'))
            continue
        misplaced = [item['message'] for item in info.get('findings') or [] if item.get('code') in MISPLACED]
        if misplaced:
            found[host].append('%s: %s Put the file itself into the security folder and point the configuration at it '
                               'there.' % (host, ' '.join(misplaced)))
        unresolved = [item['message'] for item in info.get('findings') or []
                      if item.get('code') == 'secret_unresolved' and item.get('alias')]
        if unresolved:
            found[host].append('%s: %s The role cannot read that store\'s password, so it cannot open the store. Restore '
                               'the [secrets] value, or write the password in clear in its table: with '
                               '%s_encrypt_passwords the role encrypts it again.' % (host, ' '.join(unresolved), role))
        closed = [item['message'] for item in info.get('findings') or []
                  if item.get('code') == 'secret_unresolved' and not item.get('alias')]
        if closed:
            found[host].append('%s: %s_internal_keystore_password does not open the internal keystore, whose key reads '
                               'the secure vault: %s. Give the password the internal keystore has now; without it the '
                               '$secret{} passwords of the configuration cannot be read.'
                               % (host, role, closed[0].split(': ', 1)[-1].rstrip('.')))
    planned = {}
    if not any(found.values()):
        try:
            planned = plan_keystores(infos, flow, rotation_stamp)
        except ClusterError as exc:
            cluster_found.append(str(exc))
    if planned:
        for host, sentences in node_refusals(infos, flow, planned).items():
            found[host].extend(sentences)
        paths = [plan_['path'] for plan_ in planned.values() if plan_.get('path')]
        for host, info in sorted(infos.items()):
            changes[host] = password_changes(info, flow, paths)['changes']
            reopen[host] = [change for change in changes[host] if not change['opens']]
    return {'plans': planned, 'refusals': found, 'cluster_refusals': cluster_found, 'password_changes': changes,
            'reopen': reopen}


def node_refusals(infos, flow, plans):
    """{host: sentences} of what each node refuses once every node has been read and the plans are made: a
    cluster keystore the role's password does not open (on the node it is taken from), password changes a node
    cannot take, a truststore that opens with no password the run knows."""
    found: dict[str, list[str]] = {host: [] for host in infos}
    for purpose, plan_ in sorted(plans.items()):
        source = plan_.get('source')
        if source and not plan_.get('adopted') and \
                ((infos[source].get('secrets') or {}).get(purpose) or {}).get('password') != flow['keystore_password']:
            found[source].append('The cluster\'s %s keystore on %s is protected by another password than '
                                 '%s_keystore_password; the role does not change the cluster keystores\' passwords. Give '
                                 'the password the nodes use.' % (registry.label(purpose), source, flow['product']))
    for purpose, plan_ in sorted(plans.items()):
        if plan_['action'] != 'copy':
            continue  # a new keystore's name is one no node uses (place_new_keystore)
        source_info = infos[plan_['source']]
        source_sha = writes.preflight_read(source_info, '%s/%s' % (str(source_info['home']).rstrip('/'),
                                                                   plan_['path'])).get('sha256')
        for host in plan_['needs']:
            info = infos[host]
            full = '%s/%s' % (str(info.get('home', '')).rstrip('/'), plan_['path'])
            held = writes.preflight_read(info, full).get('sha256', 'absent')
            configured = {described.get('path') for described in (info.get('purposes') or {}).values()}
            if held not in ('absent', source_sha) and full not in configured:
                found[host].append('%s: %s holds another file than the cluster\'s %s keystore, which the other nodes '
                                   'keep under that name; the role never overwrites it. Move it away (it is no store '
                                   'this node\'s configuration names).' % (host, full, registry.label(purpose)))
    paths = [plan_['path'] for plan_ in plans.values() if plan_.get('path')]
    for host, info in sorted(infos.items()):
        home = str(info.get('home', '')).rstrip('/')
        links = info.get('links') or {}
        found[host].extend('%s: %s/%s is a symbolic link (to %s) where the cluster\'s keystore goes; the collection '
                           'never writes through a link inside the product home. Remove it.'
                           % (host, home, path, links['%s/%s' % (home, path)]) for path in paths
                           if '%s/%s' % (home, path) in links)
        judged = password_changes(info, flow, paths)
        found[host].extend(judged['refusals'])
        found[host].extend(_vault_key_refusals(host, info, flow))
        truststore = (info.get('purposes') or {}).get('truststore') or {}
        reopened = any(change['purpose'] == 'truststore' for change in judged['changes'])
        if truststore.get('keystore_status') == 'error' and not reopened:
            # the flow adds the cluster's certificates to it: it must open, with the configured password or the new one
            found[host].append('%s: the truststore %s does not open with the password the configuration names (%s). '
                               'Fix the file or its password, or give its real password as %s_truststore_password.'
                               % (host, truststore.get('path'), str((info.get('keystores') or {}).get(
                                   truststore.get('path'), {}).get('error', 'it cannot be opened')).rstrip('.'),
                                  flow['product']))
    return found


def _vault_key_refusals(host, info, flow):
    """encrypt_passwords: the secure vault encrypts with the internal key's RSA public key (WSO2's cipher tool knows
    no other), so the internal keystore the node keeps must hold an RSA key."""
    if not flow.get('encrypt_passwords') or flow.get('fresh_install'):
        return []
    internal = (info.get('purposes') or {}).get('internal') or {}
    entries = ((info.get('keystores') or {}).get(internal.get('path')) or {}).get('entries') or []
    entry = next((item for item in entries if item.get('alias') == str(internal.get('alias') or '').lower()), None)
    if entry is None or entry.get('key_type') in (None, 'rsa'):
        return []
    return ['%s: %s_encrypt_passwords: the internal keystore %s holds an %s key under %r, and WSO2\'s secure vault '
            'encrypts with the internal key\'s RSA public key (the cipher tool knows no other). Give [keystore.internal] '
            'an RSA key pair first; the role never replaces the internal key.'
            % (host, flow['product'], internal.get('path'), str(entry['key_type']).upper(), entry.get('alias'))]


def material_refusals(infos, flow, plans, judged):
    """Sentences for PEM material (``judged``: by purpose, what pem_material said of it) the cluster cannot
    take: its own problems, and a new key for a keystore file that [keystore.internal] also reads on a node
    (WSO2: the internal key never changes on a product that has run)."""
    refusals = []
    for keystore in flow['keystores']:
        described = judged.get(keystore['purpose'])
        if not described:
            continue
        refusals.extend(described['problems'])
        plan_ = plans[keystore['purpose']]
        if described['problems'] or described['mode'] != 'import' or described['same_key_as_current'] is not False:
            continue
        for host, info in sorted(infos.items()):
            internal = (info.get('purposes') or {}).get('internal') or {}
            if internal.get('path') == '%s/%s' % (str(info.get('home', '')).rstrip('/'), plan_['path']) and \
                    internal.get('alias') == plan_['alias']:
                refusals.append('%s_%s_private_key: it would replace the key of %s, which [keystore.internal] also reads '
                                'on %s; data encrypted with that key would become unreadable. Give [keystore.internal] a '
                                'keystore of its own first (run the role without %s_fresh_install).'
                                % (flow['product'], keystore['purpose'], internal['path'], host, flow['product']))
    return refusals


def password_changes(info, flow, cluster_paths):
    """The store passwords to change on this node: {'changes': [{purpose, path, alias, old_password,
    old_key_password, password}], 'refusals': [sentence]}.

    ``flow``: the flow's settings (internal_keystore_password, truststore_password); ``cluster_paths``: the
    cluster keystores' paths relative to the home. The internal keystore gets its own password only when it
    is a file of its own; the internal keystore and the truststore may be one file (Enterprise Integrator
    ships it so), and then they must get one password."""
    purposes = info.get('purposes') or {}
    secrets = info.get('secrets') or {}
    home = str(info.get('home', '')).rstrip('/')
    role = flow['product']
    wanted = {'internal': flow.get('internal_keystore_password') or '',
              'truststore': flow.get('truststore_password') or ''}
    changes, refusals = [], []
    for purpose in ('internal', 'truststore'):
        described = purposes.get(purpose)
        current = (secrets.get(purpose) or {}).get('password')
        if not wanted[purpose] or not described or wanted[purpose] == current:
            continue
        variable = '%s_%s' % (role, 'internal_keystore_password' if purpose == 'internal' else 'truststore_password')
        if described.get('keystore_status') == 'missing':
            continue  # nothing to re-protect; the truststore module creates a new one with the password
        if purpose == 'internal' and any(described.get('path') == '%s/%s' % (home, path) for path in cluster_paths):
            refusals.append('%s: [keystore.internal] reads the cluster\'s keystore %s on %s (%s_fresh_install lets the '
                            'new key serve as the internal one), whose password is %s_keystore_password; the internal '
                            'keystore gets a password of its own only when it is a file of its own.'
                            % (variable, described.get('path'), info.get('home'), role, role))
            continue
        changes.append({'purpose': purpose, 'path': described.get('path'), 'alias': described.get('alias'),
                        'old_password': current, 'old_key_password': (secrets.get(purpose) or {}).get('key_password'),
                        'password': wanted[purpose], 'opens': described.get('keystore_status') == 'ok',
                        'variable': variable})
    by_purpose = {change['purpose']: change for change in changes}
    truststore = purposes.get('truststore') or {}
    if 'internal' in by_purpose and 'truststore' not in by_purpose and truststore.get('path') == by_purpose['internal']['path']:
        refusals.append('%s is both the internal keystore and the truststore on %s; give %s_truststore_password the same '
                        'value as %s_internal_keystore_password.' % (truststore.get('path'), info.get('home'), role, role))
    paths: dict[str, set[str]] = {}
    for change in changes:
        paths.setdefault(change['path'], set()).add(change['password'])
    for path, passwords in paths.items():
        if len(passwords) > 1:
            refusals.append('%s is both the internal keystore and the truststore on %s; give %s_internal_keystore_password '
                            'and %s_truststore_password the same value.' % (path, info.get('home'), role, role))
    return {'changes': changes, 'refusals': refusals}


def pending_tables(info, wanted):
    """The part of ``wanted`` ({table: {key: value}}) the node's config file does not hold yet, judged
    from product_info's ``config_tables`` (read with return_secrets). Only an exact match of value
    and type counts as done: anything else is left to toml_file, which decides for itself."""
    written = info.get('config_tables') or {}
    pending = {}
    for table, settings in wanted.items():
        current = written.get(table) or {}
        if any(key not in current or not _same_toml_value(current[key], value) for key, value in settings.items()):
            pending[table] = settings
    return pending


def _same_toml_value(written, wanted):
    """True when toml_file would leave ``written`` as it is for ``wanted`` (same TOML type and value)."""
    for kind in (bool, str, int, float):  # bool before int: True is an int in Python, not in TOML
        if isinstance(wanted, kind):
            return isinstance(written, kind) and (kind is bool or not isinstance(written, bool)) and written == wanted
    return False  # arrays and inline tables: let toml_file judge


def pkcs12_migration(info, product):
    """What moving a node from JKS to PKCS12 takes, from product_info (read with return_secrets):
    {JKS path: {src, dest, password, key_password, purposes}} and the tables to point at the new files.

    Each JKS store a purpose reads becomes <name>.p12 beside it; a table the file configures gets the
    new file_name (in its style) and type PKCS12. A purpose the product finds by its default file name
    (the JKS file's) gets a table naming the twin; one that follows another purpose by $ref{} follows it
    to the twin."""
    purposes = info.get('purposes') or {}
    secrets = info.get('secrets') or {}
    profile = products.profile_for(product)
    stores: dict[str, dict] = {}
    tables: dict[str, dict] = {}
    for purpose in registry.MIGRATED_PURPOSES:
        described = purposes.get(purpose)
        if not described or described.get('keystore_status') != 'ok':
            continue
        path = described['path']
        if (info.get('keystores') or {}).get(path, {}).get('type') != 'jks':
            continue
        base = path.rsplit('/', 1)[-1]
        new_base = (base[:-4] if base.lower().endswith('.jks') else base) + '.p12'
        store = stores.setdefault(path, {'src': path, 'dest': path[:-len(base)] + new_base, 'purposes': [],
                                         'password': (secrets.get(purpose) or {}).get('password'),
                                         'key_password': (secrets.get(purpose) or {}).get('key_password')})
        store['purposes'].append(purpose)
        if described.get('configured_in_file'):
            tables[described['table']] = {'file_name': products.file_name_for(profile, described.get('file_name'),
                                                                              new_base),
                                          'type': 'PKCS12'}
        elif not str(profile.defaults.get('%s.file_name' % described['table'], '')).startswith('$ref{'):
            tables[described['table']] = {'file_name': products.file_name_for(profile, None, new_base), 'type': 'PKCS12'}
            if purpose == 'truststore':
                tables[described['table']]['password'] = store['password']
    return {'stores': stores, 'tables': tables}


def migration_problems(before, after):
    """Purposes that do not read, after the migration, a PKCS12 store holding what they read before
    (the same key pair; for the truststore, the same certificates)."""
    problems = []
    for purpose in registry.MIGRATED_PURPOSES:
        old = (before.get('purposes') or {}).get(purpose)
        new = (after.get('purposes') or {}).get(purpose)
        if not old or not new:
            continue
        old_store = (before.get('keystores') or {}).get(old.get('path')) or {}
        new_store = (after.get('keystores') or {}).get(new.get('path')) or {}
        if new_store.get('status') != 'ok' or new_store.get('type') != 'pkcs12':
            problems.append('%s (%s is not a PKCS12 store it can open)' % (purpose, new.get('path')))
        elif purpose != 'truststore' and old.get('fingerprint_sha256') != new.get('fingerprint_sha256'):
            problems.append('%s (another key)' % purpose)
        elif _fingerprints(old_store) != _fingerprints(new_store):
            problems.append('%s (other entries)' % purpose)
    return problems


def _fingerprints(store):
    return sorted((entry.get('alias'), entry.get('fingerprint_sha256')) for entry in store.get('entries') or [])
