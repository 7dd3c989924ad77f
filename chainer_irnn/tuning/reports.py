"""The reports of a search in its folder: the table of trials
(``trials.csv``, ``trials.md``) and the plot of the study (``study.png``)."""
import math
import os


def _rows(study):
    rows = []
    for t in study.get_trials(deepcopy=False):
        settings = t.user_attrs.get('settings', {})
        row = {'trial': t.number, 'state': t.state.name.lower(),
               'value': t.value if t.value is not None else
               (t.intermediate_values[max(t.intermediate_values)] if t.intermediate_values
                else None),
               'accuracy': t.user_attrs.get('accuracy'), 'epoch': t.user_attrs.get('epoch'),
               'seconds': t.user_attrs.get('seconds')}
        for k, v in settings.items():
            row[k] = ','.join(map(str, v)) if isinstance(v, list) else v
        rows.append(row)
    return rows


def write_table(study, out):
    """``trials.csv`` (every trial) and ``trials.md`` (ranked) in ``out``."""
    import csv
    rows = _rows(study)
    keys = []
    for r in rows:
        keys.extend(k for k in r if k not in keys)
    with open(os.path.join(out, 'trials.csv'), 'w', newline='') as f:
        w = csv.DictWriter(f, keys)
        w.writeheader()
        w.writerows(rows)
    sign = -1 if study.direction.name == 'MAXIMIZE' else 1
    ranked = sorted(rows, key=lambda r: (r['state'] != 'complete',
                                         sign * r['value'] if r['value'] is not None else math.inf))

    def cell(v):
        return '' if v is None else '{:.4g}'.format(v) if isinstance(v, float) else str(v)
    lines = ['| ' + ' | '.join(keys) + ' |', '|' + '---|' * len(keys)]
    lines += ['| ' + ' | '.join(cell(r.get(k)) for k in keys) + ' |' for r in ranked]
    with open(os.path.join(out, 'trials.md'), 'w') as f:
        f.write('\n'.join(lines) + '\n')


def plot_study(study, path):
    """The study as a PNG: each trial's value (pruned ones at their last
    report) and the best so far."""
    from matplotlib.figure import Figure
    rows = _rows(study)
    fig = Figure(figsize=(6.4, 4.8))
    ax = fig.add_subplot()
    for state, style in (('complete', 'o'), ('pruned', 'x')):
        pts = [(r['trial'], r['value']) for r in rows if r['state'] == state and
               r['value'] is not None]
        if pts:
            ax.plot(*zip(*pts), style, label=state, alpha=0.8)
    done = sorted((r['trial'], r['value']) for r in rows
                  if r['state'] == 'complete' and r['value'] is not None)
    if done:
        pick = max if study.direction.name == 'MAXIMIZE' else min
        best, xs, ys = None, [], []
        for n, v in done:
            best = v if best is None else pick(best, v)
            xs.append(n)
            ys.append(best)
        ax.step(xs, ys, where='post', label='best so far')
    from matplotlib.ticker import MaxNLocator
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel('trial')
    ax.set_ylabel('validation ' + ('accuracy' if study.direction.name == 'MAXIMIZE'
                                   else 'loss'))
    ax.set_title('Study {}: {} trials'.format(study.study_name, len(rows)))
    ax.legend()
    ax.grid(alpha=0.3)
    tmp = path + '.tmp.png'
    fig.savefig(tmp)
    os.replace(tmp, path)
