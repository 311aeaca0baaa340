/** Pretrained weights that do not fit, or a transfer operation that names something the model lacks. */
export class TransferError extends Error {
  override name = 'TransferError';
}
