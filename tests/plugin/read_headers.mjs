// Reads [{to, cc, from}] JSON on stdin; prints what the plugin makes of each (for pytest).
import { readFileSync } from "node:fs";

import { check, readHeaders } from "../../plugin/modules/verdict.js";
import { buildPolicy } from "../../plugin/modules/policy.js";

const cases = JSON.parse(readFileSync(0, "utf-8"));
const policy = buildPolicy({ threshold: 2, trustedDomains: ["corp.example"] });
const results = cases.map((headers) => {
  const message = readHeaders(headers);
  const verdict = check(message, policy);
  return {
    visible: verdict.visible,
    exposed_count: verdict.exposed_count,
    verdict: verdict.verdict,
    doubtful: message.problems.some((p) => p.doubtful),
  };
});
process.stdout.write(JSON.stringify(results));
