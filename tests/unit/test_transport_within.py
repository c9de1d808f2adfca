"""Writes inside a product home (transport.swap_within): never through a symbolic link below the home, never outside
it; the compare-and-swap, the modes, the owner and the backup as every write of the collection has them. Real files
in a temporary folder; the module is a stand-in for what AnsiballZ hands remote_files (check mode, SELinux off)."""

from __future__ import annotations

import os
import stat

import pytest
from ansible.module_utils.basic import AnsibleModule

from ansible_collections.carbon.keystores.plugins.module_utils._transport import files as transport
from ansible_collections.carbon.keystores.plugins.module_utils.errors import Conflict, FileProblem


class Host:
    """What swap_within asks of the module: check mode, SELinux (off here), symbolic modes."""

    def __init__(self, check_mode=False):
        self.check_mode = check_mode

    @staticmethod
    def selinux_enabled():
        return False

    _symbolic_mode_to_octal = AnsibleModule._symbolic_mode_to_octal


def _home(tmp_path):
    home = tmp_path / 'wso2is-7.0.0'
    (home / 'repository' / 'resources' / 'security').mkdir(parents=True)
    (home / 'repository' / 'conf').mkdir(parents=True)
    return home


def _mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_a_link_where_the_file_would_be_written_is_refused_and_its_target_untouched(tmp_path):
    home = _home(tmp_path)
    victim = tmp_path / 'victim'
    victim.write_bytes(b'root only')
    victim.chmod(0o600)
    planted = home / 'repository' / 'resources' / 'security' / 'wso2is.jks'
    planted.symlink_to(victim)
    with pytest.raises(FileProblem, match=r'wso2is.jks is a symbolic link \(to .*victim\); the collection never '
                                          r'writes through a link'):
        transport.swap_within(Host(), str(home), str(planted), b'keystore', 'absent')
    assert victim.read_bytes() == b'root only' and _mode(victim) == 0o600 and planted.is_symlink()
    assert sorted(os.listdir(planted.parent)) == ['wso2is.jks'], 'no temporary file is left'


def test_a_linked_folder_below_the_home_is_refused_and_one_above_it_is_not(tmp_path):
    home = _home(tmp_path)
    elsewhere = tmp_path / 'elsewhere'
    elsewhere.mkdir()
    conf = home / 'repository' / 'conf'
    conf.rmdir()
    conf.symlink_to(elsewhere)
    with pytest.raises(FileProblem, match=r'repository/conf is a symbolic link'):
        transport.swap_within(Host(), str(home), str(conf / 'deployment.toml'), b'x', 'absent')
    assert os.listdir(elsewhere) == []
    # the home itself may be a link, as /opt/wso2is -> /opt/wso2is-7.0.0 often is
    alias = tmp_path / 'wso2is'
    alias.symlink_to(home)
    done = transport.swap_within(Host(), str(alias), str(alias / 'repository/resources/security/new.jks'), b'k', 'absent')
    assert done['changed'] and (home / 'repository/resources/security/new.jks').read_bytes() == b'k'


def test_a_path_outside_the_home_is_refused(tmp_path):
    home = _home(tmp_path)
    with pytest.raises(FileProblem, match=r'is outside the product home'):
        transport.swap_within(Host(), str(home), str(home / '..' / 'escape.jks'), b'k', 'absent')
    assert not (tmp_path / 'escape.jks').exists()


def test_a_write_is_a_compare_and_swap_with_the_modes_and_backup_of_every_write(tmp_path):
    home = _home(tmp_path)
    config = home / 'repository' / 'conf' / 'deployment.toml'
    config.write_bytes(b'old')
    config.chmod(0o644)
    with pytest.raises(Conflict):
        transport.swap_within(Host(), str(home), str(config), b'new', transport.sha256_of(b'other'))
    assert config.read_bytes() == b'old'
    assert transport.swap_within(Host(check_mode=True), str(home), str(config), b'new', transport.sha256_of(b'old'))[
        'changed'] and config.read_bytes() == b'old', 'check mode writes nothing'
    done = transport.swap_within(Host(), str(home), str(config), b'new', transport.sha256_of(b'old'), backup=True)
    assert config.read_bytes() == b'new' and _mode(config) == 0o640, 'an existing file loses every permission of others'
    backup = done['backup_file']
    assert open(backup, 'rb').read() == b'old' and _mode(backup) == 0o640 and backup.startswith(str(config) + '.')
    assert transport.swap_within(Host(), str(home), str(config), b'new', transport.sha256_of(b'new'),
                                 leave_identical=True) == {'changed': False, 'sha256': transport.sha256_of(b'new')}
    keystore = home / 'repository/resources/security/wso2is.jks'
    transport.swap_within(Host(), str(home), str(keystore), b'k', 'absent')
    assert _mode(keystore) == 0o600, 'a new keystore is readable by its owner only'
    transport.swap_within(Host(), str(home), str(keystore), b'k2', transport.sha256_of(b'k'), mode='0640')
    assert _mode(keystore) == 0o640
    assert not [name for folder in (config.parent, keystore.parent) for name in os.listdir(folder)
                if name.endswith('.tmp')]


def test_a_backup_never_follows_a_link_planted_at_its_name(tmp_path):
    home = _home(tmp_path)
    folder = transport.open_folder_within(str(home), str(home / 'repository' / 'conf'))
    victim = tmp_path / 'victim'
    victim.write_bytes(b'root only')
    victim.chmod(0o600)
    (home / 'repository' / 'conf' / 'deployment.toml.1.2026-12-03@10:00:00~').symlink_to(victim)
    try:
        with pytest.raises(FileExistsError):
            transport._write_new_at(folder, 'deployment.toml.1.2026-12-03@10:00:00~', b'old', 0o640)
    finally:
        os.close(folder)
    assert victim.read_bytes() == b'root only' and _mode(victim) == 0o600


def test_a_temporary_file_a_killed_writer_left_is_cleared_by_the_next_write_of_either_kind(tmp_path):
    home = _home(tmp_path)
    config = home / 'repository' / 'conf' / 'deployment.toml'
    config.write_bytes(b'old')
    left = transport.temporary_beside(str(config), b'half', 0o600)
    assert os.path.dirname(left) == str(config.parent) and os.path.basename(left).startswith('.deployment.toml.')
    assert _mode(left) == 0o600 and open(left, 'rb').read() == b'half'
    transport.swap_within(Host(), str(home), str(config), b'new', transport.sha256_of(b'old'))
    assert not os.path.exists(left), 'the in-home write clears what a killed controller-style write left'
    left = transport.temporary_beside(str(config), b'half', 0o600)
    other = transport.temporary_beside(str(home / 'repository' / 'conf' / 'carbon.xml'), b'x', 0o600)
    transport._remove_stale_temporaries(str(config))
    assert not os.path.exists(left) and os.path.exists(other), "only the written file's own temporaries go"
