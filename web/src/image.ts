/** Pictures as conv2d input: an uploaded image (or a drawn sample) to grayscale, and classic 3x3 filters. */

export interface GrayImage {
  height: number;
  width: number;
  /** 0..255, row by row. */
  values: number[];
}

export interface ClassicFilter {
  id: string;
  name: string;
  /** 3x3, row by row. */
  kernel: number[];
  note: string;
}

export const CLASSIC_FILTERS: ClassicFilter[] = [
  {
    id: 'blur',
    name: 'Blur',
    kernel: [1, 2, 1, 2, 4, 2, 1, 2, 1].map((v) => v / 16),
    note: 'a weighted average of each pixel and its neighbours',
  },
  {
    id: 'sharpen',
    name: 'Sharpen',
    kernel: [0, -1, 0, -1, 5, -1, 0, -1, 0],
    note: 'the pixel minus its neighbours',
  },
  {
    id: 'sobel-x',
    name: 'Sobel x',
    kernel: [-1, 0, 1, -2, 0, 2, -1, 0, 1],
    note: 'right minus left: lights up vertical edges',
  },
  {
    id: 'sobel-y',
    name: 'Sobel y',
    kernel: [-1, -2, -1, 0, 0, 0, 1, 2, 1],
    note: 'below minus above: lights up horizontal edges',
  },
];

/** Reads the pixels of a canvas as grayscale (ITU-R 601 luma), whole numbers 0..255. */
function grayOf(canvas: HTMLCanvasElement): GrayImage {
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('This browser cannot read canvas pixels.');
  const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
  const values: number[] = [];
  for (let i = 0; i < data.length; i += 4) {
    values.push(Math.round(0.299 * data[i] + 0.587 * data[i + 1] + 0.114 * data[i + 2]));
  }
  return { height: canvas.height, width: canvas.width, values };
}

/** An image file, scaled so its longer side is `maxSide` pixels, as grayscale. */
export async function imageFileToGray(file: Blob, maxSide: number): Promise<GrayImage> {
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, maxSide / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, Math.round(bitmap.width * scale));
  canvas.height = Math.max(1, Math.round(bitmap.height * scale));
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('This browser cannot draw images on a canvas.');
  ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  return grayOf(canvas);
}

/** A small drawn picture (a disc, a square and a bar) with clear edges, for trying the filters. */
export function sampleImage(size: number): GrayImage {
  const canvas = document.createElement('canvas');
  canvas.width = size;
  canvas.height = size;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('This browser cannot draw on a canvas.');
  const s = size / 32;
  ctx.fillStyle = '#1e1e1e';
  ctx.fillRect(0, 0, size, size);
  ctx.fillStyle = '#f0f0f0';
  ctx.beginPath();
  ctx.arc(10 * s, 11 * s, 7 * s, 0, 2 * Math.PI);
  ctx.fill();
  ctx.fillStyle = '#909090';
  ctx.fillRect(17 * s, 15 * s, 12 * s, 13 * s);
  ctx.fillStyle = '#d0d0d0';
  ctx.fillRect(3 * s, 24 * s, 11 * s, 3 * s);
  return grayOf(canvas);
}
