"""A real ImageNet network: EfficientNet-Lite0, the safe .pth reader, photos and their boxes."""
