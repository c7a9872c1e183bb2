"""Gold: tables derived from Silver for research (bars), rebuilt per partition with lineage.

:mod:`~.specs` declares them; :mod:`~.derive` materialises them (``pointline derive``).
"""
