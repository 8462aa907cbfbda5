"""Building blocks that several methods share: frozen VGG features, contextual attention
and the partial convolution, and the precision sums run in. Each method's own networks and losses stay in its plugin;
the hole bounding boxes are :func:`toolbox.crops.hole_boxes`."""
from .contextual_attention import FORMULATIONS, ContextualAttention, contextual_attention
from .partial_conv import PartialConv2d
from .precision import at_least_float32
from .vgg import FrozenVGG, shared_vgg, vgg_layers

__all__ = ['FORMULATIONS', 'ContextualAttention', 'contextual_attention', 'PartialConv2d',
           'at_least_float32',
           'FrozenVGG', 'shared_vgg', 'vgg_layers']
