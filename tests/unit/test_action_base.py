"""The action base's own logic, without ansible-playbook: the retry on a compare-and-swap that lost to another
writer (real files and the transport's real check), what an earlier task read, and the strings that are names."""

from __future__ import annotations

import base64
import hashlib

import pytest

from ansible_collections.carbon.keystores.plugins.module_utils._transport import files as transport
from ansible_collections.carbon.keystores.plugins.module_utils.errors import FileProblem
from ansible_collections.carbon.keystores.plugins.plugin_utils.action import (
    WRITE_ATTEMPTS, earlier_content, public_strings, retried,
)


def _swap_after_read(path, new, intruder=None):
    """One attempt as the action base makes it: read, decide, write only if the file still holds what was read.
    ``intruder(path)`` writes the file between the read and the write, as a second controller does."""
    def attempt():
        read = transport.current_sha256(str(path))
        if intruder:
            intruder(path)
        transport.check_unchanged(str(path), read)
        path.write_bytes(new)
        return read
    return attempt


def test_a_write_that_lost_to_another_writer_is_made_again_from_what_the_file_holds_now(tmp_path):
    path = tmp_path / 'deployment.toml'
    path.write_bytes(b'first')
    writes = []

    def intruder(target):
        if len(writes) < 2:  # another controller wins twice, then stops
            writes.append(len(writes))
            target.write_bytes(b'other-%d' % len(writes))

    read = retried(_swap_after_read(path, b'mine', intruder), str(path))
    assert path.read_bytes() == b'mine'
    # the attempt that won started from the other writer's last bytes, never from the first read
    assert read == hashlib.sha256(b'other-2').hexdigest()


def test_a_file_that_never_stops_changing_is_left_to_the_other_writer_naming_it(tmp_path):
    path = tmp_path / 'wso2is.jks'
    path.write_bytes(b'start')
    changes = []

    def intruder(target):
        changes.append(1)
        target.write_bytes(b'other-%d' % len(changes))

    with pytest.raises(FileProblem, match=r'%s kept changing .*\(%d attempts\); nothing was written' % (
            str(path).replace('.', r'\.'), WRITE_ATTEMPTS)):
        retried(_swap_after_read(path, b'mine', intruder), str(path))
    assert len(changes) == WRITE_ATTEMPTS and path.read_bytes() == b'other-%d' % WRITE_ATTEMPTS


def test_what_an_earlier_task_read_is_used_only_when_its_digest_holds():
    data = b'[keystore.tls]\nfile_name = "wso2is.jks"\n'
    digest = hashlib.sha256(data).hexdigest()
    given = {'sha256': digest, 'content': base64.b64encode(data).decode()}
    assert earlier_content(given, '/x/deployment.toml') == (data, digest)
    assert earlier_content({'sha256': transport.ABSENT}, '/x/new.jks') == (None, transport.ABSENT)
    with pytest.raises(FileProblem, match=r'read_from\[/x/deployment.toml\].content does not match its sha256'):
        earlier_content(dict(given, sha256='0' * 64), '/x/deployment.toml')
    with pytest.raises(FileProblem, match='must have sha256'):
        earlier_content({'content': given['content']}, '/x/deployment.toml')


def test_names_among_the_options_are_public_and_secrets_are_not():
    args = {'path': '/opt/wso2carbon/repository/resources/security/wso2carbon.jks', 'password': 'S3cret-Pass',
            'tables': {'keystore.tls': {'alias': 'wso2is', 'password': 'S3cret-Pass'}}, 'aliases': ['a1', 'a2']}
    found = public_strings(args, {'S3cret-Pass'})
    assert found == {args['path'], 'wso2is', 'a1', 'a2'}
