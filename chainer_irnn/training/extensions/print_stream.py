"""A stream for ``PrintReport`` that follows ``sys.stdout``."""
import sys


class ReportStream(object):
    """Standard output for ``PrintReport``, without its erase sequence off a terminal.

    ``PrintReport`` writes ``ESC [ J`` before each line to erase a progress
    bar below the cursor; in a file or a pipe that is noise.  The stream is
    looked up at each write, so redirections made later (pytest's capture
    among them) are followed.
    """

    ERASE = '\033[J'

    def write(self, text):
        out = sys.stdout
        if text == self.ERASE and not (hasattr(out, 'isatty') and out.isatty()):
            return
        out.write(text)

    def flush(self):
        sys.stdout.flush()
