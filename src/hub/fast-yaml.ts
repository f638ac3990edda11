/**
 * cdk8s parses `helm template` output with the `yaml` package in YAML 1.1 mode, which takes
 * ~0.3 s for z2jh's 80 KB: most of a synth. js-yaml parses it in ~0.05 s and gives the same
 * objects for everything YAML 1.1 and 1.2 agree on. Where they differ (plain yes/no/on/off,
 * legacy octals, sexagesimal numbers, timestamps, 0o-octals), the text is left to cdk8s's own
 * parser, so the result is always what cdk8s (and kubectl's YAML 1.1) would read.
 */
import * as fs from 'node:fs';
import { Yaml } from 'cdk8s';
import * as yaml from 'js-yaml';

/** A plain (unquoted) scalar whose meaning differs between YAML 1.1 and js-yaml's core schema. */
const YAML11_ONLY = new RegExp(
  String.raw`(?:^|[:\-?]\s+|[\[{,]\s*)` +
    String.raw`(?:y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF|[-+]?0[0-7_]+|[-+]?0o[0-7]+|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt ][^\n]*)?)` +
    String.raw`\s*(?:$|[,\]}#])`,
  'm',
);

export function needsYaml11(text: string): boolean {
  return YAML11_ONLY.test(text);
}

/**
 * Same result as cdk8s's Yaml.load (empty documents skipped), faster when safe. `slow` is
 * cdk8s's own loader (passed in: inside withFastYaml, Yaml.load is this function).
 */
export function loadManifests(file: string, slow: (file: string) => unknown[] = (f) => Yaml.load(f)): unknown[] {
  const text = fs.readFileSync(file, 'utf8');
  if (needsYaml11(text)) return slow(file);
  return yaml.loadAll(text, undefined, { schema: yaml.CORE_SCHEMA }).filter((o) => {
    if (o === undefined || o === null) return false;
    if (Array.isArray(o)) return o.length > 0;
    return typeof o !== 'object' || Object.keys(o as object).length > 0;
  });
}

/** Runs `fn` (which constructs cdk8s Helm/Include objects) with the faster loader. */
export function withFastYaml<T>(fn: () => T): T {
  const original = Yaml.load;
  const slow = (f: string) => original.call(Yaml, f);
  Yaml.load = (urlOrFile: string) => (fs.existsSync(urlOrFile) ? loadManifests(urlOrFile, slow) : slow(urlOrFile)) as never;
  try {
    return fn();
  } finally {
    Yaml.load = original;
  }
}
