"""Progress: Chainer's bar on a terminal, plain lines in files and pipes."""
import io

from chainer.training import extensions

from chainer_irnn.training.extensions import PlainProgress, progress


class Updater(object):
    def __init__(self, iteration, epoch_detail):
        self.iteration, self.epoch_detail = iteration, epoch_detail


class Trainer(object):
    def __init__(self, iteration, epoch_detail):
        self.updater = Updater(iteration, epoch_detail)


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_a_terminal_gets_the_bar_a_file_gets_lines():
    assert isinstance(progress((3, 'epoch'), stream=Terminal()), extensions.ProgressBar)
    assert isinstance(progress((3, 'epoch'), stream=io.StringIO()), PlainProgress)


def test_plain_lines_say_where_the_run_is_and_how_long_is_left(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr('chainer_irnn.training.extensions.plain_progress.time.time',
                        lambda: clock[0])
    out = io.StringIO()
    ext = PlainProgress((10, 'epoch'), interval=30, stream=out)
    ext(Trainer(0, 0.0))                 # the start: nothing written
    clock[0] += 10
    ext(Trainer(100, 0.5))               # within the interval: nothing
    assert out.getvalue() == ''
    clock[0] += 30
    ext(Trainer(400, 2.0))               # 400 iterations in 40 s; 2000 in all
    assert out.getvalue() == ('progress: epoch 2.00 of 10, iteration 400 of 2000 (20.0%), '
                              '10.0 it/s, about 3 min left\n')
    assert '\x1b' not in out.getvalue() and '\r' not in out.getvalue()


def test_iterations_as_the_length():
    clock = [0.0]
    ext = PlainProgress((50, 'iteration'), interval=0, stream=io.StringIO())
    ext._start = (clock[0], 0)
    assert ext.line(Updater(25, 1.25), 5.0) == (
        'progress: epoch 1.25, iteration 25 of 50 (50.0%), 5.0 it/s, about 5 s left')


def test_the_total_is_the_iteration_where_the_run_ends():
    # 30 epochs of 39.0625 iterations end at iteration 1172, not 1171
    ext = PlainProgress((30, 'epoch'), interval=0, stream=io.StringIO())
    ext._start = (0.0, 0)
    assert 'iteration 274 of 1172 (' in ext.line(Updater(274, 274 / 39.0625), 30.0)
