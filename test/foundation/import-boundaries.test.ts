/**
 * The vendor boundary (docs/architecture.md, "Vendors are modules"): no file under src/booking, src/crm or
 * src/messaging imports from a vendor folder (src/zoho, src/hubspot, src/google, src/microsoft, src/twilio,
 * src/telnyx, src/smtp, src/sendgrid, src/providers/*, src/sandbox) or a vendor SDK. Imports are read with the
 * TypeScript compiler's own pre-processor (static imports, `import type`, re-exports, dynamic `import()`), so a
 * comment or a string that looks like an import does not count.
 *
 * The shared boundary: src/shared holds types and constants both the server and the dashboard build include, so its
 * files import nothing, and the dashboard (web/src) imports nothing else from src/.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/** Another source tree (e.g. an export of main) can be checked with IMPORT_BOUNDARY_SRC=/path/to/src. */
const SRC = resolve(process.env.IMPORT_BOUNDARY_SRC ?? 'src');
/** The dashboard's sources (a separate build: vite, web/tsconfig.json). */
const WEB = resolve(join(SRC, '..', 'web', 'src'));

/** Folders whose code speaks only in ports and domain words. */
export const DOMAIN_FOLDERS = ['booking', 'crm', 'messaging'];
/** Folders that speak a vendor's protocol or wire a vendor (relative to src/). */
export const VENDOR_FOLDERS = ['zoho', 'hubspot', 'google', 'microsoft', 'twilio', 'telnyx', 'smtp', 'sendgrid', 'providers', 'sandbox'];
/** Packages that are a vendor's SDK (exact names, or every package of a scope ending in "/"). */
export const VENDOR_PACKAGES = [
  'twilio',
  'nodemailer',
  'smtp-server',
  'telnyx',
  'retell-sdk',
  'google-auth-library',
  '@hubspot/',
  '@googleapis/',
  '@microsoft/',
  '@azure/',
  '@sendgrid/',
  '@slack/',
  '@anthropic-ai/',
];

/**
 * Exceptions to the rule, each with its reason. Empty since the SMS and e-mail providers moved into vendor modules
 * (src/twilio, src/telnyx, src/smtp, src/sendgrid); the last test fails on a line no longer needed, so a finished move
 * always shrinks the list.
 */
const ALLOWED: ReadonlyArray<{ file: string; import: string }> = [];

export interface Violation {
  /** The importing file, relative to src/. */
  file: string;
  /** A package name, or the imported file relative to src/. */
  import: string;
}

function sourceFiles(folder: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(folder);
  } catch {
    return [];
  }
  return entries.flatMap((entry) => {
    const path = join(folder, entry);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|tsx|mts|cts)$/.test(entry) ? [path] : [];
  });
}

function posix(path: string): string {
  return path.split(sep).join('/');
}

function isVendorPackage(specifier: string): boolean {
  return VENDOR_PACKAGES.some((name) => (name.endsWith('/') ? specifier.startsWith(name) : specifier === name || specifier.startsWith(`${name}/`)));
}

/** Every import of a domain file that crosses into a vendor folder or SDK. */
export function vendorImports(src: string): Violation[] {
  const violations: Violation[] = [];
  for (const folder of DOMAIN_FOLDERS) {
    for (const path of sourceFiles(join(src, folder))) {
      const file = posix(relative(src, path));
      const { importedFiles } = ts.preProcessFile(readFileSync(path, 'utf8'), true, true);
      for (const { fileName: specifier } of importedFiles) {
        if (specifier.startsWith('.')) {
          // Our sources import each other as `./x.js`; the file on disk is `x.ts`.
          const target = posix(relative(src, resolve(dirname(path), specifier))).replace(/\.js$/, '.ts');
          const top = target.split('/')[0]!;
          if (VENDOR_FOLDERS.includes(top)) violations.push({ file, import: target });
        } else if (isVendorPackage(specifier)) {
          violations.push({ file, import: specifier });
        }
      }
    }
  }
  return violations;
}

/** Every import of a file under `folder`, as written, with the importing file relative to `base`. */
function importsUnder(folder: string, base: string): Array<{ file: string; specifier: string; target: string }> {
  return sourceFiles(folder).flatMap((path) =>
    ts.preProcessFile(readFileSync(path, 'utf8'), true, true).importedFiles.map(({ fileName: specifier }) => ({
      file: posix(relative(base, path)),
      specifier,
      target: specifier.startsWith('.') ? posix(relative(base, resolve(dirname(path), specifier))) : specifier,
    })),
  );
}

function allowed(violation: Violation): boolean {
  return ALLOWED.some((entry) => entry.file === violation.file && entry.import === violation.import);
}

describe('the vendor import boundary', () => {
  it('booking, CRM and messaging import no vendor folder and no vendor SDK', () => {
    const offending = vendorImports(SRC).filter((violation) => !allowed(violation));
    expect(offending.map((violation) => `src/${violation.file} imports ${violation.import}`)).toEqual([]);
  });

  it('reads the imports the rule is about, and none that only look like one', () => {
    const probe = (text: string) => ts.preProcessFile(text, true, true).importedFiles.map((entry) => entry.fileName);
    expect(probe("import type { X } from '../zoho/connection.js';\nexport { y } from 'twilio';\nawait import('@hubspot/api-client');")).toEqual([
      '../zoho/connection.js',
      'twilio',
      '@hubspot/api-client',
    ]);
    expect(probe("// import x from '../zoho/connection.js'\nconst text = \"from 'twilio'\";")).toEqual([]);
    expect(isVendorPackage('@hubspot/api-client')).toBe(true);
    expect(isVendorPackage('twilio/lib/webhooks')).toBe(true);
    expect(isVendorPackage('twilio-like')).toBe(false);
    expect(isVendorPackage('luxon')).toBe(false);
  });

  it('lists only allowances that are still needed, so a finished move shrinks the list', () => {
    const found = vendorImports(SRC);
    const stale = ALLOWED.filter((entry) => !found.some((violation) => violation.file === entry.file && violation.import === entry.import));
    expect(stale).toEqual([]);
  });
});

describe('the shared boundary between the server and the dashboard', () => {
  it('src/shared imports nothing, and the dashboard imports from src/ only src/shared', () => {
    const root = resolve(SRC, '..');
    expect(sourceFiles(join(SRC, 'shared')).length).toBeGreaterThan(0);
    expect(importsUnder(join(SRC, 'shared'), root).map((entry) => `${entry.file} imports ${entry.specifier}`)).toEqual([]);
    const fromWeb = importsUnder(WEB, root).filter((entry) => entry.target.startsWith('src/'));
    expect(fromWeb.length).toBeGreaterThan(0);
    expect(fromWeb.filter((entry) => !entry.target.startsWith('src/shared/')).map((entry) => `${entry.file} imports ${entry.specifier}`)).toEqual([]);
  });
});
