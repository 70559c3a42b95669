"""The UNet as a graph of tensor primitives that knows nothing about SQL or engines."""

from .ops import Graph, Layer, Node
from .unet import build_unet, check_image_size, unet_layers

__all__ = ["Graph", "Layer", "Node", "build_unet", "check_image_size", "unet_layers"]
