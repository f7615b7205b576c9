"""A real ImageNet network: EfficientNet-Lite0, the safe .pth reader, photos and their boxes.

    efficientnet  EfficientNet-Lite0 as a Sequential, built from a state dict
    pth           a reader for PyTorch's legacy .pth files through an allow-list unpickler
    pth_scan      the opcode walk that bounds a .pth pickle before it is unpickled
    weights       the optional package's weights file, and the network built from it
    classes       the 1000 class names, a class by name, the top classes of a score row
    preprocess    a photo -> the network's input x (1, 3, 224, 224), and back
    imagefile     read_image: any photo file, bounded before decoding, EXIF-upright, scaled to [0, 1]
    photos        the shipped photos (data/), loading any photo, their boxes, the two-object picture
    explainer     explain_photo: what ``numpycam explain`` computes (its figures: numpycam.viz.photos)
"""
