/**
 * Writing the output folder (dist/ or HUB_OUTDIR) safely:
 * - only a folder this program owns is ever changed: dist/ of the project, a folder holding the
 *   marker file `.microk8s-jupyterhub` (written on every synth), or a new or empty folder;
 *   anything else (`HUB_OUTDIR=.`, a folder with the user's files) is refused and left alone;
 * - one synth at a time: a lock file in the folder, with the holder's pid (a lock whose process
 *   is gone, after a kill, is taken over);
 * - the folder itself never disappears: each file is written complete into a staging folder
 *   inside it and renamed over its old version (a rename is atomic), then files the new output
 *   no longer has are removed. A reader sees every file either old or new, never half written.
 *   A kill in the middle leaves a mix of old and new files, which the next synth replaces;
 *   checks (leaks, validation, data moves) all run before the first rename;
 * - leftovers of killed runs (staging folders, and the `.dist-new-*` / `.dist-old-*` folders of
 *   versions before this one) are removed by the next synth.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../util/errors';
import { isSecretFile } from './manifests';

/** The file that marks a folder as written by this program. */
export const OUTDIR_MARKER = '.microk8s-jupyterhub';
/** Lock file; `.tmp-*` so that the project's .gitignore (`dist/.tmp-*`) keeps it out of git. */
export const LOCK_FILE = '.tmp-synth.lock';
const STAGING_PREFIX = '.tmp-staging-';
const MARKER_TEXT = 'This folder is written by microk8s-jupyterhub (npm run synth): every synth replaces its files.\n';
/** A lock older than this is stale even if its pid is alive again (reused): synth takes seconds. */
const LOCK_MAX_AGE_MS = 10 * 60 * 1000;

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

export interface OutdirRules {
  /** The project's own dist/, accepted without the marker (written by versions before it existed). */
  readonly defaultOutdir: string;
  /** Folders the output folder must never contain (the project, the secret store). */
  readonly protect: readonly string[];
}

/**
 * Refuses an output folder this program did not write. Changes nothing on disk.
 * @returns whether the folder exists already
 */
export function checkOutdir(outdir: string, rules: OutdirRules): boolean {
  const dir = path.resolve(outdir);
  for (const p of rules.protect) {
    if (isInside(path.resolve(p), dir)) {
      throw new UserError(`Refusing to write the output folder ${dir}: it contains ${path.resolve(p)}, and every synth replaces what the output folder holds.\nNothing was changed. Set HUB_OUTDIR to a new or empty folder (or unset it for dist/).`);
    }
  }
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch {
    return false;
  }
  if (!st.isDirectory()) {
    throw new UserError(`Refusing to write the output folder ${dir}: it is a file, not a folder.\nNothing was changed. Set HUB_OUTDIR to a new or empty folder (or unset it for dist/).`);
  }
  if (dir === path.resolve(rules.defaultOutdir) || fs.existsSync(path.join(dir, OUTDIR_MARKER))) return true;
  // Our own lock and staging folders do not count (a new folder holds them while being written).
  const entries = fs.readdirSync(dir).filter((n) => n !== LOCK_FILE && !n.startsWith(STAGING_PREFIX));
  if (entries.length === 0) return true;
  const shown = entries.sort().slice(0, 5).join(', ') + (entries.length > 5 ? `, ... (${entries.length} entries)` : '');
  throw new UserError(
    `Refusing to write the output folder ${dir}: it holds files this program did not write (${shown}), and every synth replaces what the output folder holds.\n` +
      `Nothing was changed. Set HUB_OUTDIR to a new or empty folder (or unset it for dist/). Folders written by synth hold a file named ${OUTDIR_MARKER}; if an earlier version of this program wrote this one, delete the folder and synth again.`,
  );
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

interface LockInfo {
  readonly pid: number;
  readonly text: string;
  readonly ageMs: number;
}

function readLock(file: string): LockInfo | undefined {
  try {
    const text = fs.readFileSync(file, 'utf8');
    const ageMs = Date.now() - fs.statSync(file).mtimeMs;
    return { pid: Number.parseInt(text, 10), text, ageMs };
  } catch {
    return undefined; // released meanwhile
  }
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** A held lock on an output folder. */
export interface OutdirLock {
  release(): void;
}

/**
 * Takes the output folder's lock, waiting up to `waitSeconds` for another synth to finish. A
 * lock left by a process that no longer runs is taken over (see also cleanUpOnSignals).
 */
export function lockOutdir(outdir: string, waitSeconds: number): OutdirLock {
  const dir = path.resolve(outdir);
  // Before the folder is created for the lock: an older version's interrupted swap left the
  // previous output beside it.
  recoverInterruptedSwap(dir);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, LOCK_FILE);
  const deadline = Date.now() + waitSeconds * 1000;
  for (;;) {
    try {
      fs.writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const held = readLock(file);
    if (!held) continue;
    if (!Number.isInteger(held.pid) || held.pid <= 0 || !pidAlive(held.pid) || held.ageMs > LOCK_MAX_AGE_MS) {
      // Stale (its process was killed): remove it unless another synth replaced it meanwhile.
      if (readLock(file)?.text === held.text) fs.rmSync(file, { force: true });
      continue;
    }
    if (Date.now() >= deadline) {
      throw new UserError(
        `Another synth (process ${held.pid}) is writing ${dir}; waited ${waitSeconds} s for it.\n` +
          `Run again when it has finished. If process ${held.pid} hangs, stop it (kill ${held.pid}); its lock is then taken over.`,
      );
    }
    sleep(100);
  }
  const release = () => {
    heldLocks.delete(release);
    removeStaging(dir);
    if (readLock(file)?.pid === process.pid) fs.rmSync(file, { force: true });
  };
  heldLocks.add(release);
  cleanUpOnSignals();
  return { release };
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const heldLocks = new Set<() => void>();
let signalsHandled = false;

/**
 * Once a lock was taken, SIGINT, SIGTERM and SIGHUP first release the locks still held (and
 * their staging folders), then end the process as the signal asks. The writing itself is
 * synchronous, so a signal that arrives while files are renamed is acted on after the last one.
 */
function cleanUpOnSignals(): void {
  if (signalsHandled) return;
  signalsHandled = true;
  const onSignal = (signal: NodeJS.Signals) => {
    for (const release of [...heldLocks]) release();
    for (const s of SIGNALS) process.removeListener(s, onSignal);
    process.kill(process.pid, signal);
  };
  for (const s of SIGNALS) process.on(s, onSignal);
}

function removeStaging(dir: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) if (n.startsWith(STAGING_PREFIX)) fs.rmSync(path.join(dir, n), { recursive: true, force: true });
}

/**
 * Leftovers of runs that were killed: staging folders inside the output folder, and the
 * `.dist-new-*` / `.dist-old-*` folders that versions before this one swapped in beside it. If
 * the output folder is missing, the newest `.dist-old-*` is the previous output (a kill between
 * the old version's two renames): it is put back first. Call with the lock held.
 */
export function cleanLeftovers(outdir: string): void {
  const dir = path.resolve(outdir);
  recoverInterruptedSwap(dir);
  removeStaging(dir);
  const parent = path.dirname(dir);
  let siblings: string[] = [];
  try {
    siblings = fs.readdirSync(parent);
  } catch {
    return;
  }
  for (const n of siblings) {
    if (n.startsWith('.dist-new-') || n.startsWith('.dist-old-')) fs.rmSync(path.join(parent, n), { recursive: true, force: true });
  }
}

/** A kill between an older version's two renames left no output folder but a `.dist-old-*`. */
export function recoverInterruptedSwap(outdir: string): void {
  if (fs.existsSync(outdir)) return;
  const parent = path.dirname(path.resolve(outdir));
  let old: string[] = [];
  try {
    old = fs.readdirSync(parent).filter((n) => n.startsWith('.dist-old-')).sort();
  } catch {
    return;
  }
  if (old.length === 0) return;
  try {
    fs.renameSync(path.join(parent, old[old.length - 1]), outdir);
  } catch (err) {
    // Another synth put it back first.
    if (!fs.existsSync(outdir)) throw err;
  }
}

/** Every file under `dir` (relative paths), staging folders, the marker and the lock left out. */
function listFiles(dir: string, rel = ''): string[] {
  const out: string[] = [];
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(path.join(dir, rel), { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (!rel && (e.name === OUTDIR_MARKER || e.name === LOCK_FILE || e.name.startsWith(STAGING_PREFIX))) continue;
    if (e.isDirectory()) out.push(...listFiles(dir, r));
    else out.push(r);
  }
  return out;
}

const fileMode = (name: string) => (isSecretFile(name) ? 0o600 : 0o644);

/** Whether `file` is a regular file with exactly `content` and permission bits `mode`. */
function sameFile(file: string, content: string, mode: number): boolean {
  const st = fs.lstatSync(file, { throwIfNoEntry: false });
  if (!st?.isFile() || (st.mode & 0o777) !== mode || st.size !== Buffer.byteLength(content)) return false;
  return fs.readFileSync(file, 'utf8') === content;
}

/**
 * Makes `outdir` hold exactly `files` (plus the marker), file by file: see the top of this file.
 * Call with the lock held and the folder checked by checkOutdir. Secret files are mode 0600.
 */
export function writeDist(outdir: string, files: ReadonlyMap<string, string>): void {
  const dir = path.resolve(outdir);
  fs.mkdirSync(dir, { recursive: true });
  const staging = path.join(dir, `${STAGING_PREFIX}${process.pid}`);
  fs.rmSync(staging, { recursive: true, force: true });
  fs.mkdirSync(staging, { mode: 0o700 });
  try {
    const all = new Map(files);
    all.set(OUTDIR_MARKER, MARKER_TEXT);
    // A file already holding exactly this content and mode is left alone (a synth that changes
    // nothing rewrites nothing, and keeps the files' times).
    for (const [name, content] of all) {
      if (sameFile(path.join(dir, name), content, fileMode(name))) all.delete(name);
    }
    for (const [name, content] of all) {
      const file = path.join(staging, name);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, content, { mode: fileMode(name) });
    }
    for (const name of all.keys()) {
      const target = path.join(dir, name);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      // A folder where a file now goes (or the reverse) cannot be renamed over: remove it first.
      const st = fs.lstatSync(target, { throwIfNoEntry: false });
      if (st?.isDirectory()) fs.rmSync(target, { recursive: true, force: true });
      fs.renameSync(path.join(staging, name), target);
    }
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
  for (const rel of listFiles(dir)) {
    if (!files.has(rel)) fs.rmSync(path.join(dir, rel), { force: true });
  }
  removeEmptyFolders(dir, true);
}

function removeEmptyFolders(dir: string, top: boolean): void {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory() && !(top && e.name.startsWith(STAGING_PREFIX))) removeEmptyFolders(path.join(dir, e.name), false);
  }
  if (!top && fs.readdirSync(dir).length === 0) fs.rmdirSync(dir);
}

/**
 * Reads a dist/ folder back, recursively: relative path -> text of its .yaml/.yml/.json files.
 * `include` chooses which of them to read. @default all
 */
export function readDist(dir: string, include: (relativePath: string) => boolean = () => true): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    if (!fs.existsSync(d)) return;
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        if (!e.name.startsWith(STAGING_PREFIX)) walk(p);
      } else if (/\.(ya?ml|json)$/.test(e.name) && include(path.relative(dir, p))) out.set(path.relative(dir, p), fs.readFileSync(p, 'utf8'));
    }
  };
  walk(dir);
  return out;
}
