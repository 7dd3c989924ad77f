"""``tune --time 10m`` (alias of --timeout): durations in seconds, minutes, hours."""
import pytest

from chainer_irnn.cli import main


def parse(argv):
    import argparse

    from chainer_irnn.cli import tune
    p = argparse.ArgumentParser()
    sub = p.add_subparsers()
    tune.add_parser(sub)
    return p.parse_args(['tune'] + argv)


@pytest.mark.parametrize('text,seconds', [('600', 600), ('90s', 90), ('10m', 600),
                                          ('1.5h', 5400), ('1h30m', 5400)])
def test_time_takes_durations(text, seconds):
    args = parse(['--csv', 'x.csv', '--time', text, '--time-col', 't'])
    assert args.timeout == seconds and args.time_col == 't'
    assert parse(['--csv', 'x.csv', '--timeout', text]).timeout == seconds


@pytest.mark.parametrize('text', ['0', 'ten', '10mm', '-5', '1h30', '2m30'])
def test_bad_durations_are_one_line_errors(text, capsys):
    with pytest.raises(SystemExit) as e:
        main(['tune', '--csv', 'x.csv', '--time', text])
    assert e.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and '--timeout/--time' in err[0] and 'duration' in err[0]
