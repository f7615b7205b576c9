"""Training: fit, optimisers, GAP heads, and the recipe of the shipped models.

    fit      minibatch gradient descent on a cross-entropy, with a history
    optim    SGD and Adam, updating a model's trainable parameters in place
    heads    a GAP head at any conv layer (a CAM from a layer other than the last)
    recipes  RECIPE, the recipe of the shipped models, and train_one
    runner   ``numpycam train``: the recipe's models trained (in processes) with a log
"""
