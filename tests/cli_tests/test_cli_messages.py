"""The command's own messages: a bad command line is one line, doctor names
the kernel, every command has a description."""
import pytest

from chainer_irnn import cli


def test_a_bad_flag_value_is_one_line_not_the_usage(capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(['train', '--lr', 'abc'])
    err = capsys.readouterr().err
    assert e.value.code == 2
    assert err == ("chainer-irnn train: error: argument --lr: expected a number > 0, not "
                   "'abc' (see chainer-irnn train --help)\n")


def test_an_unknown_command_is_one_line(capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(['bogus'])
    err = capsys.readouterr().err
    assert e.value.code == 2 and len(err.splitlines()) == 1 and "'bogus'" in err


def test_doctor_names_the_cpu_kernel(capsys, monkeypatch):
    from chainer_irnn.functions.rnn import irnn_recurrence
    assert cli.main(['doctor']) == 0
    line = [x for x in capsys.readouterr().out.splitlines() if x.startswith('cpu_kernel')]
    expected = 'numba (the compiled step)' if irnn_recurrence.numba_available() else 'numpy ('
    assert len(line) == 1 and expected in line[0]
    monkeypatch.setenv('CHAINER_IRNN_KERNEL', 'numpy')
    assert cli.main(['doctor']) == 0
    assert 'cpu_kernel                   numpy (' in capsys.readouterr().out


def test_every_command_has_a_description():
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if a.dest == 'command')
    for name, p in sub.choices.items():
        assert p.description, name
