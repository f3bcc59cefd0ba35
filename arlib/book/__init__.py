"""The book's helpers: what chapters show rather than what models are.

* ``results``: the results table of chapter 12, the binarization helpers, the check subset
* ``plotting``: image grids, learning curves, heatmaps, NLL against time, receptive-field figures
* ``tables``: tables as HTML (the one way a chapter shows a table)

The explorers (``arlib.widgets``) and the exercise checkers (``arlib.exercises``) are the book's too,
each a package of its own.
"""
