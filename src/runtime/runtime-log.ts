/** Where runtime diagnostics go (stderr in the CLI): a level and a one-line message. */
export type RuntimeLog = (level: "info" | "warn" | "error", message: string) => void;
