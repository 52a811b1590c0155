"""The fast tier: the library and its CLI on real models, in this process and its children."""
