/**
 * @trainkit/data/web — browser datasets: a folder of images sorted into class subfolders,
 * picked with `<input webkitdirectory>` or dropped on the page, decoded by the browser
 * (`createImageBitmap` + `OffscreenCanvas`) into the same `Dataset` interface as
 * `@trainkit/data/node`'s `imageFolder`.
 * @packageDocumentation
 */
export { imageFolder } from './web/imageFolder';
export { filesFromDrop, filesFromEntries } from './web/drop';
export { InMemoryImageDataset } from './web/dataset';
export { WEB_IMAGE_EXTENSIONS, minFilesForValidation } from './web/files';

export type { WebImageFolderResult, WebImageFolderReport } from './web/imageFolder';
export type { WebImageFolderOptions } from './web/options';
export type { FolderFiles, PathedFile, WebIgnoredFile } from './web/files';
