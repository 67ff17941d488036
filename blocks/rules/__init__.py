"""Pure-Python rules the block modules share: shapes, costs, parameter specs, technique constants.

Imported at module level by blocks (never Keras): the editor validates a graph with them on every edit.
"""
