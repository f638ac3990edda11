/**
 * `npm run import:k8s`: writes imports/k8s.ts, the typed classes for the core
 * Kubernetes objects this program builds itself (KubeNamespace, KubeSecret, ...), taken from the
 * `cdk8s import k8s` output that cdk8s-plus-27 ships (lib/imports/k8s.js and .d.ts, the Kubernetes
 * 1.27 API) with everything they need and nothing else: declarations and docs from the .d.ts,
 * code from the .js, unchanged, so the result is the TypeScript cdk8s generated.
 *
 * Why not import cdk8s-plus-27's file directly: it holds every Kubernetes kind (2.5 MB of
 * JavaScript) and costs ~150 ms to load on every synth; the subset is ~40 KB. Why 1.27: the
 * oldest API the supported MicroK8s releases serve, so nothing typed here is missing on any of them.
 *
 * Dev-time tool (uses the TypeScript compiler, a dev dependency); run it again after upgrading
 * cdk8s-plus-27 or to add a kind to ROOTS.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';
import { parseCliArgs } from '../util/cli-args';
import { runCli } from '../util/errors';
import { PROJECT_ROOT } from '../util/project-root';

/** The kinds we build (plus whatever they reference). */
export const ROOTS = ['KubeNamespace', 'KubeSecret', 'KubeConfigMap', 'KubeStorageClass', 'KubePersistentVolumeClaim', 'KubeDaemonSet'] as const;

interface Decl {
  readonly owner: string | undefined;
  readonly node: ts.Statement;
  readonly source: ts.SourceFile;
  /** Identifiers the statement mentions. */
  readonly uses: ReadonlySet<string>;
}

function identifiers(node: ts.Node, out = new Set<string>()): Set<string> {
  if (ts.isIdentifier(node)) out.add(node.text);
  node.forEachChild((c) => void identifiers(c, out));
  return out;
}

/** The declaration a top-level statement of the generated .js belongs to; undefined for module boilerplate and jsii type info. */
function jsOwner(s: ts.Statement): string | undefined {
  if ((ts.isClassDeclaration(s) || ts.isFunctionDeclaration(s)) && s.name) return s.name.text;
  if (ts.isExpressionStatement(s) && ts.isBinaryExpression(s.expression) && s.expression.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
    const left = s.expression.left;
    // `X.GVK = {...}` belongs to X; `exports.X = X` and `X[_30] = {fqn...}` are rewritten or dropped.
    if (ts.isPropertyAccessExpression(left) && ts.isIdentifier(left.expression) && left.expression.text !== 'exports') return left.expression.text;
  }
  return undefined;
}

function dtsOwner(s: ts.Statement): string | undefined {
  if ((ts.isClassDeclaration(s) || ts.isFunctionDeclaration(s) || ts.isInterfaceDeclaration(s) || ts.isEnumDeclaration(s) || ts.isTypeAliasDeclaration(s)) && s.name) {
    return s.name.text;
  }
  return undefined;
}

function declarations(file: string, owner: (s: ts.Statement) => string | undefined, kind: ts.ScriptKind): Decl[] {
  const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true, kind);
  return source.statements.map((node) => ({ owner: owner(node), node, source, uses: identifiers(node) }));
}

/** Every declaration name reachable from `roots` through either file. */
export function closure(roots: readonly string[], ...files: readonly Decl[][]): Set<string> {
  const byName = new Map<string, Decl[]>();
  for (const d of files.flat()) if (d.owner) byName.set(d.owner, [...(byName.get(d.owner) ?? []), d]);
  const seen = new Set<string>();
  const todo = [...roots];
  while (todo.length) {
    const n = todo.pop()!;
    if (seen.has(n) || !byName.has(n)) continue;
    seen.add(n);
    for (const d of byName.get(n)!) for (const u of d.uses) if (u !== n && byName.has(u) && !seen.has(u)) todo.push(u);
  }
  return seen;
}

/** The comments above a node, as written. */
function leading(node: ts.Node, source: ts.SourceFile): string {
  return source.text.slice(node.getFullStart(), node.getStart(source));
}

type Signature = ts.MethodDeclaration | ts.ConstructorDeclaration | ts.FunctionDeclaration;

/**
 * Parameters with the types of the .d.ts and the default values of the .js (a .d.ts writes
 * `props?: T` where the source had `props: T = {}`).
 */
function parameters(js: Signature, dts: Signature | undefined, typeOf: (name: string) => string | undefined): string {
  return js.parameters.map((p, i) => {
    const name = p.name.getText();
    const d = dts?.parameters[i];
    const type = d?.type?.getText() ?? typeOf(name);
    if (!type) throw new Error(`no type for parameter ${name}`);
    const init = p.initializer?.getText();
    return `${name}${d?.questionToken && !init ? '?' : ''}: ${type}${init ? ` = ${init}` : ''}`;
  }).join(', ');
}

function modifiers(node: ts.HasModifiers): string {
  return (ts.getModifiers(node) ?? []).filter((m) => m.kind !== ts.SyntaxKind.DeclareKeyword && m.kind !== ts.SyntaxKind.ExportKeyword).map((m) => `${m.getText()} `).join('');
}

/** One class: members as the .d.ts declares them, bodies and static values from the .js. */
function classSource(dts: ts.ClassDeclaration, dtsSource: ts.SourceFile, js: ts.ClassDeclaration, statics: ReadonlyMap<string, string>): string {
  const jsMember = (name: string) => js.members.find((m) => (m.name?.getText() ?? (ts.isConstructorDeclaration(m) ? 'constructor' : '')) === name);
  const propType = (name: string) => dts.members.filter(ts.isPropertyDeclaration).find((m) => m.name.getText() === name)?.type?.getText();
  const members = dts.members.map((m) => {
    const doc = leading(m, dtsSource);
    if (ts.isPropertyDeclaration(m)) {
      const name = m.name.getText();
      const value = statics.get(name);
      return `${doc}${modifiers(m)}${name}: ${m.type!.getText()}${value ? ` = ${value}` : ''};`;
    }
    const name = ts.isConstructorDeclaration(m) ? 'constructor' : m.name!.getText();
    const impl = jsMember(name) as ts.MethodDeclaration | ts.ConstructorDeclaration | undefined;
    if (!impl?.body) throw new Error(`${dts.name!.text}.${name}: no implementation in the .js`);
    const sig = m as ts.MethodDeclaration | ts.ConstructorDeclaration;
    // A private constructor loses its parameters in a .d.ts: their types are the properties they set.
    const dtsSig = sig.parameters.length === impl.parameters.length ? sig : undefined;
    const ret = sig.type ? `: ${sig.type.getText()}` : '';
    return `${doc}${modifiers(sig)}${name}(${parameters(impl, dtsSig, propType)})${ret} ${impl.body.getText()}`;
  });
  const heritage = dts.heritageClauses?.map((h) => ` ${h.getText()}`).join('') ?? '';
  return `${leading(dts, dtsSource)}export class ${dts.name!.text}${heritage} {${members.join('')}\n}\n`;
}

export interface K8sImports {
  readonly ts: string;
  readonly names: readonly string[];
}

/** imports/k8s.ts for `roots`, from a cdk8s-generated k8s.js + k8s.d.ts pair. */
export function generate(sourceDir: string, roots: readonly string[] = ROOTS): K8sImports {
  const pkg = JSON.parse(fs.readFileSync(path.join(sourceDir, '..', '..', 'package.json'), 'utf8')) as { name: string; version: string };
  const js = declarations(path.join(sourceDir, 'k8s.js'), jsOwner, ts.ScriptKind.JS);
  const dts = declarations(path.join(sourceDir, 'k8s.d.ts'), dtsOwner, ts.ScriptKind.TS);
  const keep = closure(roots, js, dts);
  const jsOf = (name: string) => js.filter((d) => d.owner === name);
  const parts: string[] = [];
  for (const d of dts) {
    if (!d.owner || !keep.has(d.owner)) continue;
    const n = d.node;
    if (ts.isInterfaceDeclaration(n) || ts.isTypeAliasDeclaration(n) || ts.isEnumDeclaration(n)) {
      parts.push(d.node.getFullText(d.source).replace(/^(\s*(?:\/\*[\s\S]*?\*\/\s*)?)export declare /, '$1export '));
    } else if (ts.isFunctionDeclaration(n)) {
      const impl = jsOf(d.owner).map((x) => x.node).find(ts.isFunctionDeclaration);
      if (!impl?.body) throw new Error(`${d.owner}: no implementation in the .js`);
      parts.push(`${leading(n, d.source)}export function ${d.owner}(${parameters(impl, n, () => undefined)}): ${n.type!.getText()} ${impl.body.getText()}\n`);
    } else if (ts.isClassDeclaration(n)) {
      const impl = jsOf(d.owner).map((x) => x.node).find(ts.isClassDeclaration);
      if (!impl) throw new Error(`${d.owner}: no class in the .js`);
      const statics = new Map<string, string>();
      for (const x of jsOf(d.owner)) {
        if (ts.isExpressionStatement(x.node) && ts.isBinaryExpression(x.node.expression) && ts.isPropertyAccessExpression(x.node.expression.left)) {
          statics.set(x.node.expression.left.name.text, x.node.expression.right.getText());
        }
      }
      parts.push(classSource(n, d.source, impl, statics));
    }
  }
  const imports = dts.filter((d) => ts.isImportDeclaration(d.node)).map((d) => `${d.node.getText(d.source)}\n`).join('');
  const header = `// generated by cdk8s (\`cdk8s import k8s\`, Kubernetes 1.27), as shipped in ${pkg.name}@${pkg.version} lib/imports/k8s.{js,d.ts};\n` +
    `// only ${roots.join(', ')} and what they reference, put back together as TypeScript by \`npm run import:k8s\`. Do not edit.\n`;
  return { names: [...keep].sort(), ts: `${header}${imports}${parts.join('')}` };
}

if (require.main === module) {
  runCli(() => {
    parseCliArgs({ usage: 'npm run import:k8s', options: {} });
    const source = path.join(path.dirname(require.resolve('cdk8s-plus-27/package.json')), 'lib', 'imports');
    const out = generate(source);
    fs.writeFileSync(path.join(PROJECT_ROOT, 'imports', 'k8s.ts'), out.ts);
    process.stdout.write(`Wrote imports/k8s.ts (${out.ts.length} bytes): ${out.names.join(', ')}.\n`);
  });
}
