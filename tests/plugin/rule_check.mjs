// Reads [{headers, policy}] JSON on stdin; prints the plugin's verdict on each, with
// the policy's recipient rules as the native host gives them (for pytest).
import { readFileSync } from "node:fs";

import { buildPolicy } from "../../plugin/modules/policy.js";
import { check, readHeaders } from "../../plugin/modules/verdict.js";

const cases = JSON.parse(readFileSync(0, "utf-8"));
const results = cases.map(({ headers, policy }) => {
  const verdict = check(readHeaders(headers), buildPolicy(policy));
  return {
    verdict: verdict.verdict,
    action: verdict.action,
    threshold: verdict.threshold,
    exposed_count: verdict.exposed_count,
    rules: verdict.rules,
    recipient_rule: verdict.recipient_rule,
    rule_reasons: verdict.reasons.filter((r) => r.startsWith("rule '")),
  };
});
process.stdout.write(JSON.stringify(results));
