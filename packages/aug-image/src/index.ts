/**
 * @trainkit/aug-image — batched, seeded augmentation of NCHW float32 images, applied in
 * train mode through the trainer's batch-start hook. Runs in Node and in browsers.
 * @packageDocumentation
 */
export {};
