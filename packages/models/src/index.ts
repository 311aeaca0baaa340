/**
 * @trainkit/models — a model zoo defined like its PyTorch counterparts: CIFAR-style ResNets,
 * a MobileNetV2-style network and a small vision transformer, with torchvision/timm parameter
 * names so state dicts move between trainkit and PyTorch. Runs in Node and in browsers.
 * @packageDocumentation
 */
export { resnet, ResNet, BasicBlock } from './resnet';
export { mobilenetV2, MobileNetV2, InvertedResidual, MOBILENET_V2_SMALL_CONFIG } from './mobilenet';
export { vitTiny, VisionTransformer, TransformerBlock } from './vit';
export { ReLU6 } from './relu6';

export type { ResNetDepth, ResNetOptions } from './resnet';
export type { MobileNetV2Options, InvertedResidualSetting } from './mobilenet';
export type { ViTOptions } from './vit';
