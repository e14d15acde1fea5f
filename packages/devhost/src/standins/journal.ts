import { closeSync, existsSync, fstatSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';

/**
 * A stand-in's journal: an append-only file of one JSON value per line, written before the stand-in answers
 * (so what a client saw accepted survives a SIGKILL) and read back at start.
 */
export class Journal<T> {
  readonly #fd: number;
  /** Where the next line goes: after the last whole line. */
  #size = 0;

  constructor(readonly path: string) {
    this.#fd = openSync(path, existsSync(path) ? 'r+' : 'w+');
  }

  /** Reads every whole line back, each with where it is; new lines go after the last whole one. */
  replay(log: (message: string) => void, onLine: (value: T, offset: number, length: number) => void): void {
    const size = fstatSync(this.#fd).size;
    // Read in chunks: a journal of a large fan-out is larger than one string may be.
    const chunk = Buffer.alloc(1 << 20);
    let pending: Buffer[] = [];
    let lineStart = 0;
    let line = 0;
    for (let position = 0; position < size;) {
      const read = readSync(this.#fd, chunk, 0, chunk.length, position);
      let from = 0;
      for (let newline = chunk.indexOf(10, from); newline !== -1 && newline < read; newline = chunk.indexOf(10, from)) {
        pending.push(chunk.subarray(from, newline));
        const text = Buffer.concat(pending).toString('utf8');
        pending = [];
        line++;
        const lineEnd = position + newline + 1;
        if (text.trim()) {
          try {
            onLine(JSON.parse(text) as T, lineStart, lineEnd - lineStart);
          } catch {
            log(`skipped unreadable line ${line} of ${this.path}`);
          }
        }
        lineStart = lineEnd;
        from = newline + 1;
      }
      pending.push(Buffer.from(chunk.subarray(from, read)));
      position += read;
    }
    if (lineStart < size) {
      // A host killed in the middle of a write leaves a line without its newline; the sender saw no 202 for it.
      log(`dropped the unfinished last line of ${this.path}`);
      ftruncateSync(this.#fd, lineStart);
    }
    this.#size = lineStart;
  }

  /** Appends the value; returns where its line is. */
  append(value: T): { offset: number; length: number } {
    const bytes = Buffer.from(JSON.stringify(value) + '\n', 'utf8');
    const offset = this.#size;
    for (let written = 0; written < bytes.length;) written += writeSync(this.#fd, bytes, written, bytes.length - written, offset + written);
    this.#size += bytes.length;
    return { offset, length: bytes.length };
  }

  read(offset: number, length: number): T {
    const bytes = Buffer.alloc(length);
    for (let read = 0; read < length;) read += readSync(this.#fd, bytes, read, length - read, offset + read);
    return JSON.parse(bytes.toString('utf8')) as T;
  }

  clear(): void {
    ftruncateSync(this.#fd, 0);
    this.#size = 0;
  }

  close(): void {
    closeSync(this.#fd);
  }
}
