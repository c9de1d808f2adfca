# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The controller side of every carbon.keystores module.

The managed host only runs carbon.keystores.remote_files (standard library only): one
module run reads every file a task needs, one writes a file back as a compare-and-swap.
All parsing, cryptography and editing happens here, on the controller: each module's
task function (module_utils/tasks/<module>.py) gets the bytes and the validated options
and says what to write. A file is written back only when its meaning changed.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import os
import tempfile
from typing import Any

from ansible.errors import AnsibleError
from ansible.module_utils.basic import FILE_COMMON_ARGUMENTS
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.text.converters import to_bytes, to_text
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase

from ansible_collections.carbon.keystores.plugins.module_utils._transport import files as transport
from ansible_collections.carbon.keystores.plugins.module_utils.errors import (
    CarbonKeystoresError, Conflict, FileProblem, RequestError,
)
from ansible_collections.carbon.keystores.plugins.module_utils.keystore import jks
from ansible_collections.carbon.keystores.plugins.module_utils.toml import edit as toml_edit
from ansible_collections.carbon.keystores.plugins.module_utils.wso2 import products
from ansible_collections.carbon.keystores.plugins.module_utils.x509 import certificates
from ansible_collections.carbon.keystores.plugins.plugin_utils import controller_files

FILE_TRANSPORT = 'carbon.keystores.remote_files'
# Set to false to read through a remote_files run even where the managed host is the controller itself.
LOCAL_READS_VARIABLE = 'carbon_keystores_local_reads'
# Compare-and-swap attempts when another controller keeps writing the same file.
WRITE_ATTEMPTS = 5

KEYSTORES = ('cryptography', 'pyjks')
# Result keys that hold sentences, wherever they are in a result: the only places a secret is masked (see run).
SENTENCE_KEYS = frozenset(('msg', 'warnings', 'changes', 'message'))
MASK = '********'
TOML = ('tomlkit',)


def missing_dependencies(needs):
    """None, or one sentence naming the Python packages missing on the controller and how to install them."""
    available = {'cryptography': certificates.HAS_CRYPTOGRAPHY, 'pyjks': jks.HAS_PYJKS, 'tomlkit': toml_edit.HAS_TOMLKIT}
    missing = [package for package in needs if not available[package]]
    if not missing:
        return None
    return ('The Python package%s %s %s missing on the Ansible controller (or in the execution environment); '
            'install %s with pip.' % ('s' if len(missing) > 1 else '', ' and '.join(missing),
                                      'are' if len(missing) > 1 else 'is', 'them' if len(missing) > 1 else 'it'))


def public_strings(args, secrets):
    """The strings of a task's options that are not secrets (paths, aliases, a home): a secret that occurs inside one
    of them is part of a name the operator gave, not a password shown."""
    found = set()

    def collect(value):
        if isinstance(value, str):
            if value not in secrets:
                found.add(value)
        elif isinstance(value, dict):
            for item in value.values():
                collect(item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                collect(item)
    collect(args)
    return found


def mask_text(text, secrets, public=()):
    """``text`` with every occurrence of a secret replaced by ********, except where it lies inside an occurrence of a
    public string, and except the pack's documented password, which is also the pack's keystore file and alias name
    (public knowledge, which masking would only turn into nonsense such as ********.jks)."""
    secrets = sorted((secret for secret in secrets if secret and secret not in products.PUBLIC_PASSWORDS
                      and secret in text), key=len, reverse=True)
    if not secrets:
        return text
    protected = [(start, start + len(name)) for name in public if name and len(name) > 1
                 for start in _occurrences(text, name)]
    masked: list[tuple[int, int]] = []
    for secret in secrets:
        for start in _occurrences(text, secret):
            end = start + len(secret)
            inside = any(low <= start and end <= high for low, high in protected)
            overlapping = any(start < high and low < end for low, high in masked)
            if not inside and not overlapping:
                masked.append((start, end))
    for start, end in sorted(masked, reverse=True):
        text = text[:start] + MASK + text[end:]
    return text


def _occurrences(text, part):
    start = text.find(part)
    while start >= 0:
        yield start
        start = text.find(part, start + 1)


def mask_sentences(value, secrets, public=(), key=None):
    """``value`` (a result) with mask_text applied to every sentence (the strings under SENTENCE_KEYS), and nothing
    else changed."""
    if isinstance(value, dict):
        return {name: mask_sentences(item, secrets, public, name) for name, item in value.items()}
    if isinstance(value, list):
        return [mask_sentences(item, secrets, public, key) for item in value]
    if isinstance(value, str) and key in SENTENCE_KEYS:
        return mask_text(value, secrets, public)
    return value


def decoded(value, what):
    """The bytes of a base64 option (``what`` names it in the sentence when it is not base64)."""
    try:
        return base64.b64decode(value or '', validate=True)
    except ValueError:
        raise FileProblem('%s must be base64.' % what)


def retried(attempt, what):
    """``attempt()``, again each time a file it read changed before it wrote (Conflict: another writer came first),
    up to WRITE_ATTEMPTS times; then the sentence that names ``what`` kept changing."""
    for _attempt in range(WRITE_ATTEMPTS):
        try:
            return attempt()
        except Conflict:
            continue
    raise FileProblem('%s kept changing while this task worked on it (%d attempts); nothing was written. Another '
                      'process is rewriting it: stop it, then run again.' % (what, WRITE_ATTEMPTS))


def earlier_content(earlier, path):
    """(bytes or None, SHA-256) of what an earlier task read of ``path`` (a read_from item)."""
    if not isinstance(earlier, dict) or not earlier.get('sha256'):
        raise FileProblem('read_from[%s] must have sha256 (and content, unless sha256 is absent).' % path)
    if earlier['sha256'] == transport.ABSENT:
        return None, transport.ABSENT
    data = decoded(earlier.get('content'), 'read_from[%s].content' % path)
    if transport.sha256_of(data) != earlier['sha256']:
        raise FileProblem('read_from[%s].content does not match its sha256.' % path)
    return data, earlier['sha256']


class RemoteFileAction(ActionBase):
    """Base of the collection's action plugins: validate the options, read the remote file, let the
    module's task function decide, write back when it says so.

    Subclasses set ``task``, the module's tasks/<module>.py (``ARGUMENT_SPEC``, ``SPEC_RULES`` and
    ``run``), and implement ``compute(current_bytes, args, task_vars)``, returning an Outcome.
    """

    # Nothing is copied to the host: module arguments carry the bytes. With pipelining, a task then needs no
    # remote temporary folder at all (one SSH round trip less per task).
    TRANSFERS_FILES = False
    task: Any = None  # the module's module_utils/tasks/<module>.py: ARGUMENT_SPEC, SPEC_RULES, run()
    file_arguments = False
    writes = True
    needs: tuple[str, ...] = KEYSTORES
    # Keystores hold private keys: a new file is readable by its owner only unless the task says otherwise.
    new_file_mode = transport.DEFAULT_NEW_FILE_MODE

    def run(self, tmp=None, task_vars=None):
        self._supports_check_mode = True
        self._supports_async = False
        result = super().run(tmp, task_vars)
        del tmp
        task_vars = task_vars or {}
        secrets, public = set(), set()
        try:
            args, secrets = self._validated_args()
            secrets.update(self.secret_values(args))
            # read_from is no_log for the file contents it carries; its digests (and 'absent') are not secrets
            secrets.difference_update(item.get('sha256') for item in (args.get('read_from') or {}).values()
                                      if isinstance(item, dict))
            public = public_strings(args, secrets)
            missing = missing_dependencies(self.needs)
            if missing:
                raise FileProblem(missing)
            with certificates.tolerating_legacy_certificates():
                result.update(self.execute(args, task_vars))
        except CarbonKeystoresError as exc:
            result['failed'] = True
            result['msg'] = to_text(exc)
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        # Defence in depth: no sentence shows a secret the task was given, whatever it says. Data is never rewritten
        # (a later task consumes it: a path such as wso2carbon.jks must stay a path when a password is wso2carbon);
        # the tasks put secrets into data only where asked (return_secrets) and mask diffs by key.
        return mask_sentences(result, secrets, public)

    # --- arguments -----------------------------------------------------------------

    def _validated_args(self):
        """The task's options validated on the controller. Paths of the managed host are taken as given: the
        host expands ``~`` and ``$VARS`` (remote_files' paths), as its user, never the controller."""
        spec = dict(FILE_COMMON_ARGUMENTS) if self.file_arguments else {}
        spec.update(self.task.ARGUMENT_SPEC)  # the module's own options win over the common file ones
        spec = {name: dict(option, type='str') if option.get('type') == 'path' else option
                for name, option in spec.items()}
        validator = ArgumentSpecValidator(spec, **self.task.SPEC_RULES)
        validation = validator.validate(dict(self._task.args))
        no_log_values = set(validation._no_log_values)
        if validation.error_messages:
            message = to_text('; '.join(validation.error_messages))
            raise FileProblem(mask_text(message, no_log_values))
        return validation.validated_parameters, no_log_values

    def secret_values(self, args):
        """Values inside options that are not no_log as a whole but hold secrets (TOML settings)."""
        return set()

    # --- the flow ------------------------------------------------------------------

    def execute(self, args, task_vars):
        if args.get('in_memory'):
            return self._compute_in_memory(args, task_vars)
        if args.get('content'):
            raise RequestError('content is the file to work on in memory; it needs in_memory: true.')
        path = args['path']
        earlier = [(args.get('read_from') or {}).get(path)]

        def attempt():
            # after a conflict the file changed since it was read: start again from what it holds now
            given, earlier[0] = earlier[0], None
            return self._read_compute_write(path, args, task_vars, given)
        return retried(attempt, path)

    def _read_compute_write(self, path, args, task_vars, earlier=None):
        with self.serialised(path, task_vars, write=self.writes and not self._task.check_mode):
            if earlier:
                current, read_sha256 = earlier_content(earlier, path)
            else:
                current, read_sha256 = self.read_remote(path, task_vars, with_sha256=True)
            outcome = self.compute(current, args, task_vars)
            result = self._result(outcome)
            if outcome.changed and outcome.data is not None and not self._task.check_mode:
                options = {option: args.get(option) for option in FILE_COMMON_ARGUMENTS}
                options['backup'] = args.get('backup')
                written = self.write_remote(path, outcome.data, options, task_vars, expected_sha256=read_sha256)
                if written.get('backup_file'):
                    result['backup_file'] = written['backup_file']
            self._write_extra_files(outcome, task_vars)
            return result

    def _compute_in_memory(self, args, task_vars):
        """The task on bytes the caller gives (base64 ``content``; none for a new file) instead of a file: nothing
        is read or written but the extra files (a CSR); the resulting bytes come back as ``content``."""
        current = decoded(args['content'], 'content (of the file to work on)') if args.get('content') else None
        outcome = self.compute(current, args, task_vars)
        result = self._result(outcome)
        final = outcome.data if outcome.data is not None else current
        result['content'] = to_text(base64.b64encode(final or b''))
        self._write_extra_files(outcome, task_vars)
        return result

    def _result(self, outcome):
        result = dict(outcome.result)
        result['changed'] = outcome.changed
        if outcome.warnings:
            result['warnings'] = list(outcome.warnings)
        if self._task.diff and outcome.diff is not None:
            result['diff'] = outcome.diff
        return result

    def _write_extra_files(self, outcome, task_vars):
        """Files a task writes besides its own (a CSR), each a compare-and-swap, where the task says."""
        if self._task.check_mode:
            return
        for extra in outcome.files:
            if extra['location'] == 'controller':
                controller_files.write_file(extra['path'], extra['data'], extra['mode'], extra.get('expected_sha256'))
            else:
                self.write_remote(extra['path'], extra['data'], {'mode': extra['mode']}, task_vars,
                                  expected_sha256=extra.get('expected_sha256'))

    def compute(self, current, args, task_vars):  # pragma: no cover - abstract
        raise NotImplementedError

    # --- remote I/O ----------------------------------------------------------------

    def _module(self, name, module_args, task_vars):
        # A connection (ssh) logs a module run's raw output at -vvv unless its play context (a copy of the task's)
        # says no_log, and the transport's output is file bytes: a config file with its passwords, keystores.
        # This task's own result is what the action returns, masked as it must be.
        context = self._connection._play_context
        shown = context.no_log
        context.no_log = True
        try:
            return self._execute_module(module_name=name, module_args=module_args, task_vars=task_vars,
                                        wrap_async=False)
        finally:
            context.no_log = shown

    def reads_in_process(self, task_vars):
        """True when the managed host is this controller as this very user (local connection, no
        become), so reading here gives what a module run would, without the run's cost."""
        wanted = task_vars.get(LOCAL_READS_VARIABLE, True)
        if isinstance(wanted, str):
            wanted = self._templar.template(wanted)
        try:
            wanted = boolean(wanted, strict=True)
        except TypeError:
            raise FileProblem('%s must be true or false, not %r.' % (LOCAL_READS_VARIABLE, wanted))
        if self._connection.transport != 'local' or self._play_context.become:
            return False
        return wanted and getattr(self._connection, 'become', None) is None

    def read_remote_many(self, paths, task_vars, folders=(), suffixes=(), folder_content=('*',)):
        """One read of the managed host: ([description of each path], {folder: {name: description}}),
        descriptions as transport.describe gives them (bytes via transport.read_bytes). A module
        run of remote_files, or the same code in this process when reads_in_process()."""
        if self.reads_in_process(task_vars):
            # expanded as the module's 'path' options would be
            as_module = [os.path.expanduser(os.path.expandvars(path)) for path in paths]
            read = transport.read_many(as_module, [os.path.expanduser(os.path.expandvars(folder))
                                                   for folder in folders], list(suffixes),
                                       folder_content=list(folder_content))
        else:
            read = self._module(FILE_TRANSPORT, dict(read=list(paths), folders=list(folders), suffixes=list(suffixes),
                                                     folder_content=list(folder_content)), task_vars)
        if read.get('failed'):
            raise FileProblem('Cannot read %s on the managed host: %s' % (
                ', '.join(list(paths) + list(folders)), read.get('msg') or read.get('module_stderr')))
        return read['files'], {folder['path']: folder['files'] for folder in read['folders']}

    def read_remote(self, path, task_vars, with_sha256=False):
        """The remote file's bytes, or None when it does not exist (and, ``with_sha256``, the
        SHA-256 a later write must still find)."""
        described = self.read_remote_many([path], task_vars)[0][0]
        data = transport.read_bytes(described, path)
        return (data, described.get('sha256', transport.ABSENT)) if with_sha256 else data

    def write_remote(self, path, data, options, task_vars, expected_sha256=None):
        """Compare-and-swap ``path`` to ``data`` on the managed host (see module remote_files).

        ``options``: the file options (mode, owner, group, SELinux, attributes, backup) to apply."""
        write_args = dict(write=path, content=to_text(base64.b64encode(data)), backup=bool(options.get('backup')),
                          new_file_mode=self.new_file_mode)
        if expected_sha256 is not None:
            write_args['expected_sha256'] = expected_sha256
        for option in FILE_COMMON_ARGUMENTS:
            if options.get(option) is not None:
                write_args[option] = options[option]
        written = self._module(FILE_TRANSPORT, write_args, task_vars)
        if written.get('conflict'):
            raise Conflict(written.get('msg'))
        if written.get('failed'):
            raise FileProblem('Cannot write %s on the managed host: %s' % (
                path, written.get('msg') or written.get('module_stderr')))
        return written

    def write_remote_many(self, writes, task_vars):
        """Several compare-and-swaps in one module run (remote_files' ``writes``: path, content as base64,
        expected_sha256, mode, backup), in order; Conflict when a file changed since it was read."""
        written = self._module(FILE_TRANSPORT, dict(writes=writes), task_vars)
        if written.get('conflict'):
            raise Conflict(written.get('msg'))
        if written.get('failed'):
            raise FileProblem('Cannot write %s on the managed host: %s' % (
                ', '.join(item['path'] for item in writes), written.get('msg') or written.get('module_stderr')))
        return written

    def read_source(self, value, remote, task_vars):
        """Text of a PEM option: inline PEM as it is, else a file on the controller (looked for in the
        role's and playbook's files/ folders too) or, with ``remote``, on the managed host."""
        if value is None or controller_files.is_inline_pem(value):
            return value
        if remote:
            data = self.read_remote(value, task_vars)
            if data is None:
                raise FileProblem('Cannot read %s on the managed host: it does not exist.' % value)
            return to_text(data, errors='surrogate_or_strict')
        return controller_files.pem_text(value, self._locate)

    def _locate(self, name):
        try:
            return self._find_needle('files', name)
        except AnsibleError:
            raise controller_files.not_found(name)

    # --- serialisation -------------------------------------------------------------

    @contextlib.contextmanager
    def serialised(self, path, task_vars, write=True):
        """Hold a controller-side lock on (host, path) for the read-modify-write, so two
        forks or two ansible-playbook runs on this controller never interleave on one file."""
        if not write:
            yield
            return
        if self._connection.transport == 'local':
            where = 'local'
        else:
            where = '%s@%s' % (self._get_remote_user() or '', self._get_remote_addr(task_vars))
        key = hashlib.sha256(to_bytes('%s|%s' % (where, path))).hexdigest()
        folder = os.path.join(tempfile.gettempdir(), 'carbon.keystores-locks-%d' % os.getuid())
        os.makedirs(folder, mode=0o700, exist_ok=True)
        with open(os.path.join(folder, key), 'a') as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
