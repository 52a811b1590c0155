"""GraphDefs: reading, checks, the op taxonomy, signatures, summaries, the stage diff, rewrites.

Nothing here imports Keras, the viewer, the runtimes or the tutorial.
"""
