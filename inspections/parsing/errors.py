class ReportRefused(Exception):
    """The file is not a readable children's services inspection report.

    The message is shown to staff as it is: say what was wrong in plain words.
    """
