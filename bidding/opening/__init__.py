"""The bid opening (开标, docs/opening.md): the decryption window, the per-tender opening key, the
bidders' key releases, R15 at the window's close, and the hall's event chain.

- :mod:`bidding.opening.statement`: the key-release statement (bidder side and platform side; no
  database, so the agent and ``bidtool open`` import it);
- :mod:`bidding.opening.models`: opening keys, each bid's opening, the hall, sign-ins, objections;
- :mod:`bidding.opening.keys`: the per-tender opening key (made in the window, erased at its close);
- :mod:`bidding.opening.events`: hall events, serialised per tender (``hall_seq``);
- :mod:`bidding.opening.locks`: the row locks (a tender's hall, a bid's opening);
- :mod:`bidding.opening.services`: release, submit, close the window;
- :mod:`bidding.opening.effects`: the scheduler's effects at the deadline and the window's ends;
- :mod:`bidding.opening.hall`, :mod:`bidding.opening.record`: the hall's state, sign-in,
  objections; the opening record and the transcript.

Nothing here is imported on package import: :mod:`bidding.opening.statement` must stay free of
the database for the client tools.
"""
