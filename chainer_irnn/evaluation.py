"""Scores of a classifier on labelled data: accuracy, per-class precision and
recall, the confusion matrix, as numbers, text and a picture."""
import numpy


def classification_summary(true, predicted, classes):
    """Accuracy, per-class precision/recall/F1/support and the confusion matrix.

    Args:
        true (sequence): the true class of each example, as in ``classes``.
        predicted (sequence): the predicted class of each example.
        classes (list): every class, in the order of the report; true labels
            that are not among them count as errors in their own row.

    Returns:
        dict: ``n``, ``correct``, ``accuracy``, ``classes`` (the row and
        column names, as text), ``per_class`` (a list of dicts with
        ``class``, ``precision``, ``recall``, ``f1``, ``support``) and
        ``confusion`` (rows true, columns predicted, as lists of ints).
    """
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support
    true, predicted = list(true), list(predicted)
    names = list(classes)
    unknown = [t for t in dict.fromkeys(true) if t not in set(names)]
    labels = names + unknown
    index = {c: i for i, c in enumerate(labels)}
    t = numpy.array([index[c] for c in true], dtype=numpy.int64)
    p = numpy.array([index[c] for c in predicted], dtype=numpy.int64)
    ids = list(range(len(labels)))
    matrix = confusion_matrix(t, p, labels=ids) if len(t) else numpy.zeros((len(ids),) * 2, int)
    precision, recall, f1, support = precision_recall_fscore_support(
        t, p, labels=ids, zero_division=0) if len(t) else (numpy.zeros(len(ids)),) * 4
    correct = int((t == p).sum())
    return {
        'n': len(t), 'correct': correct, 'accuracy': correct / len(t) if len(t) else None,
        'classes': [str(c) for c in labels],
        'per_class': [{'class': str(c), 'precision': float(precision[i]),
                       'recall': float(recall[i]), 'f1': float(f1[i]),
                       'support': int(support[i])} for i, c in enumerate(labels)],
        'confusion': matrix.astype(int).tolist(),
    }


def format_summary(summary, max_classes=30):
    """The summary as lines of text: accuracy, a per-class table and (up to
    ``max_classes`` classes) the confusion matrix."""
    lines = ['accuracy {:.4f} ({}/{})'.format(summary['accuracy'] or 0.0, summary['correct'],
                                              summary['n'])]
    width = max([5] + [len(c) for c in summary['classes']])
    lines.append('{:>{w}}  {:>9}  {:>6}  {:>6}  {:>7}'.format(
        'class', 'precision', 'recall', 'f1', 'support', w=width))
    for row in summary['per_class']:
        lines.append('{:>{w}}  {:9.4f}  {:6.4f}  {:6.4f}  {:7d}'.format(
            row['class'], row['precision'], row['recall'], row['f1'], row['support'], w=width))
    k = len(summary['classes'])
    if k <= max_classes:
        cell = max(width, len(str(max(max(r) for r in summary['confusion']) if k else 0)))
        lines.append('confusion matrix (rows: true class, columns: predicted class)')
        lines.append(' ' * (width + 2) + ' '.join(
            '{:>{w}}'.format(c, w=cell) for c in summary['classes']))
        for c, row in zip(summary['classes'], summary['confusion']):
            lines.append('{:>{w}}  '.format(c, w=width) + ' '.join(
                '{:>{w}d}'.format(v, w=cell) for v in row))
    else:
        lines.append('confusion matrix: {} classes, too many to print (see the JSON '
                     'or the picture)'.format(k))
    return lines


def plot_confusion(summary, path, title='Confusion matrix'):
    """Writes the confusion matrix as a PNG (needs matplotlib, the ``plot`` extra).

    Cells hold counts; colours are each true class's share, so that rare
    classes read as clearly as common ones.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    m = numpy.asarray(summary['confusion'], dtype=float)
    k = len(summary['classes'])
    share = m / numpy.maximum(m.sum(axis=1, keepdims=True), 1)
    size = min(3 + 0.45 * k, 16)
    fig, ax = plt.subplots(figsize=(size + 1.5, size))
    image = ax.imshow(share, cmap='Blues', vmin=0, vmax=1)
    fig.colorbar(image, ax=ax, label='share of the true class')
    ax.set_xticks(range(k))
    ax.set_yticks(range(k))
    ax.set_xticklabels(summary['classes'], rotation=90 if k > 8 else 0)
    ax.set_yticklabels(summary['classes'])
    ax.set_xlabel('predicted class')
    ax.set_ylabel('true class')
    ax.set_title('{} (accuracy {:.4f}, {} examples)'.format(
        title, summary['accuracy'] or 0.0, summary['n']))
    if k <= 30:
        for i in range(k):
            for j in range(k):
                ax.text(j, i, int(m[i, j]), ha='center', va='center', fontsize=8,
                        color='white' if share[i, j] > 0.5 else 'black')
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
