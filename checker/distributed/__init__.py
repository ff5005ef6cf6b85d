"""Running paraspec on Ray (the optional extra ``paraspec[ray]``).

* :mod:`.runtime`: importing Ray, starting or joining a cluster, one-line failures;
* :mod:`.partition`: the actor owning one hash partition of the visited set and frontier;
* :mod:`.search`: the level-synchronous breadth-first search the driver runs over the partitions;
* :mod:`.tasks`: simulation seeds and vector-suite machines as independent Ray tasks.

Nothing here imports Ray at module level: without the extra, ``--ray`` is one line and exit 2.
"""
