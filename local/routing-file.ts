import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { validateRoutingDocument } from '../lib/aws/routing-sources';
import type { RoutingDocument } from '../lib/contract';

/**
 * The copy of the routing document the consumers and the local producers read: always the last valid version of
 * `routing.json`, replaced whole (written aside, then renamed over it) so no reader ever sees half a document.
 */
export const ROUTING_IN_FORCE_FILE = 'routing.in-force.json';
/** The SHA-256 of what the platform itself last wrote into `routing.json`, to tell a user's edit from its own text. */
export const ROUTING_WRITTEN_HASH_FILE = 'routing.written.sha256';
/** Where an edited `routing.json` that is not valid goes when a start resets it. */
export const ROUTING_REJECTED_FILE = 'routing.rejected.json';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Writes a file whole: aside, then renamed over the target (atomic on one file system). */
function replaceFile(file: string, text: string): void {
  const aside = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(aside, text);
  fs.renameSync(aside, file);
}

/** Parses and validates a routing document's text; the problem, for people, when it is not one. */
function parseRouting(text: string, source: string): { document: RoutingDocument } | { problem: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { problem: `not valid JSON: ${(error as Error).message}` };
  }
  try {
    return { document: validateRoutingDocument(parsed, { source }) };
  } catch (error) {
    return { problem: (error as Error).message };
  }
}

/** What {@link prepareRoutingFile} did with `routing.json`. */
export interface PreparedRoutingFile {
  /** `written`: the template's initial document (no file, or the platform's own unedited text); `kept`: the user's edit; `reset`: an invalid edit was moved aside. */
  readonly outcome: 'written' | 'kept' | 'reset';
  /** What to tell the user, when there is something to tell. */
  readonly note?: string;
}

/**
 * Decides what `routing.json` holds when the platform starts. The platform's own text (the SHA-256 it recorded when it
 * wrote it matches) is replaced with the template's initial document, which may have changed; a file the user edited
 * is kept when it is a valid routing document, and otherwise moved to `routing.rejected.json` and reset, with a note
 * saying so. Either way the note says plainly what happened.
 *
 * @example
 * const { note } = prepareRoutingFile('.bosun/local/routing.json', initialDocumentText);
 * if (note) console.log(note);
 */
export function prepareRoutingFile(routingFile: string, initialText: string): PreparedRoutingFile {
  const hashFile = path.join(path.dirname(routingFile), ROUTING_WRITTEN_HASH_FILE);
  const existing = readText(routingFile);
  const writeInitial = (): void => {
    replaceFile(routingFile, initialText);
    fs.writeFileSync(hashFile, `${sha256(initialText)}\n`);
  };
  if (existing === undefined || existing === initialText || readText(hashFile)?.trim() === sha256(existing)) {
    writeInitial();
    return { outcome: 'written' };
  }
  const parsed = parseRouting(existing, routingFile);
  if ('document' in parsed) {
    return {
      outcome: 'kept',
      note:
        `kept ${routingFile}, which was edited since the platform wrote it (it differs from the template's initial ` +
        `routing document; delete it to start from the template's)`,
    };
  }
  const rejected = path.join(path.dirname(routingFile), ROUTING_REJECTED_FILE);
  fs.renameSync(routingFile, rejected);
  writeInitial();
  return {
    outcome: 'reset',
    note:
      `RESET ${routingFile} to the template's initial routing document: the edited file is not a valid routing ` +
      `document (${parsed.problem}); it was moved to ${rejected}`,
  };
}

/** Options of {@link watchRoutingFile}. */
export interface WatchRoutingFileOptions {
  /** The routing document people edit (`<dataDir>/routing.json`); it must hold a valid document when the watch starts. */
  readonly routingFile: string;
  /** The copy the consumers read. @default - `routing.in-force.json` beside `routingFile` */
  readonly inForceFile?: string;
  /** Where the watch reports a new version in force, or a save it refused. */
  readonly log: (line: string) => void;
  /** How long to wait after a change event before reading the file (editors write in several steps). @default 50 */
  readonly debounceMs?: number;
  /** How often to check the file even without an event (file systems that do not report changes). @default 1000 */
  readonly checkIntervalMs?: number;
}

/** A running watch of the routing file. */
export interface RoutingFileWatch {
  /** The copy the consumers read, always the last valid version. */
  readonly inForceFile: string;
  /** Checks the file now (the watch does this on every change; tests and tools can call it to be sure). */
  check(): void;
  /** Stops watching. */
  stop(): void;
}

/**
 * Watches `routing.json` and copies every valid version to the in-force file the consumers read, so the document in
 * force is always the last valid one saved, however many saves happened between two tasks. A save that is not a valid
 * routing document changes nothing and is reported once (per distinct text), naming the problem; so is a removed file.
 *
 * @throws Error when `routingFile` does not hold a valid document at the start.
 * @example
 * const watch = watchRoutingFile({ routingFile: '.bosun/local/routing.json', log: console.log });
 * // consumers get BOSUN_ROUTING_FILE=watch.inForceFile
 * watch.stop();
 */
export function watchRoutingFile(options: WatchRoutingFileOptions): RoutingFileWatch {
  const { routingFile, log } = options;
  const inForceFile = options.inForceFile ?? path.join(path.dirname(routingFile), ROUTING_IN_FORCE_FILE);
  const debounceMs = options.debounceMs ?? 50;
  let lastSeen: string | undefined;

  const check = (): void => {
    const text = readText(routingFile);
    if (text === lastSeen) return;
    const first = lastSeen === undefined;
    lastSeen = text;
    if (text === undefined) {
      log(`${routingFile} was removed; the last valid routing document stays in force (${inForceFile})`);
      return;
    }
    const parsed = parseRouting(text, routingFile);
    if ('problem' in parsed) {
      if (first) throw new Error(`${routingFile} does not hold a valid routing document: ${parsed.problem}`);
      log(`${routingFile} was saved with an invalid routing document (${parsed.problem}); the last valid version stays in force`);
      return;
    }
    const inForce = `${JSON.stringify(parsed.document, null, 2)}\n`;
    if (readText(inForceFile) === inForce) return;
    replaceFile(inForceFile, inForce);
    if (!first) {
      const rules = parsed.document.rules.length;
      log(
        `${routingFile} changed: the new version is in force (${rules} rule${rules === 1 ? '' : 's'}, default destination ` +
          `"${parsed.document.defaultDestination}")`,
      );
    }
  };

  check();
  let timer: NodeJS.Timeout | undefined;
  const schedule = (): void => {
    clearTimeout(timer);
    timer = setTimeout(safeCheck, debounceMs);
    timer.unref();
  };
  const safeCheck = (): void => {
    try {
      check();
    } catch (error) {
      log(`cannot read ${routingFile}: ${(error as Error).message}; the last valid routing document stays in force`);
    }
  };
  // The directory, not the file: editors save by writing a new file and renaming it over the old one.
  const watcher = fs.watch(path.dirname(routingFile), (_event, name) => {
    if (name === null || name === path.basename(routingFile)) schedule();
  });
  watcher.unref();
  const interval = setInterval(safeCheck, options.checkIntervalMs ?? 1000);
  interval.unref();
  return {
    inForceFile,
    check: safeCheck,
    stop: () => {
      watcher.close();
      clearInterval(interval);
      clearTimeout(timer);
    },
  };
}
