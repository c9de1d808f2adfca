# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The preflight: the whole cluster judged once from every node's product_info, before any node writes; the plans
of its keystores (wso2/cluster_keys.py, wso2/rotations.py), and what each node refuses, naming the node."""

from __future__ import annotations

from typing import Any

from ansible_collections.carbon.keystores.plugins.module_utils.errors import ClusterError
from ansible_collections.carbon.keystores.plugins.module_utils.wso2.node import NodeRead
from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import (
    cluster_keys, node_tables, products, purposes as registry, rotations, settings, writes,
)


MISPLACED = ('outside_security_folder', 'outside_home')


def plan_keystores(infos, flow, rotation_stamp=None):
    """{purpose: plan} for every cluster keystore of the flow: the server's (TLS) one first, then each one of its
    own of a purpose that follows it, which must not be the followed keystore's file. ``rotation_stamp``
    (playbooks/rotate.yml): the server's plan is a rotation, the one a stopped run left unfinished (its marker on
    the nodes), else a new one named after the stamp."""
    default_type = next((info.get('default_keystore_type') for _host, info in sorted(infos.items())), None)
    unfinished = rotations.rotation_in_progress(infos, flow)
    found: dict[str, dict] = {}
    for keystore in flow['keystores']:
        # a keystore of its own is none of the cluster keystores planned before it (the ones it follows among them)
        distinct_from = tuple(plan_['path'] for plan_ in found.values() if plan_.get('path'))
        served = keystore['purpose'] == registry.SERVER
        if served and unfinished and rotation_stamp is None:
            raise ClusterError(
                'A rotation of the cluster\'s TLS key is unfinished (a run of playbooks/rotate.yml stopped): %s. Finish it '
                'with ansible-playbook -i <inventory> playbooks/rotate.yml -e product_role=%s, which switches the other '
                'nodes to that key, or remove %s from every node to abandon it.' % (
                    unfinished['account'], flow['product'],
                    '%s/%s' % (cluster_keys.security_dir(infos), products.ROTATION_MARKER)))
        if served and rotation_stamp is not None:
            found[registry.SERVER] = rotations.resumed_rotation(infos, unfinished) if unfinished else rotations.rotation_plan(
                cluster_keys.plan(infos, registry.SERVER, flow['source_node'] or None, None), rotation_stamp, sorted(infos),
                cluster_keys.security_dir(infos))
            continue
        planned = cluster_keys.plan(infos, keystore['purpose'], flow['source_node'] or None,
                                    settings.new_keystore(flow, default_type, keystore['purpose']), distinct_from)
        if planned['action'] == 'generate':
            planned = cluster_keys.place_new_keystore(infos, flow, keystore, planned, [item['path'] for item in found.values()])
        found[keystore['purpose']] = planned
    return found


def preflight(infos, flow, rotation_stamp=None, ca_certificates=None):
    """The whole preflight judgement, once for the cluster, from every node's product_info: {'plans': by purpose,
    'refusals': {host: sentences}, what each node does not allow (the flow fails that node, so that the recap names
    the guilty one), 'cluster_refusals': sentences about the cluster as a whole, 'password_changes': by host,
    'reopen': by host, the stores whose new password must be tried because the configured one does not open them,
    'converged': whether the cluster holds everything already (converged; False for a rotation, without
    ``ca_certificates``, the ca_certificates lookup's, and where PEM material is handed over: its judgement comes
    later)}. Nothing is planned for a cluster with a node that cannot be read."""
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
    judged: dict[str, Any] = {'plans': planned, 'refusals': found, 'cluster_refusals': cluster_found,
                              'password_changes': changes, 'reopen': reopen}
    judged['converged'] = bool(ca_certificates is not None and not rotation_stamp and not cluster_found and
                               not any(found.values()) and not any(item['certificate'] for item in flow['keystores']) and
                               converged(infos, flow, {}, ca_certificates, judged))
    return judged


def converged(infos, flow, judged_, ca_certificates, preflight_):
    """Whether the whole cluster already holds what this run would write, judged from the preflight alone: no cluster
    keystore to build, and on every node no store password to change or store to reopen, no cluster keystore it
    lacks, no table its configuration lacks, no certificate its truststore lacks. The flow then skips its steps
    (main.yml), so that a converged cluster costs the preflight's tasks only. The secure vault and the move to PKCS12
    are steps of their own (module runs in memory) that only running them judges: with either, the answer is False.
    ``judged_``: {purpose: the pem_material lookup's judgement}; ``ca_certificates``: the ca_certificates lookup's."""
    plans = preflight_.get('plans') or {}
    if not plans or flow['encrypt_passwords'] or flow['migrate_to_pkcs12'] or \
            cluster_keys.builds(plans, flow, judged_, infos):
        return False
    if any(preflight_['password_changes'].get(host) or preflight_['reopen'].get(host) for host in infos):
        return False
    clusters = cluster_keys.cluster_keystores(plans, {}, infos)
    if any(keystore['needs'] for keystore in clusters.values()):
        return False
    keep_internal = settings.keep_internal(flow, False)
    return not any(node_tables.table_step(info, flow, clusters, keep_internal)['pending'] or
                   node_tables.trust_step(info, flow, clusters, ca_certificates, [])['needed'] for info in infos.values())


def node_refusals(infos, flow, plans):
    """{host: sentences} of what each node refuses once every node has been read and the plans are made: a
    cluster keystore the role's password does not open (on the node it is taken from), password changes a node
    cannot take, a truststore that opens with no password the run knows."""
    found: dict[str, list[str]] = {host: [] for host in infos}
    for purpose, plan_ in sorted(plans.items()):
        source = plan_.get('source')
        if source and not plan_.get('adopted') and \
                NodeRead(infos[source]).secret(purpose) != flow['keystore_password']:
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
            configured = {described.get('path') for described in NodeRead(info).purposes.values()}
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
        found[host].extend(_hard_coded_refusals(host, info, flow))
        found[host].extend(_unresolved_truststore(host, info, flow))
        truststore = NodeRead(info).described('truststore')
        reopened = any(change['purpose'] == 'truststore' for change in judged['changes'])
        if truststore.get('keystore_status') == 'error' and not reopened:
            # the flow adds the cluster's certificates to it: it must open, with the configured password or the new one
            found[host].append('%s: the truststore %s does not open with the password the configuration names (%s). '
                               'Fix the file or its password, or give its real password as %s_truststore_password.'
                               % (host, truststore.get('path'), str((info.get('keystores') or {}).get(
                                   truststore.get('path'), {}).get('error', 'it cannot be opened')).rstrip('.'),
                                  flow['product']))
    return found


def _hard_coded_refusals(host, info, flow):
    """What a version whose templates hard-code a store's settings (Micro Integrator 1.2 and Enterprise Integrator 7:
    <InternalKeyStore> is the pack's wso2carbon.jks with the password wso2carbon; Micro Integrator serves TLS from
    [keystore.primary]) cannot take. The secure vault works there with the internal keystore's own password."""
    role = flow['product']
    node = NodeRead(info)
    profile = node.profile(role)
    found: list[str] = []
    if profile.hard_codes('internal'):
        internal = registry.get('internal')
        file_name, password = (profile.fixed[internal.setting(key)] for key in ('file_name', 'password'))
        wanted = flow.get('internal_keystore_password')
        if wanted and wanted != password:
            found.append('%s: %s reads its internal keystore as the pack ships it (its carbon.xml names the pack\'s %s '
                         'with the password %s, whatever [keystore.internal] says), so %s_internal_keystore_password '
                         'cannot take effect; leave it empty, or give that password (%s_encrypt_passwords opens the '
                         'secure vault\'s key with it).' % (host, profile.label, file_name, password, role, role))
        # product_info reads the internal keystore where the release pins it
        pinned_path = node.described('internal').get('path')
        trust_wanted = flow.get('truststore_password')
        if trust_wanted and trust_wanted != password and node.described('truststore').get('path') == pinned_path:
            found.append('%s: [truststore] names %s, the file %s opens as its internal keystore with the password %s, '
                         'so %s_truststore_password would lock the product out of its internal key; leave it empty '
                         '(or %s), or give [truststore] a file of its own first.'
                         % (host, pinned_path, profile.label, password, role, password))
    for purpose in registry.CLUSTER_KEYSTORES:
        cluster = purpose.cluster
        if cluster and cluster.separate and flow.get(cluster.separate) and profile.hard_codes(cluster.follows):
            followed = registry.get(cluster.follows)
            found.append('%s: %s reads no [%s]: it serves the %s keystore\'s key from [%s], so %s_%s would leave the '
                         'cluster\'s %s key unused; leave it false.' % (host, profile.label, followed.table,
                                                                        followed.label, purpose.table, role,
                                                                        cluster.separate, followed.label))
    return found


def _unresolved_truststore(host, info, flow):
    """A bare [truststore] name kept from a Micro Integrator 1.2 file on a version that reads every relative name from
    the home: the product finds no truststore there, while the security folder holds the one the name meant. The flow
    would otherwise build a new truststore at the name without the entries of the one the operator meant."""
    node = NodeRead(info)
    profile = node.profile(flow['product'])
    truststore = node.described('truststore')
    name = str(truststore.get('file_name') or '')
    meant = '%s/%s/%s' % (str(info.get('home', '')).rstrip('/'), profile.security_dir, name)
    if profile.file_name_style != 'home_relative' or not name or '/' in name or \
            truststore.get('keystore_status') != 'missing' or \
            (info.get('contents') or {}).get(meant, {}).get('sha256', 'absent') == 'absent':
        return []
    return ['%s: [truststore] file_name = "%s" in %s names %s, which does not exist: %s reads a name without a folder '
            'from the home, not from %s as Micro Integrator 1.2 did. Set file_name = "%s/%s" to keep the truststore '
            'and its entries in %s.' % (host, name, info.get('config_file'), truststore.get('path'), profile.label,
                                        profile.security_dir, profile.security_dir, name, meant)]


def _vault_key_refusals(host, info, flow):
    """encrypt_passwords: the secure vault encrypts with the internal key's RSA public key (WSO2's cipher tool knows
    no other), so the internal keystore the node keeps must hold an RSA key."""
    if not flow.get('encrypt_passwords') or flow.get('fresh_install'):
        return []
    internal = NodeRead(info).described('internal')
    entries = NodeRead(info).store(internal.get('path')).get('entries') or []
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
            internal = NodeRead(info).described('internal')
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
