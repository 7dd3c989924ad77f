"""What a training run returns."""
import dataclasses
from typing import Optional


@dataclasses.dataclass
class FitResult:
    """What :func:`fit` returns.

    Attributes:
        model: the trained ``chainer.links.Classifier`` (on the run's device).
        description (dict): the architecture and data description saved as
            ``model.json`` beside ``model.npz`` (``None`` paths when ``out``
            was None).
        out (str): the output folder.
        log (list of dict): the training log (``LogReport`` entries).
        seconds (float): wall time of the run.
        best (dict or None): with validation data, the evaluation whose
            model was kept (``model`` holds it, and ``model.npz``):
            ``iteration``, ``epoch``, ``validation/main/loss``,
            ``validation/main/accuracy``, ``by`` (``best_by``),
            ``evaluations``, ``lr_decays``, ``early_stopped``.  None without
            validation data (the model is then the last iterate).
        stopped (str): how the run ended: ``'completed'``, ``'early
            stopping'`` or ``'diverged'`` (rollbacks ran out; the best
            model was kept and ``message`` says what happened).
        message (str): a line for the user about the end of the run.
    """

    model: object
    description: dict
    out: str
    log: list
    seconds: float
    best: Optional[dict] = None
    stopped: str = 'completed'
    message: str = ''
    #: with ``test=``: the kept model's score on the test data (``loss``,
    #: ``accuracy``, ``n``, ...; also ``test.json`` in ``out``), measured once
    #: after training; the test data chose nothing
    test: Optional[dict] = None

    def last(self, key, default=None):
        """The last logged value of ``key`` (e.g. ``'validation/main/accuracy'``)."""
        for entry in reversed(self.log):
            if key in entry:
                return entry[key]
        return default
