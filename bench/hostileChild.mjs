// One hostile case of bench/hostile.ts in its own process: runs the CLI's main on the arguments
// and reports its own exit code, peak RSS and CPU time on fd 3 (stdout and stderr stay the
// command's own). A file, not `node -e`: `node -e CODE -- inspect` starts Node's debugger.
import { writeSync } from 'node:fs';
import { register } from 'tsx/esm/api';

register();
const { main } = await import(new URL('../src/cli/main.ts', import.meta.url).href);
const code = await main(process.argv.slice(2));
const u = process.resourceUsage();
writeSync(3, JSON.stringify({ code, maxRssKb: u.maxRSS, cpuUs: u.userCPUTime + u.systemCPUTime }));
process.exit(code);
