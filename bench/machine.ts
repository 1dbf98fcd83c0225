/** The machine and library versions a run was measured on, for the results file and the summary. */
import { availableParallelism, arch, cpus, loadavg, platform, totalmem } from 'node:os';
import * as ort from 'onnxruntime-node';
import type { MachineInfo } from './results.js';
import { tfjsInfo } from './peers/tfjs.js';

export async function machineInfo(): Promise<MachineInfo> {
  const cpuList = cpus();
  return {
    cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
    cores: cpuList.length,
    availableParallelism: availableParallelism(),
    totalMemoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    platform: `${platform()} ${arch()}`,
    nodeVersion: process.versions.node,
    date: new Date().toISOString(),
    loadAverageStart: loadavg(),
    versions: { tfjs: await tfjsInfo(), onnxruntime: ort.env.versions.node ?? ort.env.versions.common },
  };
}
