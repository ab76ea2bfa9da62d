"""Generation: cigen.yml and presets in, a linted ``.gitlab-ci.yml`` out.

``spec`` reads cigen.yml, ``presets`` finds and checks presets, ``render`` fills templates,
``build`` composes the pipeline data, ``writer`` adds the header and writes or checks the file,
and ``commands`` holds the click commands (:func:`cigen.cli.generate.register`).
"""
