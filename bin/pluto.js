#!/usr/bin/env node
import module from "node:module";

// Cache V8's compiled code of Pluto and its dependencies on disk (in the OS temp folder, or
// NODE_COMPILE_CACHE; NODE_DISABLE_COMPILE_CACHE=1 turns it off): later starts skip most parsing and
// compiling. Needs Node 22.1+; older versions start without it. Enabled before the dynamic import
// below, because static imports would load (and compile) the CLI before this line runs.
try {
  module.enableCompileCache?.();
} catch {
  // A read-only or full temp folder only costs the speed-up.
}

const { main } = await import("../dist/cli/main.js");
main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`pluto: ${error?.stack ?? error}\n`);
    process.exitCode = 1;
  },
);
