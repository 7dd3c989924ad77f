"""The held-out corpus (tests/legacy_corpus): a few scripts by others, end to end.

Each runs under ``legacy run`` and, migrated with ``migrate DIR``, without the
1.x shims, through ``benchmarks/measure_legacy.py`` (stand-in data, shrunk loop
counts as the manifest says).  The whole corpus takes a few minutes: it runs
only with ``CHAINER_IRNN_CORPUS=1`` (and is marked ``slow``);
``python benchmarks/measure_legacy.py --corpus tests/legacy_corpus`` prints its
table.
"""
import importlib.util
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(ROOT, 'tests', 'legacy_corpus')


def measure():
    spec = importlib.util.spec_from_file_location(
        'measure_legacy', os.path.join(ROOT, 'benchmarks', 'measure_legacy.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_corpus(ids, work):
    m = measure()
    manifest = m.load_manifest(CORPUS)
    assert not m.check_corpus(CORPUS, manifest)      # the recorded bytes
    repos = {r['folder']: r['repo'] for r in manifest['repositories']}
    results = {}
    for entry in manifest['scripts']:
        if ids is None or entry['id'] in ids:
            entry = dict(entry, repo=repos[entry['folder']])
            results[entry['id']] = m.measure_corpus_one(CORPUS, entry, str(work), 240)
    return results


# Python 2 across modules (the char-rnn's CharRNN.py), a float64 accumulator,
# self.parameters in a FunctionSet subclass, Python 2's file() builtin
@pytest.mark.slow
@pytest.mark.parametrize('script', ['char-rnn-train-2015-07', 'play1-binary'])
def test_corpus_scripts_run_in_both_modes(tmp_path, script):
    r = run_corpus({script}, tmp_path)[script]
    assert r['legacy']['rc'] == 0, r['legacy']['stderr_tail']
    assert r['migrate']['rc'] == 0, r['migrate']['stderr_tail']
    assert r['migrate_findings'] == 0


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get('CHAINER_IRNN_CORPUS') != '1',
                    reason='the whole corpus takes minutes: CHAINER_IRNN_CORPUS=1')
def test_whole_corpus_no_failure_of_ours(tmp_path):
    results = run_corpus(None, tmp_path)
    ours = ['{} {}: {}'.format(i, mode, r[mode]['error']) for i, r in results.items()
            for mode in ('legacy', 'migrate') if r[mode].get('cause') == 'ours']
    assert not ours, ours
