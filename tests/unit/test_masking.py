"""What the action base masks (plugin_utils/action.py): the secrets a task was given, in sentences only, never inside
a name the task was given, never the pack's documented password, and never in data a later task consumes."""

from __future__ import annotations

from ansible_collections.carbon.keystores.plugins.plugin_utils.action import mask_sentences, mask_text, public_strings

HOME = '/opt/wso2/Cluster-Pass-2026/node1'


def test_a_secret_is_masked_in_a_sentence_but_not_inside_a_name_the_task_was_given():
    public = public_strings({'home': HOME, 'password': 'Cluster-Pass-2026', 'alias': 'wso2is'}, {'Cluster-Pass-2026'})
    assert HOME in public and 'Cluster-Pass-2026' not in public
    text = 'Cannot open %s/keystore.jks with Cluster-Pass-2026: wrong.' % HOME
    assert mask_text(text, {'Cluster-Pass-2026'}, public) == 'Cannot open %s/keystore.jks with ********: wrong.' % HOME
    assert mask_text('Cluster-Pass-2026', {'Cluster-Pass-2026'}) == '********'


def test_the_packs_documented_password_is_a_name_and_never_masked():
    text = 'The internal keystore /x/wso2carbon.jks (alias wso2carbon) opens with wso2carbon.'
    assert mask_text(text, {'wso2carbon'}) == text


def test_the_longer_secret_wins_where_two_overlap():
    assert mask_text('a Secret-Pass-1-longer b', {'Secret-Pass-1', 'Secret-Pass-1-longer'}) == 'a ******** b'


def test_only_sentences_are_masked_and_data_stays_as_it_is():
    result = {'msg': 'bad Secret-Pass-9', 'path': '/x/Secret-Pass-9.jks', 'findings': [
        {'message': 'key Secret-Pass-9 differs', 'path': '/x/Secret-Pass-9.jks'}], 'changes': ['set Secret-Pass-9'],
        'warnings': ['Secret-Pass-9 again'], 'secrets': {'tls': {'password': 'Secret-Pass-9'}}}
    masked = mask_sentences(result, {'Secret-Pass-9'})
    assert masked == {'msg': 'bad ********', 'path': '/x/Secret-Pass-9.jks', 'findings': [
        {'message': 'key ******** differs', 'path': '/x/Secret-Pass-9.jks'}], 'changes': ['set ********'],
        'warnings': ['******** again'], 'secrets': {'tls': {'password': 'Secret-Pass-9'}}}
    assert result['msg'] == 'bad Secret-Pass-9', 'the result itself is not rewritten'
