/**
 * Reads `helm template` output the way the cluster's clients read it. helm install and kubectl
 * turn YAML into JSON with sigs.k8s.io/yaml, whose reader is a fork of go-yaml v2.4.0 (YAML 1.1
 * scalars: plain yes/no/on/off/y/n are booleans, also as mapping keys; 0755 is octal; `<<: *x`
 * merges). The `yaml` package in YAML 1.1 mode (what cdk8s's own Yaml.load uses, cdk8s 2.70
 * lib/yaml.js) reads the same, except for four scalars, which follow go-yaml v2.4.0 here
 * (github.com/go-yaml/yaml, tag v2.4.0, resolve.go and decode.go):
 * - sexagesimal `1:30` stays the string "1:30" (resolve.go: "Base 60 floats ... purposefully
 *   unsupported"); cdk8s read 90;
 * - a timestamp `2024-05-27` stays the string as written (decode.go: "for backward compatibility
 *   reasons we set it as a string"); cdk8s read "2024-05-27T00:00:00.000Z";
 * - `!!binary aGk=` is the decoded text "hi" (decode.go: `resolved = string(data)`); cdk8s read
 *   a Buffer's JSON, {"type":"Buffer","data":[...]};
 * - `0o755` is 493 (resolve.go: strconv.ParseInt(plain, 0, 64) takes the 0o prefix); cdk8s read
 *   the string "0o755".
 * test/helm-output.test.ts holds one case for each.
 */
import { parseAllDocuments } from 'yaml';
import type { ScalarTag, Tags } from 'yaml';
import { UserError } from '../util/errors';

const TAG = 'tag:yaml.org,2002:';

/** `0o755`, `-0o7_55`: an integer, as strconv.ParseInt(s, 0, 64) reads it after go-yaml drops "_". */
const octal0o: ScalarTag = {
  identify: () => false,
  default: true,
  tag: `${TAG}int`,
  test: /^[-+]?0o[0-7_]+$/,
  resolve: (src) => {
    const digits = src.replace(/_/g, '');
    const n = parseInt(digits.replace(/^([-+]?)0o/, '$1'), 8);
    return n;
  },
};

/** `!!binary`: the decoded bytes as text (invalid UTF-8 becomes U+FFFD, as Go's JSON encoder does). */
const binaryAsText: ScalarTag = {
  identify: () => false,
  default: false,
  tag: `${TAG}binary`,
  resolve: (src, onError) => {
    const b64 = src.replace(/[\r\n]/g, '');
    if (b64.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) onError('!!binary value contains invalid base64 data');
    return Buffer.from(b64, 'base64').toString('utf8');
  },
};

/** An explicit `!!timestamp`: the text as written. (Plain timestamps are strings without this tag.) */
const timestampAsText: ScalarTag = {
  identify: () => false,
  default: false,
  tag: `${TAG}timestamp`,
  resolve: (src) => src,
};

function kubectlTags(tags: Tags): Tags {
  const kept = tags.filter((t) => {
    const tag = t as ScalarTag;
    return tag.format !== 'TIME' && tag.tag !== `${TAG}timestamp` && tag.tag !== `${TAG}binary`;
  });
  return [...kept, octal0o, binaryAsText, timestampAsText];
}

function isEmpty(doc: unknown): boolean {
  if (doc === undefined || doc === null) return true;
  if (Array.isArray(doc)) return doc.length === 0;
  return typeof doc === 'object' && Object.keys(doc as object).length === 0;
}

/**
 * The non-empty documents of a multi-document YAML text, as plain JSON values (empty documents
 * skipped, as cdk8s's Include did). A syntax error is reported by document and line only: the
 * text can hold secrets.
 */
export function parseHelmOutput(text: string, origin: string): unknown[] {
  const docs = parseAllDocuments(text, { version: '1.1', customTags: kubectlTags });
  const out: unknown[] = [];
  // An empty text gives an EmptyStream, an empty array.
  docs.forEach((doc, i) => {
    const error = doc.errors[0];
    if (error) {
      const where = error.linePos ? `line ${error.linePos[0].line}` : `offset ${error.pos[0]}`;
      throw new UserError(`helm template of ${origin} printed YAML that does not parse (document ${i + 1}, ${where}: ${error.code}).\nThis is a problem of the chart: report it with this message.`);
    }
    const json: unknown = doc.toJSON();
    if (!isEmpty(json)) out.push(json);
  });
  return out;
}
