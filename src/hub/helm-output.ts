/**
 * Reads `helm template` output the way the cluster's clients read it: helm install and kubectl
 * turn YAML into JSON with sigs.k8s.io/yaml (go-yaml v2.4.0's YAML 1.1 scalars), so dist/ must
 * hold what they would have read from helm's text, not what a YAML 1.2 reader makes of it. The
 * resolution rules, with their sources, are in src/util/kubectl-yaml.ts.
 */
import * as jsyaml from 'js-yaml';
import { loadAllAsKubectl, NotJsonNumberError } from '../util/kubectl-yaml';
import { UserError } from '../util/errors';

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
  try {
    return loadAllAsKubectl(text).filter((doc) => !isEmpty(doc));
  } catch (err) {
    if (err instanceof jsyaml.YAMLException) {
      const at = err.mark ? `document ${documentAt(text, err.mark.position)}, line ${err.mark.line + 1}` : `document ${documentAt(text, text.length)}`;
      throw new UserError(`helm template of ${origin} printed YAML that does not parse (${at}: ${err.reason}).\nThis is a problem of the chart: report it with this message.`);
    }
    if (err instanceof NotJsonNumberError) {
      throw new UserError(`helm template of ${origin} printed a number kubectl cannot turn into JSON (document ${failingDocument(text)}: .inf or .nan).\nThis is a problem of the chart: report it with this message.`);
    }
    throw err;
  }
}

/** Lines that start a document (`---` alone or before content). */
const DOCUMENT_START = /^---(?=[ \t\r\n]|$)/gm;

/** Which document (from 1) the text at `position` belongs to. */
function documentAt(text: string, position: number): number {
  const starts = [...text.slice(0, position).matchAll(DOCUMENT_START)].map((m) => m.index);
  if (starts.length === 0) return 1;
  // Text before the first `---` is a document of its own when it holds more than comments.
  const before = text.slice(0, starts[0]).replace(/#.*$/gm, '').trim();
  return starts.length + (before === '' ? 0 : 1);
}

/** The document that holds the value that failed (found again one document at a time: errors only). */
function failingDocument(text: string): number {
  const starts = [0, ...[...text.matchAll(DOCUMENT_START)].map((m) => m.index)];
  for (let i = 0; i < starts.length; i++) {
    const chunk = text.slice(starts[i], starts[i + 1] ?? text.length);
    try {
      loadAllAsKubectl(chunk);
    } catch {
      return documentAt(text, starts[i] + 3);
    }
  }
  return documentAt(text, text.length);
}
