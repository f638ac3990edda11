/**
 * Readers for .tgz and .zip archives (node has no built-in tar or zip). Tar goes through
 * node-tar's parser (the one npm itself uses), which understands every header flavour `tar` and
 * `helm package` write: ustar prefix/name, PAX extended headers and GNU long names (././@LongLink),
 * gzipped or not. It is loaded on first use only: synth from a chart folder never pays for it.
 */
import * as zlib from 'node:zlib';
import type { Parser as TarParser } from 'tar';

/** Archive paths compare without a leading "./" (GNU tar writes one for `-C dir .`). */
function normalizeEntryPath(p: string): string {
  return p.replace(/^(\.\/)+/, '');
}

/** Reads one file out of a tar archive (gzipped or not). Throws when it is not there or the archive is corrupt. */
export function extractFromTgz(tgz: Buffer, wanted: string): Buffer {
  const { Parser } = require('tar') as { Parser: typeof TarParser };
  const target = normalizeEntryPath(wanted);
  const chunks: Buffer[] = [];
  let found = false;
  let failure: Error | undefined;
  // strict: a damaged archive is an error, not a warning followed by a partial file. The parser
  // works synchronously on a Buffer: once end() returns every entry has been read.
  const parser = new Parser({
    strict: true,
    onReadEntry: (entry) => {
      if (!found && (entry.type === 'File' || entry.type === 'OldFile' || entry.type === 'ContiguousFile') && normalizeEntryPath(entry.path) === target) {
        found = true;
        entry.on('data', (c: Buffer) => chunks.push(c));
      } else {
        entry.resume();
      }
    },
  });
  parser.on('error', (e: Error) => {
    failure ??= e;
  });
  parser.end(tgz);
  if (failure) throw new Error(`corrupt tar archive: ${failure.message}`);
  if (!found) throw new Error(`${wanted} not found in archive`);
  return Buffer.concat(chunks);
}

/** Reads one stored or deflated entry from a zip archive through its central directory. */
export function extractFromZip(zip: Buffer, wanted: string): Buffer {
  let eocd = zip.length - 22;
  while (eocd >= 0 && zip.readUInt32LE(eocd) !== 0x06054b50) eocd--;
  if (eocd < 0) throw new Error('not a zip archive');
  const entries = zip.readUInt16LE(eocd + 10);
  let p = zip.readUInt32LE(eocd + 16);
  for (let i = 0; i < entries; i++) {
    if (zip.readUInt32LE(p) !== 0x02014b50) throw new Error('corrupt zip central directory');
    const method = zip.readUInt16LE(p + 10);
    const compSize = zip.readUInt32LE(p + 20);
    const nameLen = zip.readUInt16LE(p + 28);
    const extraLen = zip.readUInt16LE(p + 30);
    const commentLen = zip.readUInt16LE(p + 32);
    const localOff = zip.readUInt32LE(p + 42);
    const name = zip.subarray(p + 46, p + 46 + nameLen).toString('utf8');
    if (name === wanted) {
      const lNameLen = zip.readUInt16LE(localOff + 26);
      const lExtraLen = zip.readUInt16LE(localOff + 28);
      const data = zip.subarray(localOff + 30 + lNameLen + lExtraLen, localOff + 30 + lNameLen + lExtraLen + compSize);
      if (method === 0) return Buffer.from(data);
      if (method === 8) return zlib.inflateRawSync(data);
      throw new Error(`unsupported zip compression method ${method}`);
    }
    p += 46 + nameLen + extraLen + commentLen;
  }
  throw new Error(`${wanted} not found in zip`);
}

