# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What one module run writes on a node (remote_files' ``writes``), in order: the cluster keystores the node lacks,
then the files the flow computed in memory, the configuration after the files it names. Each item is a
compare-and-swap against what the preflight read (or, for a file written twice in the run, against what the item
before it wrote), and carries the diff that shows it: a configuration as text with its secrets masked, a keystore as
its entries. Nothing here reads or writes a file."""

from __future__ import annotations

import base64
import hashlib
from typing import Any, Optional, TypedDict

from ansible_collections.carbon.keystores.plugins.module_utils.errors import ClusterError, RequestError
from ansible_collections.carbon.keystores.plugins.module_utils.keystore import inspection
from ansible_collections.carbon.keystores.plugins.module_utils.toml import edit as toml_edit
from ansible_collections.carbon.keystores.plugins.module_utils.wso2.node import NodeRead
from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import home, products, vault

ABSENT = 'absent'
HIDDEN = '(a password, not shown)\n'


def preflight_read(info, path):
    """What the preflight read of ``path`` on this node (product_info's contents): sha256 and base64 content, or {}
    when it read nothing there."""
    return (info.get('contents') or {}).get(path) or {}


class Steps(TypedDict, total=False):
    """What the flow's steps computed for one node, in memory, for write.yml to write (a step that did not run is left
    out or None): each step file records its result here (the fact __keystore_flow_steps), and nothing else passes
    between them."""
    truststore: Optional[dict]       # truststore.yml: the truststore task's result
    config: Optional[dict]           # configure.yml: the configuration as it leaves it (with the vault's files)
    internal: list                   # passwords.yml: the re-protected internal keystore (its loop's results)
    password_config: Optional[dict]  # passwords.yml: the configuration that names the new passwords
    marker: Optional[str]            # rotate_stage.yml: the base64 of the rotation's marker


STEPS = tuple(Steps.__annotations__)


def with_steps(steps, results) -> Steps:
    """``steps`` (Steps) with ``results`` ({step: result}) recorded; a step the flow does not know is a bug of the
    flow, said as such."""
    unknown = sorted((set(steps or {}) | set(results)) - set(STEPS))
    if unknown:
        raise RequestError('The flow has no step %s (it knows %s).' % (', '.join(unknown), ', '.join(STEPS)))
    recorded: Steps = {}
    for name, result in list((steps or {}).items()) + list(results.items()):
        recorded[name] = result  # type: ignore[literal-required]
    return recorded


def node_writes(info, host, flow, clusters, steps: Steps, diff=False):
    """The node's writes, in order: the cluster keystores it lacks (``clusters``: cluster_keystores), then what the
    flow's steps computed (``steps``): the truststore, the secure vault's files, the
    configuration, the re-protected internal keystore, the configuration that names its password, the marker. The
    configuration comes after the files it names, so that a run that stops midway leaves a node the next run
    finishes. ``diff``: each item carries its diff (diff mode). password-tmp, which the server deletes once it has read
    it at start, is written only with another write: a run that changes nothing else leaves it deleted."""
    home = str(info['home']).rstrip('/')
    configured = {described.get('path') for described in (info.get('purposes') or {}).values()}
    items = []
    for _purpose, keystore in sorted(clusters.items()):
        if host in keystore['needs']:
            path = '%s/%s' % (home, keystore['path'])
            found = preflight_read(info, path).get('sha256', ABSENT)
            if found not in (ABSENT, hashlib.sha256(base64.b64decode(keystore['content'])).hexdigest()) and \
                    path not in configured:
                # not this node's own copy of the cluster keystore (an older chain of it): someone else's file
                raise ClusterError('%s: %s holds a file that is not the cluster\'s keystore (another writer put it there '
                                   'after this run chose the name); the role never overwrites it. Nothing more was '
                                   'written on %s: run again, and the role chooses another name.' % (host, path, host))
            items.append({'path': path, 'content': keystore['content'], 'mode': '0600', 'backup': True,
                          'diff': {'before': stored_entries_text(info, path), 'after': keystore.get('entries_text', '')}})
    config = info['config_file']
    truststore = ((info.get('purposes') or {}).get('truststore') or {}).get('path')
    computed = [{'path': truststore, 'result': steps.get('truststore')}] if truststore else []
    # the vault's files as the last step that encrypted leaves them (passwords.yml adds the new store passwords)
    vaulted = steps.get('password_config') if 'properties_file' in (steps.get('password_config') or {}) \
        else steps.get('config')
    computed.extend(vault_files(info, flow, vaulted))
    computed.append({'path': config, 'result': steps.get('config'), 'text': True})
    computed.extend({'path': result['item']['path'], 'result': result} for result in steps.get('internal') or [])
    computed.append({'path': config, 'result': steps.get('password_config'), 'text': True})
    if steps.get('marker'):
        computed.append(marker_item(info, steps['marker']))
    found = computed_writes(info, computed, diff, items)
    # password-tmp is for the start after a change, which deletes it: missing alone, the product has read it already
    if all(item['path'] == '%s/%s' % (home, vault.PASSWORD_TMP) for item in found):
        return []
    return found


def marker_item(info, content):
    """The write of a rotation's marker (rotations.rotation_marker_content), after the files it speaks of; owned like
    the configuration."""
    path = '%s/%s/%s' % (str(info['home']).rstrip('/'), NodeRead(info).security_dir, products.ROTATION_MARKER)
    read = preflight_read(info, path)
    return {'path': path, 'owner_like': info['config_file'], 'result': {
        'changed': read.get('content', '') != content, 'content': content,
        'shown_diff': {'before': base64.b64decode(read.get('content', '')).decode('utf-8', 'replace'),
                       'after': base64.b64decode(content).decode('utf-8', 'replace')}}}


def computed_writes(info, computed, diff=False, before=(), earlier=()):
    """The writes of files computed in memory (``computed``: [{path, result, owner_like, text}], the path as the flow
    knows it, never the result's own), after the writes ``before``, in order, each against what the preflight read;
    only those that changed. ``text``: the file is a configuration, shown as text with its secrets masked; else the
    diff is the task's own (a keystore's entries). ``diff``: each item carries its diff (diff mode). ``earlier``:
    writes already chained that the same module run makes first (chained); ``info`` then describes the node as they
    leave it (node_after)."""
    items = list(before) + [computed_item(info, item, diff) for item in computed if changed(item.get('result'))]
    if not diff:
        for item in items:
            item.pop('diff', None)
    return chained(info, items, earlier)


def config_now(info, results):
    """Base64 of the configuration as the last of ``results`` (in-memory tasks on it) that changed it left it, else as
    the preflight read it: what the next step of the flow starts from."""
    for result in reversed(results):
        if changed(result):
            return result['content']
    return preflight_read(info, info['config_file']).get('content', '')


def store_now(info, path, results):
    """Base64 of the store at ``path`` as the last of ``results`` (in-memory tasks on stores) that changed that very
    file left it, else as the preflight read it: Enterprise Integrator ships one file as its internal keystore and its
    truststore, and the internal keystore's new password must not undo the certificates the truststore step added."""
    for result in reversed(results):
        if changed(result) and result.get('path') == path:
            return result['content']
    return preflight_read(info, path).get('content', '')


def changed(result):
    return bool(result) and not result.get('skipped') and bool(result.get('changed'))


def computed_item(info, item, diff=True):
    result = item['result']
    if not diff:
        shown = None
    elif item.get('text'):
        before = base64.b64decode(preflight_read(info, item['path']).get('content', ''))
        shown = {'before': config_text(before), 'after': config_text(base64.b64decode(result['content']))}
    else:
        shown = result.get('shown_diff') or _entries_or_text(result.get('diff'), result.get('changes'))
    written = {'path': item['path'], 'content': result['content'], 'mode': None, 'backup': False, 'diff': shown}
    if item.get('owner_like'):
        written['owner_like'] = item['owner_like']
    return written


def chained(info, items, earlier=()):
    """``items`` as compare-and-swaps inside the node's home (never through a link below it): the first write of a
    path against the preflight's read of it, a later one against what the item before it wrote. A path written twice
    shows one diff, from the first state to the last, on its last write. ``earlier``: writes already chained that the
    same module run makes before ``items`` (the flow's, before the migration's); they come first in the result, and a
    path they write is compared, and shown, from what they leave."""
    done = [dict(item) for item in earlier]
    last_content: dict[str, Any] = {}
    first_before: dict[str, Any] = {}
    last_index: dict[str, int] = {}
    for index, item in enumerate(done):
        last_content[item['path']] = item['content']
        last_index[item['path']] = index
        if item.get('diff'):
            first_before[item['path']] = item['diff'].get('before', '')
    for index, item in enumerate(items, len(done)):
        path = item['path']
        item['within'] = str(info['home'])  # the write never follows a link below the home (remote_files)
        if path in last_content:
            item['expected_sha256'] = hashlib.sha256(base64.b64decode(last_content[path])).hexdigest()
        else:
            item['expected_sha256'] = preflight_read(info, path).get('sha256', ABSENT)
            first_before[path] = (item.get('diff') or {}).get('before', '')
        last_content[path] = item['content']
        last_index[path] = index
    for item in done:
        if last_index[item['path']] >= len(done):
            item.pop('diff', None)  # a later item writes the path again: the diff is shown there
    for index, item in enumerate(items, len(done)):
        diff = item.pop('diff', None)
        if diff and last_index[item['path']] == index:
            item['diff'] = {'before': first_before.get(item['path'], ''), 'after': diff.get('after', ''),
                            'before_header': item['path'], 'after_header': item['path']}
    return done + list(items)


def node_after(info, items, internal_keystore_password=None):
    """The node as ``items`` (its writes, in order) leave it, judged on the controller as product_info judges a home:
    its result (with secrets and contents) computed from the preflight's read ``info`` with the writes laid over it,
    so that a later step of the same run (the move to PKCS12) starts from what the flow writes, and the verification
    judges what the write left, without reading the node again. Symbolic links are the preflight's to judge
    (write_refusals); folders and links are carried over.

    ``rests_on``: {path: SHA-256 or 'absent'} of every file the judgement read (or found missing), for the write to
    report back (write_confirms); None where the home has symbolic links, which only a read of the node judges."""
    contents = {path: dict(read) for path, read in (info.get('contents') or {}).items()}
    for written in overlay(items):  # the last content of each path
        contents[written['path']] = dict(contents.get(written['path']) or {}, content=written['content'],
                                         sha256=hashlib.sha256(base64.b64decode(written['content'])).hexdigest())
    rests_on = {}

    def read(path):
        found = contents.get(path) or {}
        # a path the read did not reach counts as absent; one it listed by name only ('unread') matches no digest
        rests_on[path] = found.get('sha256', ABSENT)
        if rests_on[path] in (ABSENT, 'unread'):
            return None
        return base64.b64decode(found.get('content', ''))

    product = str(info['product'])
    # the release the preflight found, not one guessed again from the files this read holds
    version = NodeRead(info).profile(product).versions[0]
    after = home.inspect(product, str(info['home']), read, version, return_secrets=True,
                         internal_keystore_password=internal_keystore_password or None)
    after.update(contents=contents, folders=info.get('folders') or {}, links=info.get('links') or {},
                 rests_on=None if info.get('links') else rests_on)
    return after


def write_confirms(written, after):
    """Whether the SHA-256s a write run returned (remote_files' ``sha256s``) show that the node holds exactly the files
    ``after`` (node_after) was judged on: then that judgement is the node's, and nothing needs to be read again."""
    expected = after.get('rests_on')
    return bool(expected) and (written or {}).get('sha256s') == expected


def _entries_or_text(diff, changes=()):
    """A task's diff as remote_files shows it. A keystore's entries that stay the same (a store given a password of
    its own) say what changed instead, so that the diff is not empty."""
    if not diff:
        return None
    shown = {'before': diff.get('before', ''), 'after': diff.get('after', '')}
    if shown['before'] == shown['after'] and changes:
        shown['after'] += '(same entries; %s)\n' % '; '.join(changes)
    return shown


def stored_entries_text(info, path):
    """The entries of the keystore at ``path`` as the preflight read it: one line each, or a line saying what the
    file is where the preflight did not open it; '' when there is no file."""
    described = (info.get('keystores') or {}).get(path)
    if described and described.get('status') == 'ok':
        return entries_text(described.get('entries') or [])
    read = preflight_read(info, path)
    if read.get('sha256', ABSENT) not in (ABSENT, 'unread'):
        return '(a file this run did not open, SHA-256 %s)\n' % read['sha256']
    return '(a file this run did not read)\n' if read.get('sha256') == 'unread' else ''


def entries_text(entries):
    """Keystore entries (as keystore_info and product_info describe them), one diff line each."""
    return ''.join(inspection.entry_line(entry) + '\n' for entry in entries)


def config_text(data):
    """A configuration file's bytes as a diff shows them: every secret-looking value and every [secrets] value
    masked."""
    return vault.mask_secrets_table(toml_edit.mask_secrets(data.decode('utf-8', 'replace')))


def vault_files(info, flow, vaulted):
    """encrypt_passwords: the secure vault's files among a node's writes (node_writes' computed items), owned like the
    configuration: secret-conf.properties (and cipher-text.properties where the product's config tool does not render
    it) as vault.yml computed it (``vaulted``: its result), and with
    keystore_password_file the internal keystore's password in password-persist or password-tmp, for the server to
    read at start."""
    if not flow.get('encrypt_passwords') or not vaulted or vaulted.get('skipped') or 'properties_file' not in vaulted:
        return []
    config = info['config_file']
    properties = vaulted['properties_file']
    before = base64.b64decode(preflight_read(info, properties).get('content', '')).decode('utf-8', 'replace')
    after = base64.b64decode(vaulted['properties_content']).decode('utf-8', 'replace')
    # each against what the preflight read: the step that encrypted last started from an earlier step's files
    items = [{'path': properties, 'owner_like': config,
              'result': {'changed': preflight_read(info, properties).get('content', '') != vaulted['properties_content'],
                         'content': vaulted['properties_content'],
                         'shown_diff': {'before': before, 'after': after}}}]
    if vaulted.get('cipher_text_file'):
        # the product's config tool does not render it: the values of [secrets], as the vault step left them
        cipher_text = vaulted['cipher_text_file']
        read = preflight_read(info, cipher_text).get('content', '')
        items.append({'path': cipher_text, 'owner_like': config, 'result': {
            'changed': read != vaulted['cipher_text_content'], 'content': vaulted['cipher_text_content'],
            'shown_diff': {'before': vault.mask_properties(read),
                           'after': vault.mask_properties(vaulted['cipher_text_content'])}}})
    if flow.get('keystore_password_file', 'none') != 'none':
        path = '%s/password-%s' % (str(info['home']).rstrip('/'), flow['keystore_password_file'])
        content = base64.b64encode(('%s\n' % flow['vault_password']).encode('utf-8')).decode('ascii')
        read = preflight_read(info, path)
        items.append({'path': path, 'owner_like': config, 'result': {
            'changed': read.get('content', '') != content, 'content': content,
            'shown_diff': {'before': HIDDEN if read.get('sha256', ABSENT) != ABSENT else '',
                           'after': '(the internal keystore\'s password, not shown)\n'}}})
    return items


def overlay(writes):
    """What product_info judges, in check mode, as the files these writes leave (its ``overlay``): the last content
    of each path."""
    last = {}
    for item in writes or []:
        last[item['path']] = item['content']
    return [{'path': path, 'content': content} for path, content in last.items()]


def digests(writes):
    """{path: SHA-256} of what these writes leave (remote_files' ``assume`` in check mode: a later write of the same
    run is compared against what an earlier one would have left, as the real run compares it)."""
    return {item['path']: hashlib.sha256(base64.b64decode(item['content'])).hexdigest()
            for item in overlay(writes)}


def write_refusals(info, host, flow, items):
    """Sentences for the writes ``items`` this node cannot make: a symbolic link where a file would be written or in its
    folder (product_info's ``links``), a folder that does not exist, or that the account the role writes as cannot
    create files in (``folders``), each naming the files and the variable that asks for them. The flow refuses them
    before any node writes anything."""
    role = flow['product']
    folders = info.get('folders') or {}
    links = info.get('links') or {}
    by_folder: dict[str, list[str]] = {}
    for item in items:
        by_folder.setdefault(item['path'].rsplit('/', 1)[0], []).append(item['path'])
    found, named = [], set()
    for item in items:
        for linked in (item['path'], item['path'].rsplit('/', 1)[0]):
            if linked in links and linked not in named:
                named.add(linked)
                name = item['path'].rsplit('/', 1)[1]
                found.append('%s: %s is a symbolic link (to %s), and the run would write %s there; the collection never '
                             'writes through a link inside the product home. Put the file or folder itself there; '
                             'nothing was written on any node.' % (host, linked, links[linked], name))
    for item in items:
        mode = preflight_read(info, item['path']).get('mode')
        if mode and not int(mode, 8) & 0o200 and item.get('mode') is None:
            found.append('%s: %s is read-only (mode %s), and the run would rewrite it: its owner made it so. Give the owner '
                         'write permission to let the role change it; nothing was written on any node.'
                         % (host, item['path'], mode))
    for folder, paths in sorted(by_folder.items()):
        described = folders.get(folder)
        if described is None or (described.get('kind') == 'directory' and described.get('writable')):
            continue
        names = ', '.join(path.rsplit('/', 1)[1] for path in paths)
        why = _asked_by(info, role, paths)
        if described.get('kind') != 'directory':
            found.append('%s: the folder %s does not exist, and the run writes %s there (%s). Create it, owned by the '
                         'product\'s account, as the product pack ships it; nothing was written on any node.'
                         % (host, folder, names, why))
        else:
            found.append('%s: the account the role writes as cannot create files in %s, where the run writes %s (%s). '
                         'Run the role as the product\'s account (become_user) or give that account the folder; '
                         'nothing was written on any node.' % (host, folder, names, why))
    return found


def _asked_by(info, role, paths):
    """Which variable makes the run write ``paths``."""
    names = {path.rsplit('/', 1)[1] for path in paths}
    if names & {'password-persist', 'password-tmp'}:
        return '%s_keystore_password_file' % role
    if vault.PROPERTIES_FILE in names:
        return '%s_encrypt_passwords' % role
    return 'the keystores of %s_home=%s' % (role, info.get('home'))


def claim(info, items, clusters):
    """Of a node's writes, the cluster keystores generated this run: written to the cluster's first node before any
    other write of the run, as a compare-and-swap against their absence. Of two controllers converging one cluster at
    once, only one claims the file; the other stops before writing anything, and its next run adopts the claimed
    keystore (cluster_keys.place_new_keystore) instead of splitting the cluster between two keys."""
    home = str(info['home']).rstrip('/')
    generated = {'%s/%s' % (home, keystore['path']) for keystore in clusters.values() if keystore.get('generated')}
    return [item for item in items if item['path'] in generated]


def marker_write(info, content):
    """The write that records a rotation as finished on this node, whatever the marker holds now."""
    item = marker_item(info, content)
    return [{'path': item['path'], 'content': content, 'mode': None, 'backup': False, 'within': str(info['home']),
             'owner_like': item['owner_like']}] if item['result']['changed'] else []
