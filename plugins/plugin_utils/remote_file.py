# Copyright: carbon.keystores contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The controller side of every carbon.keystores module.

The managed host only runs ansible.builtin modules (stat, slurp, copy): all parsing,
cryptography and editing happens here, on the controller, with the same module_utils
code the modules' own main() uses. A file is written back only when the module_utils
logic says its meaning changed, through ansible.builtin.copy (atomic move, owner/group/
mode, backup, become).
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import os
import tempfile

from ansible.errors import AnsibleError
from ansible.module_utils.basic import FILE_COMMON_ARGUMENTS
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.parameters import remove_values
from ansible.module_utils.common.text.converters import to_bytes, to_text
from ansible.plugins.action import ActionBase

from ansible_collections.carbon.keystores.plugins.module_utils.dependencies import KEYSTORES, missing_dependencies
from ansible_collections.carbon.keystores.plugins.module_utils.errors import USER_ERRORS
from ansible_collections.carbon.keystores.plugins.module_utils.local_file import LocalFileError, write_plain

# Keystores hold private keys: a new file is readable by its owner only unless the task says otherwise.
DEFAULT_NEW_FILE_MODE = '0600'


class RemoteFileError(Exception):
    """A problem with the remote file itself (missing folder, a directory, unreadable)."""


class RemoteFileAction(ActionBase):
    """Base for actions that read one remote file and may write it back.

    Subclasses set ``argument_spec`` (and the checks ArgumentSpecValidator takes) and
    implement ``compute(current_bytes, args, task_vars)``, returning an object with
    ``changed``, ``data`` (bytes to write or None), ``result``, ``diff``, ``warnings``.
    """

    TRANSFERS_FILES = True
    argument_spec: dict = {}
    spec_rules: dict = {}
    file_arguments = False
    writes = True
    needs = KEYSTORES
    new_file_mode = DEFAULT_NEW_FILE_MODE

    def run(self, tmp=None, task_vars=None):
        self._supports_check_mode = True
        self._supports_async = False
        result = super().run(tmp, task_vars)
        del tmp
        task_vars = task_vars or {}
        no_log_values = set()
        try:
            args, no_log_values = self._validated_args()
            no_log_values.update(self.secret_values(args))
            missing = missing_dependencies(self.needs)
            if missing:
                raise RemoteFileError(missing + ' (on the Ansible controller, or in the execution environment).')
            result.update(self.execute(args, task_vars))
        except (RemoteFileError, LocalFileError) + USER_ERRORS as exc:
            result['failed'] = True
            result['msg'] = to_text(exc)
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        # Defence in depth: nothing given as a secret leaves this plugin, whatever a message says.
        return remove_values(result, no_log_values) if no_log_values else result

    # --- arguments -----------------------------------------------------------------

    def _validated_args(self):
        spec = dict(self.argument_spec)
        if self.file_arguments:
            spec.update(FILE_COMMON_ARGUMENTS)
        validator = ArgumentSpecValidator(spec, **self.spec_rules)
        validation = validator.validate(dict(self._task.args))
        no_log_values = set(validation._no_log_values)
        if validation.error_messages:
            message = to_text('; '.join(validation.error_messages))
            raise RemoteFileError(remove_values(message, no_log_values) if no_log_values else message)
        return validation.validated_parameters, no_log_values

    def secret_values(self, args):
        """Values inside options that are not no_log as a whole but hold secrets (TOML settings)."""
        return set()

    # --- the flow ------------------------------------------------------------------

    def execute(self, args, task_vars):
        path = args['path']
        with self.serialised(path, task_vars, write=self.writes and not self._task.check_mode):
            current = self.read_remote(path, task_vars)
            outcome = self.compute(current, args, task_vars)
            result = dict(outcome.result)
            result['changed'] = outcome.changed
            if outcome.warnings:
                result['warnings'] = list(outcome.warnings)
            if self._task.diff and outcome.diff is not None:
                result['diff'] = outcome.diff
            if outcome.changed and outcome.data is not None and not self._task.check_mode:
                options = {option: args.get(option) for option in FILE_COMMON_ARGUMENTS}
                options['backup'] = args.get('backup')
                written = self.write_remote(path, outcome.data, options, task_vars, new_file=current is None)
                if written.get('backup_file'):
                    result['backup_file'] = written['backup_file']
            if not self._task.check_mode:
                for extra in outcome.files:
                    if extra['location'] == 'controller':
                        write_plain(extra['path'], extra['data'], extra['mode'])
                    else:
                        self.write_remote(extra['path'], extra['data'], {'mode': extra['mode']}, task_vars, new_file=True)
            return result

    def compute(self, current, args, task_vars):  # pragma: no cover - abstract
        raise NotImplementedError

    # --- remote I/O ----------------------------------------------------------------

    def _module(self, name, module_args, task_vars):
        return self._execute_module(module_name=name, module_args=module_args, task_vars=task_vars,
                                    wrap_async=False)

    def read_remote(self, path, task_vars):
        """The remote file's bytes, or None when it does not exist."""
        stat = self._module('ansible.builtin.stat', dict(path=path, follow=True, get_checksum=False,
                                                         get_mime=False, get_attributes=False), task_vars)
        if stat.get('failed'):
            raise RemoteFileError('Cannot inspect %s on the managed host: %s' % (path, stat.get('msg') or stat.get('module_stderr')))
        info = stat['stat']
        if not info.get('exists'):
            return None
        if info.get('isdir'):
            raise RemoteFileError('%s is a directory; path must name a file.' % path)
        if not info.get('isreg'):
            raise RemoteFileError('%s is not a regular file; path must name a file.' % path)
        slurped = self._module('ansible.builtin.slurp', dict(src=path), task_vars)
        if slurped.get('failed'):
            raise RemoteFileError('Cannot read %s on the managed host: %s' % (path, slurped.get('msg')))
        return base64.b64decode(slurped['content'])

    def write_remote(self, path, data, options, task_vars, new_file):
        """Write ``data`` to ``path`` with ansible.builtin.copy (atomic, attributes, backup).

        ``options``: the file options (mode, owner, group, SELinux, attributes, backup) to apply."""
        tmpdir = self._connection._shell.tmpdir or self._make_tmp_path()
        remote_source = self._connection._shell.join_path(tmpdir, 'source')
        with _private_temp_file(data) as local_source:
            self._transfer_file(local_source, remote_source)
        self._fixup_perms2((tmpdir, remote_source))
        copy_args = dict(
            src=remote_source, dest=path, _original_basename=os.path.basename(path),
            checksum=hashlib.sha1(data).hexdigest(), force=True, follow=True,
            backup=bool(options.get('backup')),
        )
        for option in FILE_COMMON_ARGUMENTS:
            if options.get(option) is not None:
                copy_args[option] = options[option]
        if copy_args.get('mode') is None and new_file:
            copy_args['mode'] = self.new_file_mode
        copied = self._module('ansible.builtin.copy', copy_args, task_vars)
        if copied.get('failed'):
            raise RemoteFileError('Cannot write %s on the managed host: %s' % (path, copied.get('msg')))
        return copied

    def read_controller_file(self, path):
        """Bytes of a file on the controller, or None when it does not exist."""
        try:
            with open(path, 'rb') as handle:
                return handle.read()
        except FileNotFoundError:
            return None

    def read_source(self, value, remote, task_vars):
        """Text of a PEM option: inline PEM as it is, else a file on the controller or, with
        ``remote``, on the managed host."""
        if value is None or '-----BEGIN' in value:
            return value
        if remote:
            slurped = self._module('ansible.builtin.slurp', dict(src=value), task_vars)
            if slurped.get('failed'):
                raise RemoteFileError('Cannot read %s on the managed host: %s' % (value, slurped.get('msg')))
            return to_text(base64.b64decode(slurped['content']), errors='surrogate_or_strict')
        try:
            local = self._find_needle('files', value)
        except AnsibleError:
            raise RemoteFileError('Cannot find %s on the controller (looked in the role\'s and playbook\'s files/ '
                                  'folders too); give a path or inline PEM.' % value)
        with open(local, 'rb') as handle:
            return to_text(handle.read(), errors='surrogate_or_strict')

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


@contextlib.contextmanager
def _private_temp_file(data):
    handle, name = tempfile.mkstemp(prefix='carbon-keystores-')
    try:
        os.fchmod(handle, 0o600)
        with os.fdopen(handle, 'wb') as stream:
            stream.write(data)
        yield name
    finally:
        os.unlink(name)
