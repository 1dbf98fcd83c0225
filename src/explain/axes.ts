/** What each axis of the input, filter and output means, in plain words, for one conv2d geometry. */
import type { ConvGeometry } from '../geometry.js';
import type { AxisMeaning } from './types.js';
import { plural } from './numbers.js';

/** Orders [batch, height, width, channels] entries as the layout stores them; drops batch for rank 3. */
function inLayout(g: ConvGeometry, [n, h, w, c]: AxisMeaning[]): AxisMeaning[] {
  const ordered = g.dataFormat === 'NHWC' ? [n, h, w, c] : [n, c, h, w];
  return g.batched ? ordered : ordered.slice(1);
}

function filterCube(g: ConvGeometry): string {
  return `${g.filterHeight}x${g.filterWidth}x${g.filterInChannels}`;
}

/** Filter rows/columns, mentioning dilation when it spreads the taps out. */
function filterSpan(taps: number, dilation: number, effective: number, direction: string): string {
  const base = `each filter covers ${plural(taps, direction)}`;
  return dilation === 1 ? base : `${base}, spread over ${effective} by dilation ${dilation}`;
}

export function inputAxes(g: ConvGeometry): AxisMeaning[] {
  const batch = g.batched
    ? `${plural(g.batch, 'image')} in the batch`
    : 'one image (rank-3 input: no batch axis)';
  return inLayout(g, [
    { name: 'batch', size: g.batch, meaning: batch },
    { name: 'in_height', size: g.inHeight, meaning: `each image is ${plural(g.inHeight, 'pixel')} tall` },
    { name: 'in_width', size: g.inWidth, meaning: `each image is ${plural(g.inWidth, 'pixel')} wide` },
    {
      name: 'in_channels',
      size: g.inChannels,
      meaning: `${plural(g.inChannels, 'number')} per pixel (channels; 3 for an RGB image)`,
    },
  ]);
}

/** The filter is always [filter_height, filter_width, in_channels, out_channels], whatever dataFormat. */
export function filterAxes(g: ConvGeometry): AxisMeaning[] {
  const depth =
    g.groups === 1
      ? `each filter is a ${filterCube(g)} cube: its depth ${g.filterInChannels} matches the input's ` +
        `${plural(g.inChannels, 'channel')}`
      : `each filter is a ${filterCube(g)} cube: it sees ${g.filterInChannels} of the input's ` +
        `${g.inChannels} channels (${g.groups} groups of channels, grouped convolution)`;
  return [
    {
      name: 'filter_height',
      size: g.filterHeight,
      meaning: filterSpan(g.filterHeight, g.dilationHeight, g.effectiveFilterHeight, 'row'),
    },
    {
      name: 'filter_width',
      size: g.filterWidth,
      meaning: filterSpan(g.filterWidth, g.dilationWidth, g.effectiveFilterWidth, 'column'),
    },
    { name: 'in_channels', size: g.filterInChannels, meaning: depth },
    {
      name: 'out_channels',
      size: g.outChannels,
      meaning: `${plural(g.outChannels, 'filter')}, each ${filterCube(g)}: one per output channel`,
    },
  ];
}

export function outputAxes(g: ConvGeometry): AxisMeaning[] {
  const batch = g.batched
    ? `${plural(g.batch, 'result image')}, one per input image`
    : 'one result image (no batch axis, like the input)';
  return inLayout(g, [
    { name: 'batch', size: g.batch, meaning: batch },
    {
      name: 'out_height',
      size: g.outHeight,
      meaning: `${plural(g.outHeight, 'row')}: one per filter position down the image`,
    },
    {
      name: 'out_width',
      size: g.outWidth,
      meaning: `${plural(g.outWidth, 'column')}: one per filter position across the image`,
    },
    {
      name: 'out_channels',
      size: g.outChannels,
      meaning: `${plural(g.outChannels, 'channel')}: one per filter`,
    },
  ]);
}
