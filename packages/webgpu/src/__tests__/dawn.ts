import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { type GpuContext, requestGpu } from '../context';

/** Debian's Chromium ships a Vulkan loader and the SwiftShader Vulkan driver: a software adapter for Dawn. */
const CHROMIUM = '/usr/lib/chromium';
const RTLD_NOW = 2;
const RTLD_GLOBAL = 0x100;
const RTLD_NODELETE = 0x1000; // glibc: keep the library loaded after Node's failed addon check closes it

/**
 * Opens Dawn on the SwiftShader driver for tests, or returns the reason it cannot (printed by the
 * test that skips). glibc reads LD_LIBRARY_PATH only at process start, so instead of requiring it
 * in the environment this preloads Chromium's libvulkan.so.1 by path (Dawn's later dlopen of the
 * same soname finds it) and points the Vulkan loader at the SwiftShader ICD.
 */
export async function openTestGpu(): Promise<GpuContext | string> {
  if (process.env.VK_ICD_FILENAMES === undefined && existsSync(`${CHROMIUM}/vk_swiftshader_icd.json`)) {
    process.env.VK_ICD_FILENAMES = `${CHROMIUM}/vk_swiftshader_icd.json`;
  }
  if (existsSync(`${CHROMIUM}/libvulkan.so.1`)) {
    try {
      process.dlopen({ exports: {} }, `${CHROMIUM}/libvulkan.so.1`, RTLD_NOW | RTLD_GLOBAL | RTLD_NODELETE);
    } catch {
      // expected: "Module did not self-register" (it is not a Node addon), the library stays loaded
    }
  }
  try {
    createRequire(import.meta.url).resolve('webgpu');
  } catch {
    return 'the "webgpu" package (Dawn) is not installed';
  }
  try {
    return await requestGpu();
  } catch (e) {
    return (e as Error).message;
  }
}

let shared: Promise<GpuContext | string> | null = null;

/** One device for every test file in a worker (Dawn's startup costs about 100 ms). */
export function testGpu(): Promise<GpuContext | string> {
  shared ??= openTestGpu();
  return shared;
}
