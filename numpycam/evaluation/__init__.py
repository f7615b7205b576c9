"""Is the map right? Localisation, WSOL metrics, faithfulness, sanity checks, shortcuts.

    localize        a box from a map (the CAM paper's rule), IoU, top-1 localisation accuracy
    pointing        the pointing game, the energy in the box, "its own object" on scenes
    wsol            threshold-free scores (MaxBoxAccV2, PxAP) and two maps that know nothing
    faithfulness    deletion / insertion curves, average drop and increase in confidence
    plan            the rows of ``numpycam evaluate`` and how each row's maps are made
    evaluate        ``numpycam evaluate``: every row scored on one test set
    threshold_free  evaluate's threshold-free columns and the baselines' rows
    table           evaluate's text table
    own_object      one map per class on scenes of several objects: does each find its object?
    sanity          model randomisation (Adebayo et al. 2018); sanity_data: data randomisation
    shortcut        a planted cue, a model trained on it, and the maps that show it
    boxlabels       box labels -> pixel labels with a map (the post's weak-supervision example)
    speed           ``numpycam bench``: timings against this machine's matmul
"""
