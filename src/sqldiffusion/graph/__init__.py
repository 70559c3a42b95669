"""Networks as graphs of tensor primitives that know nothing about SQL or engines: the primitives
(ops.py), each network's config and builder (unet_config.py, unet.py), and their registry (networks.py)."""

from .networks import NETWORKS, Network, network_of
from .ops import Graph, Layer, Node
from .unet import build_unet, check_image_size, unet_layers
from .unet_config import UNetConfig

__all__ = ["NETWORKS", "Graph", "Layer", "Network", "Node", "UNetConfig", "build_unet", "check_image_size",
           "network_of", "unet_layers"]
