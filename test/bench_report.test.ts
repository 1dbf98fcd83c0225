// The bench's SVG chart and text table, from hand-made results (no engines run).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeXml, logAxis, renderSvg } from '../bench/svg.js';
import { formatMs, formatTable, formatYardsticks, layoutTable } from '../bench/report.js';
import type { BenchResults, EngineResult } from '../bench/results.js';

function measured(engine: string, family: 'convkit' | 'peer', gflops: number): EngineResult {
  const ms = 1 / gflops;
  return {
    engine,
    family,
    threads: 1,
    status: 'ok',
    gflops,
    maxAbsDiff: 1e-6,
    ms: { count: 5, median: ms, min: ms, max: ms, q1: ms, q3: ms },
  };
}

function sampleResults(): BenchResults {
  return {
    machine: {
      cpuModel: 'Test CPU <fast> & "cool"',
      cores: 2,
      availableParallelism: 2,
      totalMemoryGiB: 8,
      platform: 'linux x64',
      nodeVersion: '20.0.0',
      date: '2025-01-01T00:00:00.000Z',
      loadAverageStart: [1, 1, 1],
      versions: {},
    },
    settings: {
      budgetMs: 10,
      minSamples: 3,
      maxSamples: 5,
      directMaxFlops: 1e6,
      quick: true,
      engines: [],
      convkitThreadsOption: false,
      tolerance: '',
      scratchMethod: '',
    },
    shapes: [
      {
        name: 'small<&>',
        input: [1, 5, 5, 5],
        filter: [3, 3, 5, 7],
        padding: 'SAME',
        outputShape: [1, 3, 3, 7],
        flops: 1e6,
        reference: 'direct',
        results: [
          measured('convkit:im2col', 'convkit', 2),
          { ...measured('tfjs-wasm', 'peer', 30), status: 'wrong' },
          measured('onnxruntime:t1', 'peer', 0.5),
        ],
      },
      {
        name: 'big',
        input: [1, 56, 56, 64],
        filter: [3, 3, 64, 64],
        padding: 'SAME',
        outputShape: [1, 56, 56, 64],
        flops: 2e8,
        reference: 'im2col',
        results: [
          { engine: 'convkit:direct', family: 'convkit', threads: 1, status: 'skipped', note: 'too big' },
          measured('convkit:im2col', 'convkit', 8),
          measured('onnxruntime:t1', 'peer', 100),
        ],
      },
    ],
    geomeanSpeedup: {},
  };
}

/** Checks that every tag is closed in order and that no raw '<' or '&' is left in text or attributes. */
function assertWellFormed(xml: string): void {
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, '');
  const stack: string[] = [];
  const tag = /<(\/?)([a-zA-Z][\w-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g;
  let last = 0;
  for (let match = tag.exec(body); match; match = tag.exec(body)) {
    const between = body.slice(last, match.index);
    assert.ok(!between.includes('<'), `stray '<' before ${match[0]}`);
    assert.ok(!/&(?!(amp|lt|gt|quot|apos);)/.test(between), `unescaped '&' in ${between}`);
    const [, closing, name, , selfClosing] = match;
    if (closing) assert.equal(stack.pop(), name, `</${name}> closes the wrong element`);
    else if (!selfClosing) stack.push(name);
    last = tag.lastIndex;
  }
  assert.equal(body.slice(last).trim(), '');
  assert.deepEqual(stack, [], 'unclosed elements');
}

test('renderSvg writes a well-formed SVG with one bar per measured result', () => {
  const svg = renderSvg(sampleResults());
  assertWellFormed(svg);
  assert.match(svg, /^<\?xml[^>]*>\n<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.equal((svg.match(/<rect class="bar"/g) ?? []).length, 5);
  assert.ok(svg.includes('small&lt;&amp;&gt;'), "svg.includes('small&lt;&amp;&gt;')");
  assert.ok(svg.includes('convkit:direct: skipped'), "svg.includes('convkit:direct: skipped')");
  assert.ok(svg.includes('WRONG'), "svg.includes('WRONG')");
});

test('renderSvg bar lengths grow with GFLOP/s on a log scale', () => {
  const svg = renderSvg(sampleResults());
  const widths = [
    ...svg.matchAll(/<rect class="bar"[^>]* width="([\d.]+)"[^>]*><title>[^<]*: ([\d.]+) GFLOP/g),
  ].map((m) => ({ width: Number(m[1]), gflops: Number(m[2]) }));
  widths.sort((a, b) => a.gflops - b.gflops);
  for (let i = 1; i < widths.length; i++)
    assert.ok(widths[i].width > widths[i - 1].width, 'widths[i].width > widths[i - 1].width');
  // 8 and 2 GFLOP/s are as far apart as 2 and 0.5 on a log scale.
  const at = (g: number) => widths.find((w) => w.gflops === g)?.width ?? NaN;
  assert.ok(
    Math.abs(at(8) - at(2) - (at(2) - at(0.5))) < 0.5,
    'Math.abs(at(8) - at(2) - (at(2) - at(0.5))) < 0.5',
  );
});

test('logAxis spans whole decades around the data, at least two', () => {
  assert.deepEqual(logAxis([0.5, 30]), { lo: 0.1, hi: 100 });
  assert.deepEqual(logAxis([3, 5]), { lo: 0.1, hi: 10 });
  assert.deepEqual(logAxis([]), { lo: 0.1, hi: 100 });
});

test('escapeXml escapes the five XML specials', () => {
  assert.equal(escapeXml(`a<b>&"c'`), 'a&lt;b&gt;&amp;&quot;c&apos;');
});

test('the table has a row per engine result and the yardsticks a row per shape', () => {
  const results = sampleResults();
  const table = formatTable(results).split('\n');
  assert.equal(table.length, 2 + 6);
  assert.ok(
    table.some((line) => line.includes('convkit:direct') && line.includes('skipped')),
    "table.some((line) => line.includes('convkit:direct') && line.includes('skipped'))",
  );
  assert.ok(
    table.some((line) => line.includes('tfjs-wasm') && line.includes('WRONG')),
    "table.some((line) => line.includes('tfjs-wasm') && line.includes('WRONG'))",
  );
  const yardsticks = formatYardsticks(results).split('\n');
  assert.equal(yardsticks.length, 2 + 2);
  assert.ok(yardsticks[3].startsWith('big'), "yardsticks[3].startsWith('big')");
  assert.ok(yardsticks[3].includes('8.00 (im2col)'), "yardsticks[3].includes('8.00 (im2col)')");
});

test('the yardsticks show convkit:auto with its algorithm, and the best engine leaves fallbacks out', () => {
  const results = sampleResults();
  results.shapes[1].results.push(
    { ...measured('convkit:auto', 'convkit', 9), runs: 'winograd' },
    { ...measured('convkit:fft', 'convkit', 50), fellBack: true, runs: 'igemm' },
  );
  const lines = formatYardsticks(results).split('\n');
  assert.ok(lines[0].includes('convkit:auto'), "lines[0].includes('convkit:auto')");
  assert.ok(lines[3].includes('9.00 (winograd)'), "lines[3].includes('9.00 (winograd)')");
  assert.ok(lines[3].includes('9.00 (auto)'), lines[3]);
  assert.ok(!lines[3].includes('fft'), "!lines[3].includes('fft')");
});

test('layoutTable aligns columns and formatMs keeps about three digits', () => {
  // One text column: numbers right-aligned under their header.
  const text = layoutTable(
    ['name', 'value'],
    [
      ['a', '1'],
      ['long name', '100'],
    ],
    [0],
  );
  const lines = text.split('\n');
  assert.equal(lines[0], 'name       value');
  assert.equal(lines[2], 'a              1');
  assert.equal(lines[3], 'long name    100');
  assert.equal(formatMs(123.456), '123');
  assert.equal(formatMs(12.345), '12.3');
  assert.equal(formatMs(0.012345), '0.0123');
});
