"""numpycam's own model files and the shipped models.

rules.py    what a model file is (one .npz: a JSON header and one array per parameter, nothing
            pickled) and the checks that save and load share
save.py     numpycam.save: write a model, atomically, refusing what load would refuse
load.py     numpycam.load: read a model, checking every header before allocating its data
zoo.py      numpycam.pretrained: the shipped models (and, on demand, the ImageNet network)
"""
