"""LogPlot draws figures a reader can put in a report: a title, both axis
labels, legend names that say what was evaluated, and the kept model marked."""
import pytest

pytest.importorskip('matplotlib')

from matplotlib.figure import Figure  # NOQA: E402

from chainer_irnn.training.extensions import LogPlot  # NOQA: E402


class Report(object):
    log = [{'iteration': 10, 'main/loss': 1.0},
           {'iteration': 20, 'main/loss': 0.8, 'validation/main/loss': 0.9},
           {'iteration': 30, 'main/loss': 0.6, 'validation/main/loss': 0.95}]


def drawn(monkeypatch, tmp_path, **kwargs):
    figures = []
    real = Figure.savefig

    def savefig(fig, path, **kw):
        figures.append(fig)
        return real(fig, path, **kw)
    monkeypatch.setattr(Figure, 'savefig', savefig)
    plot = LogPlot(Report(), **kwargs)
    plot._out = str(tmp_path)
    plot.draw()
    return figures


def test_titles_labels_names_and_the_kept_model(monkeypatch, tmp_path):
    figs = drawn(monkeypatch, tmp_path,
                 plots={'loss.png': {'keys': ['main/loss', 'validation/main/loss'],
                                     'ylabel': 'loss', 'title': 'Loss of run r'}},
                 names={'main/loss': 'training batches', 'validation/main/loss': 'validation'},
                 mark=lambda: (20, 'kept model'))
    ax = figs[0].axes[0]
    assert ax.get_title() == 'Loss of run r'
    assert (ax.get_xlabel(), ax.get_ylabel()) == ('iteration', 'loss')
    assert ax.get_legend_handles_labels()[1] == ['training batches', 'validation', 'kept model']
    assert list(ax.lines[-1].get_xdata()) == [20, 20]      # the vertical line at the kept model
    assert (tmp_path / 'loss.png').exists()


def test_a_list_of_keys_still_works(monkeypatch, tmp_path):
    figs = drawn(monkeypatch, tmp_path, plots={'a.png': ['main/loss']})
    assert figs[0].axes[0].get_legend_handles_labels()[1] == ['main/loss']


def test_the_study_plot_counts_trials_in_whole_numbers(monkeypatch, tmp_path):
    optuna = pytest.importorskip('optuna')
    from chainer_irnn.tuning import plot_study
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(study_name='s', direction='minimize')
    study.optimize(lambda t: t.suggest_float('x', 0, 1), n_trials=3)
    figures = []
    monkeypatch.setattr(Figure, 'savefig', lambda fig, path, **kw: figures.append(fig) or
                        open(path, 'wb').close())
    plot_study(study, str(tmp_path / 'study.png'))
    ax = figures[0].axes[0]
    ax.figure.canvas.draw()
    ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
    assert ticks and all(float(t).is_integer() for t in ticks), ticks
    assert ax.get_title() == 'Study s: 3 trials' and ax.get_ylabel() == 'validation loss'
