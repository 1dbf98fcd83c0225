/**
 * Checks, before any work starts, that the files and folders a command will write can be written: a
 * long training run must not end in ENOENT after the model is trained. Each problem is a UsageError
 * naming the flag, the path and what to do.
 */
import {
  accessSync,
  closeSync,
  constants,
  mkdirSync,
  openSync,
  statSync,
  unlinkSync,
  type Stats,
} from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { UsageError } from './usage_error.js';

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw error;
  }
}

function checkWritable(flag: string, given: string, folder: string): void {
  try {
    accessSync(folder, constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new UsageError(`${flag} ${given}: the folder ${folder} cannot be written (${code})`, [
      'pick a path in a folder you can write to',
    ]);
  }
}

/** The nearest existing folder above `path` (itself excluded); refuses a file in the way. */
function existingParent(flag: string, given: string, path: string): string {
  let parent = dirname(path);
  for (;;) {
    const stats = statOrNull(parent);
    if (stats?.isDirectory()) return parent;
    if (stats) {
      throw new UsageError(
        `${flag} ${given}: ${parent} is a file, not a folder, so nothing can be written under it`,
        ['pick another path'],
      );
    }
    const up = dirname(parent);
    if (up === parent) return parent;
    parent = up;
  }
}

/** A file the command will write: its folder must exist and be writable; the path must not be a folder. */
export function checkOutputFile(flag: string, path: string): void {
  const full = resolve(path);
  const stats = statOrNull(full);
  if (stats?.isDirectory()) {
    throw new UsageError(`${flag} ${path}: is a folder; give a file name inside it`);
  }
  const folder = dirname(full);
  const folderStats = statOrNull(folder);
  if (!folderStats) {
    // Name the first missing folder (or the file in the way) rather than only the whole path.
    existingParent(flag, path, folder);
    throw new UsageError(`${flag} ${path}: the folder ${folder} does not exist`, [
      `create it first (mkdir -p ${folder}) or pick another path`,
    ]);
  }
  if (!folderStats.isDirectory()) {
    throw new UsageError(`${flag} ${path}: ${folder} is a file, not a folder`, ['pick another path']);
  }
  checkWritable(flag, path, stats ? full : folder);
  // access() trusts permissions, which root passes even where writes fail (/proc, some mounts):
  // creating the file, then removing it, is the real test.
  if (!stats)
    attempt(
      flag,
      path,
      () => closeSync(openSync(full, 'wx')),
      () => unlinkSync(full),
    );
}

/** Runs a write that the check needs; its failure is the UsageError a later write would have caused. */
function attempt(flag: string, given: string, write: () => void, undo?: () => void): void {
  try {
    write();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new UsageError(`${flag} ${given}: cannot be written here (${code})`, [
      'pick a path in a folder you can write to',
    ]);
  }
  undo?.();
}

/** A folder the command writes files into; created now if missing (mkdir -p). */
export function checkOutputFolder(flag: string, path: string): void {
  const full = resolve(path);
  const stats = statOrNull(full);
  if (stats && !stats.isDirectory()) {
    throw new UsageError(`${flag} ${path}: is a file, not a folder`, [
      'give a folder (it is created if missing) to hold model.json and its weights',
    ]);
  }
  const parent = stats ? full : existingParent(flag, path, full);
  checkWritable(flag, path, parent);
  // The missing folders are made now, one level at a time: a write that fails fails before training
  // (Node's recursive mkdir never returns on some paths, /proc/... among them).
  let made = parent;
  for (const part of relative(parent, full).split(sep).filter(Boolean)) {
    made = join(made, part);
    attempt(flag, path, () => mkdirSync(made));
  }
}
