"""`sqldiffusion serve`: a local web page where the picture emerges and the network runs as SQL.

`app.py` routes HTTP requests, `jobs.py` runs one generation at a time per engine and records what
it reports, `gallery.py` keeps finished pictures in the database; `sqldiffusion/diagram.py` draws
a model's UNet from its config and its SQL program. The page itself is plain HTML, CSS and
JavaScript in `static/`.
"""
