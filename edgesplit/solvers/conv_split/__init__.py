"""Methods for ``conv_split`` (004): the exact MILP, Alg. 1 with TD3 or greedy threads, and
the layer-wise baselines. Importing this package registers them all.

Modules: :mod:`.milp` (``milp``, with the time-level model of :mod:`.levels` and the
warm start and pooled bound of :mod:`.search`), :mod:`.alg1` (Alg. 1, ``alg1-greedy``), :mod:`.td3`
(``alg1-td3`` and its gymnasium environment, 004 eq. 8-10), :mod:`.baselines` (``no-split``,
``dads``), :mod:`.pipeline` (the multi-task alternation of 004 Sec. 3.2 as a discrete-event
simulation) and :mod:`.torch_split` (the height split run in torch, 004 Sec. 3.3).
"""

from edgesplit.solvers.conv_split import alg1, baselines, milp, td3  # noqa: F401  (register)
