// Every script of the plugin (and the driver) parses as an ES module, and every
// relative import points at a file that exists.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const roots = [join(here, "..", "..", "plugin"), join(here, "driver")];

function scripts(folder) {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    if (statSync(path).isDirectory()) return scripts(path);
    return name.endsWith(".js") ? [path] : [];
  });
}

const files = roots.flatMap(scripts);

test("there are scripts to check", () => {
  assert.ok(files.length >= 15, String(files.length));
});

for (const file of files) {
  test(`parses: ${file.slice(file.lastIndexOf("plugin"))}`, () => {
    const source = readFileSync(file, "utf-8");
    execFileSync(process.execPath, ["--input-type=module", "--check"], { input: source });
    for (const [, target] of source.matchAll(/^import [^;]*? from "(\.[^"]+)";$/gmu)) {
      assert.ok(existsSync(join(dirname(file), target)), `${file} imports missing ${target}`);
    }
  });
}
