// One hostile case of bench/hostile.ts in its own process: runs the `qaf` command (bin/qaf, so
// the bench depends on the command as users run it, not on src/cli) on the arguments and reports
// its own exit code, peak RSS and CPU time on fd 3 (stdout and stderr stay the command's own).
// A file, not `node -e`: `node -e CODE -- inspect` starts Node's debugger.
import { writeSync } from 'node:fs';

const args = process.argv.slice(2);
const qaf = new URL('../bin/qaf', import.meta.url);
process.argv = [process.argv[0], qaf.pathname, ...args];
await import(qaf.href);
const code = Number(process.exitCode ?? 0);
const u = process.resourceUsage();
writeSync(3, JSON.stringify({ code, maxRssKb: u.maxRSS, cpuUs: u.userCPUTime + u.systemCPUTime }));
process.exit(code);
