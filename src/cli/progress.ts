/**
 * A one-line progress display for slow commands: on a terminal it redraws `label [####----] 42% detail`
 * in place (at most every 100 ms); elsewhere it prints one line per phase, so logs stay readable.
 */
export function createProgress(stream: NodeJS.WritableStream & { isTTY?: boolean }) {
  const tty = stream.isTTY === true;
  let lastDraw = 0;
  let lastPhase = "";
  return {
    /** Reports `done` of `total` (0 = unknown) for `phase`, with a short detail such as bytes. */
    update(phase: string, done: number, total: number, detail = ""): void {
      if (!tty) {
        if (phase !== lastPhase) stream.write(`${phase}…\n`);
        lastPhase = phase;
        return;
      }
      const now = Date.now();
      if (now - lastDraw < 100 && done !== total) return;
      lastDraw = now;
      const ratio = total > 0 ? Math.min(1, done / total) : 0;
      const width = 24;
      const filled = Math.round(ratio * width);
      const bar =
        total > 0
          ? `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${Math.round(ratio * 100)}%`
          : `${done}`;
      stream.write(`\r\x1b[2K${phase} ${bar} ${detail}`);
      lastPhase = phase;
    },
    /** Ends the progress line. */
    done(): void {
      if (tty) stream.write("\r\x1b[2K");
    },
  };
}

/** Bytes as a short human string (`1.5 MB`). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}
