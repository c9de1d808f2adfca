#!/usr/bin/python
# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: remote_files
short_description: Read several files in one go, or compare-and-swap one file (the collection's file transport)
version_added: 0.2.0
description:
  - The managed-host half of every carbon.keystores module. The collection's action plugins parse, decide
    and encrypt on the controller; this module is what they run on the managed host to read the files they
    need (several files and folders in one module run) and to write a file back.
  - A write is a compare-and-swap. Under a lock on the file's folder the file must still have the SHA-256
    the caller read (or still be absent), then a complete temporary file in the same folder is flushed to
    disk and renamed over it. A crash leaves the old or the new file, never a torn one. A concurrent writer
    makes the write fail with C(conflict=true) instead of losing its change; the action plugins then read
    again and retry.
  - Uses the Python standard library only, so managed hosts need nothing beyond what Ansible needs.
  - Playbooks normally use M(carbon.keystores.keystore), M(carbon.keystores.truststore),
    M(carbon.keystores.toml_file) and M(carbon.keystores.product_info) instead.
author:
  - carbon.keystores developers (@carbon-keystores)
requirements:
  - Python 3 on the managed host; the standard library only.
extends_documentation_fragment:
  - ansible.builtin.files
attributes:
  check_mode:
    support: full
    description: Reads in check mode; a write reports what it would do and writes nothing.
  diff_mode:
    support: partial
    description:
      - With O(writes), the diff each item brings (O(writes[].diff)) for the files the run changes, or would change.
      - Otherwise the calling modules show the diff.
  platform:
    support: full
    platforms: posix
    description: Any POSIX host with Python.
options:
  read:
    description:
      - Files to read. Each is described in RV(files) with its kind, size, SHA-256 and base64 content.
    type: list
    elements: path
    default: []
  folders:
    description:
      - Folders whose regular files (directly inside, names ending with one of O(suffixes)) are read too.
    type: list
    elements: path
    default: []
  suffixes:
    description:
      - Name endings (case-insensitive) of the files read from O(folders); empty for every file.
    type: list
    elements: str
    default: []
  folder_content:
    description:
      - Shell patterns of the names of O(folders)' files whose contents are read; the others are described by kind
        and size only (no C(content), no C(sha256)), so that a folder holding many files nobody asked about costs no
        memory.
    type: list
    elements: str
    default: ['*']
    version_added: 0.4.0
  max_size:
    description:
      - Files bigger than this many bytes are described as V(too_large) and not read.
    type: int
    default: 33554432
  write:
    description:
      - The file to write. Mutually exclusive with O(read) and O(folders).
    type: path
  content:
    description:
      - Base64 of the bytes to write to O(write).
    type: str
  expected_sha256:
    description:
      - The SHA-256 the file O(write) must still have, or V(absent) when it must still not exist.
      - Omit to write whatever the file holds now.
    type: str
  new_file_mode:
    description:
      - The mode of a file O(write) creates when O(mode) is not given.
    type: str
    default: '0600'
  backup:
    description:
      - Keep a timestamped copy of the file O(write) replaces.
    type: bool
    default: false
  writes:
    description:
      - Several files to write in one module run, in order, each a compare-and-swap as O(write) is. A file that
        already holds the bytes is left as it is; the first item that fails stops the rest, and RV(results) says
        which were written. Mutually exclusive with O(write), O(read) and O(folders).
      - A path may come more than once (a configuration written before and after a keystore it names); each item is
        compared against what the item before it wrote, in check mode too.
      - The product roles write a node's cluster keystores, truststore and configuration this way, the files the
        configuration names before the configuration.
    type: list
    elements: dict
    version_added: 0.3.0
    suboptions:
      path:
        description: The file to write.
        type: path
        required: true
      content:
        description: Base64 of its bytes.
        type: str
        required: true
      expected_sha256:
        description: The SHA-256 the file must still have, or V(absent); omit to write whatever it holds now.
        type: str
      mode:
        description: Its mode, as O(mode) is.
        type: raw
      new_file_mode:
        description: The mode of a new file when O(writes[].mode) is not given.
        type: str
        default: '0600'
      backup:
        description: Keep a timestamped copy of the file it replaces.
        type: bool
        default: false
      owner_like:
        description:
          - Give the file the owner and group of this file (the product roles name the configuration file, so that the
            secure vault's files belong to the product's account whoever runs the task).
        type: path
        version_added: 0.3.0
      within:
        description:
          - The product home this file lies in. The write then reaches the file's folder from there one name at a time
            without following a symbolic link, and refuses a link anywhere below the home, or at the file itself, and a
            path outside the home; it reads, locks, creates and renames relative to that folder, and gives the file its
            mode and owner through its own descriptor. The product roles give every write its node's home, so that
            whoever can write the product's folders cannot make a root run write elsewhere.
        type: path
        version_added: 0.4.0
      diff:
        description:
          - What to show of this file's change in diff mode (C(before), C(after), C(before_header), C(after_header)),
            computed by the caller with every secret masked; returned in RV(diff) when the file changes, or would
            change in check mode. The product roles give each configuration file as text with its passwords masked,
            and each keystore as its entries (alias, subject, SHA-256, expiry).
        type: dict
        version_added: 0.4.0
  report_sha256:
    description:
      - With O(writes), files whose SHA-256 the run returns once its writes are done (RV(sha256s)), so that the caller
        can tell the node holds exactly the bytes it judged, without reading it again. In check mode, a file the run
        would write is reported as it would be after the write.
      - The product roles give the files their verdict on the node rests on (the configuration, the stores it names, the
        secure vault's files).
    type: list
    elements: path
    default: []
    version_added: 0.4.0
  assume:
    description:
      - In check mode only, with O(writes), what earlier writes of the same run would have left (path to SHA-256).
        An item of such a path is compared against that instead of the file, as the real run would compare it after
        those writes. Ignored outside check mode.
    type: dict
    version_added: 0.4.0
seealso:
  - module: carbon.keystores.keystore
  - module: carbon.keystores.product_info
'''

EXAMPLES = r'''
- name: Read a config file and every keystore of the security folder in one module run
  carbon.keystores.remote_files:
    read:
      - /opt/wso2is/repository/conf/deployment.toml
    folders:
      - /opt/wso2is/repository/resources/security
    suffixes: [.jks, .p12, .pfx]
  register: read

- name: Write it back only if nobody changed it meanwhile
  carbon.keystores.remote_files:
    write: /opt/wso2is/repository/conf/deployment.toml
    content: "{{ new_config | b64encode }}"
    expected_sha256: "{{ read.files[0].sha256 }}"
'''

RETURN = r'''
files:
  description: For each file of O(read), in order, what was found.
  returned: when reading
  type: list
  elements: dict
  contains:
    path:
      description: The path as given.
      type: str
      sample: /opt/wso2is/repository/conf/deployment.toml
    kind:
      description: V(file), V(missing), V(directory), V(other) (a device or socket), V(too_large) or V(error).
      type: str
      sample: file
    size:
      description: Size in bytes.
      type: int
      returned: for a file
      sample: 2120
    sha256:
      description: SHA-256 of the content, in hexadecimal.
      type: str
      returned: for a file that was read
    content:
      description: The content, base64.
      type: str
      returned: for a file that was read
    realpath:
      description: Where the path really is, symbolic links resolved.
      type: str
      returned: for an existing path
    link:
      description: Whether the path itself is a symbolic link.
      type: bool
      returned: for an existing path
    mode:
      description: The permissions, in octal.
      type: str
      returned: for an existing path
      sample: '0640'
    writable:
      description: Whether the account the module runs as can create files in it.
      type: bool
      returned: for a directory
      version_added: 0.4.0
    error:
      description: Why the path could not be read.
      type: str
      returned: when RV(files[].kind) is V(error)
      sample: Permission denied
folders:
  description: For each folder of O(folders), in order, its files.
  returned: when reading
  type: list
  elements: dict
  contains:
    path:
      description: The folder as given.
      type: str
    files:
      description: By file name, each described as in RV(files) (without C(path)); empty when the folder does not exist.
      type: dict
sha256:
  description: The SHA-256 of the file after the write.
  returned: when writing
  type: str
backup_file:
  description: The backup of the replaced file.
  returned: when writing with O(backup) and the file existed
  type: str
results:
  description: With O(writes), per item written or left as it was, in order.
  returned: with O(writes)
  type: list
  elements: dict
  version_added: 0.3.0
  contains:
    path:
      description: The file.
      type: str
    changed:
      description: Whether it was written (false when it already held the bytes).
      type: bool
    sha256:
      description: Its SHA-256 after the write.
      type: str
    backup_file:
      description: The backup of the file it replaced, with O(writes[].backup).
      type: str
diff:
  description: With O(writes) in diff mode, the O(writes[].diff) of each file that changed (or would change).
  returned: with O(writes) in diff mode, when a changed item brings a diff
  type: list
  elements: dict
  version_added: 0.4.0
sha256s:
  description:
    - With O(writes) and O(report_sha256), each file's SHA-256 after the writes (what it would be, in check mode), by
      path as given; V(absent) for a file that does not exist, V(unreadable) for one the run cannot read.
  returned: with O(writes) and O(report_sha256), when every write was made
  type: dict
  version_added: 0.4.0
conflict:
  description: True when the write was refused because the file changed after it was read.
  returned: when a write was refused for that reason
  type: bool
conflict_path:
  description: With O(writes), the file whose change refused the write.
  returned: when a write of O(writes) was refused because the file changed after it was read
  type: str
  version_added: 0.4.0
'''

import base64
import binascii
import os
import stat

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.carbon.keystores.plugins.module_utils._transport import files as transport
from ansible_collections.carbon.keystores.plugins.module_utils.errors import Conflict, FileProblem


def read(module):
    params = module.params
    module.exit_json(changed=False, **transport.read_many(params['read'], params['folders'], params['suffixes'],
                                                          params['max_size'], params['folder_content']))


def swap(module, path, data, expected_sha256, new_file_mode, backup, leave_identical=False, predicted=None, within=None,
         ownership=(None, None)):
    """One compare-and-swap of ``path`` to ``data`` under the folder lock: {changed, sha256, backup_file}.
    ``leave_identical``: a file that already holds the bytes is not rewritten (and no conflict: another run, or a
    claim of this one, wrote just what this write wanted). ``predicted``: in check mode,
    {path: SHA-256} of what the earlier items of this run would have written; a later item of the same path is
    compared against that instead of the disk, as the real run would compare it."""
    after = transport.sha256_of(data)
    predicted = {} if predicted is None else predicted
    if within:
        done = transport.swap_within(module, within, path, data, expected_sha256, new_file_mode, backup,
                                     module.params.get('mode'), ownership[0], ownership[1], leave_identical,
                                     predicted.get(path))
        if module.check_mode and done['changed']:
            predicted[path] = after
        return done
    with transport.folder_lock(path):
        if leave_identical and (predicted.get(path) if module.check_mode and path in predicted
                                else transport.current_sha256(path)) == after:
            return dict(changed=False, sha256=after)  # already what it must be, whoever wrote it
        before = transport.check_unchanged(path, expected_sha256, predicted.get(path) if module.check_mode else None)
        if module.check_mode:
            predicted[path] = after
            return dict(changed=before != after, sha256=after)
        backup_file = transport.replace(module, path, data, None, new_file_mode, backup)
    return dict(changed=True, sha256=after, backup_file=backup_file)


def write(module):
    params = module.params
    try:
        data = base64.b64decode(params['content'] or '', validate=True)
    except (binascii.Error, ValueError):
        module.fail_json(msg='content must be base64.')
    try:
        result = swap(module, params['write'], data, params['expected_sha256'], params['new_file_mode'],
                      params['backup'])
    except Conflict as exc:
        module.fail_json(msg=str(exc), conflict=True)
    except FileProblem as exc:
        module.fail_json(msg=str(exc))
    if not result.get('backup_file'):
        result.pop('backup_file', None)
    module.exit_json(**result)


def write_many(module):
    """Each item of ``writes`` a compare-and-swap like ``write``, in order: a file that already holds the bytes is
    left as it is, and the first item that fails stops the rest (the result says which were written)."""
    results: list[dict] = []
    diffs: list[dict] = []
    # in check mode, what earlier module runs of the same check run would have left
    predicted = dict(module.params['assume'] or {}) if module.check_mode else {}
    task_ownership = (module.params.get('owner'), module.params.get('group'))
    ownership = {}
    for like in {item['owner_like'] for item in module.params['writes'] if item.get('owner_like')}:
        try:
            found = os.lstat(like)
        except OSError as exc:
            module.fail_json(msg='writes: cannot give a file the owner of %s: %s.' % (like, exc.strerror))
        if stat.S_ISLNK(found.st_mode):
            module.fail_json(msg='writes: %s is a symbolic link; no file is given the owner of a link.' % like)
        ownership[like] = (str(found.st_uid), str(found.st_gid))
    for item in module.params['writes']:
        path = item['path']
        try:
            data = base64.b64decode(item['content'] or '', validate=True)
        except (binascii.Error, ValueError):
            module.fail_json(msg='writes: the content of %s must be base64.' % path, results=results)
        # replace() applies the task's file attributes: this item's mode and owner
        module.params['mode'] = item['mode']
        module.params['owner'], module.params['group'] = ownership.get(item.get('owner_like'), task_ownership)
        try:
            results.append(dict(path=path, **swap(module, path, data, item['expected_sha256'], item['new_file_mode'],
                                                  item['backup'], leave_identical=True, predicted=predicted,
                                                  within=item.get('within'),
                                                  ownership=ownership.get(item.get('owner_like'), task_ownership))))
        except Conflict as exc:
            module.fail_json(msg=str(exc), conflict=True, conflict_path=path, results=results)
        except FileProblem as exc:
            module.fail_json(msg=str(exc), results=results)
        if results[-1]['changed'] and item.get('diff') and module._diff:
            diffs.append(item['diff'])
    shown = dict(diff=diffs) if diffs else {}
    if module.params['report_sha256']:
        shown['sha256s'] = reported_sha256s(module.params['report_sha256'], predicted if module.check_mode else {})
    module.exit_json(changed=any(result['changed'] for result in results), results=results, **shown)


def reported_sha256s(paths, predicted):
    """{path: SHA-256, 'absent' or 'unreadable'} of ``paths`` as the writes left them (``predicted``: what a check run's
    writes would have left)."""
    reported = {}
    for path in paths:
        try:
            reported[path] = predicted[path] if path in predicted else transport.current_sha256(path)
        except FileProblem:
            reported[path] = 'unreadable'
    return reported


def main():
    module = AnsibleModule(
        argument_spec=dict(
            read=dict(type='list', elements='path', default=[]),
            folders=dict(type='list', elements='path', default=[]),
            suffixes=dict(type='list', elements='str', default=[]),
            max_size=dict(type='int', default=transport.DEFAULT_MAX_SIZE),
            folder_content=dict(type='list', elements='str', default=['*']),
            write=dict(type='path'),
            content=dict(type='str', no_log=True),
            expected_sha256=dict(type='str'),
            new_file_mode=dict(type='str', default=transport.DEFAULT_NEW_FILE_MODE),
            backup=dict(type='bool', default=False),
            writes=dict(type='list', elements='dict', options=dict(
                path=dict(type='path', required=True),
                content=dict(type='str', required=True, no_log=True),
                expected_sha256=dict(type='str'),
                mode=dict(type='raw'),
                new_file_mode=dict(type='str', default=transport.DEFAULT_NEW_FILE_MODE),
                backup=dict(type='bool', default=False),
                owner_like=dict(type='path'),
                diff=dict(type='dict'),
                within=dict(type='path'),
            )),
            assume=dict(type='dict'),
            report_sha256=dict(type='list', elements='path', default=[]),
        ),
        mutually_exclusive=[('write', 'read'), ('write', 'folders'), ('writes', 'write'), ('writes', 'read'),
                            ('writes', 'folders')],
        required_by={'write': ['content']},
        add_file_common_args=True,
        supports_check_mode=True,
    )
    if module.params['write']:
        write(module)
    if module.params['writes']:
        write_many(module)
    read(module)


if __name__ == '__main__':
    main()
