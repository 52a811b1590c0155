"""From a Keras model to GraphDefs: loading Keras files, freezing, the training step, the stages."""
