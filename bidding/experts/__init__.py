"""Evaluation experts (评审专家): the operator's pool, the verifiable draw for a tender with
avoidance, the drawn list kept encrypted to the agency until the evaluation starts, and the
experts' own sign-in and signatures with one-time codes and short-lived event certificates (R12).

- ``models.py``: :class:`Expert`, :class:`ExpertConflict`, :class:`ExpertDraw`,
  :class:`ExpertAssignment`, :class:`ExpertCode`, :class:`EventCertificate`, :class:`ExpertSignature`
- ``draw.py``: the draw as pure functions (snapshot, commitment, order, :func:`verify_draw`)
- ``pool.py``: the operator's use cases (experts, declared conflicts)
- ``services.py``: the draw, confirm/decline, the list's opening at the evaluation start
- ``codes.py``: one-time codes (6 digits, 10 minutes, 5 tries, one use, rate-limited)
- ``signing.py``: event certificates on the platform's token and signatures confirmed by a code

docs/experts.md describes the formats and the rules.
"""
