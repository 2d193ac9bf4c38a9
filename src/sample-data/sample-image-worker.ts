/**
 * A worker thread of loadSampleImages: regenerates the catalog from its seed and scale (the same
 * images, byte for byte) and writes the images it is sent, by index, one at a time.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { stripe82Catalog } from './stripe82Catalog.js';
import { sampleImages, type SampleImageOptions } from './sample-images.js';

/** What the worker is started with. */
export interface SampleImageWorkerData {
  seed: number;
  scale: number;
  imagesDir: string;
  exposures?: number[];
  coadds?: number[];
}

const data = workerData as SampleImageWorkerData;
const options: SampleImageOptions = {};
if (data.exposures) options.exposures = data.exposures;
if (data.coadds) options.coadds = data.coadds;
const images = sampleImages(stripe82Catalog(data.seed, data.scale), data.imagesDir, options);
parentPort!.on('message', (k: number) => {
  try {
    images[k]!.write();
    parentPort!.postMessage({ k });
  } catch (e) {
    parentPort!.postMessage({ k, error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  }
});
