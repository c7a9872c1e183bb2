"""Upstream archives -> extracted Bronze files: ledger, one-pass extraction, atomic publish.

Entry point: :func:`pointline_core.extract` (:func:`pointline_core.upstream.runner.extract`)
and ``pointline extract SOURCE BRONZE``. Vendors own naming (``pointline_recognize_archive``)
and member placement (``pointline_member_path``); this package owns everything else.
"""
