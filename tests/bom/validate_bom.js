// Validates JSON documents against an official CycloneDX schema with ajv (installed by scripts/npm-tools).
// usage: node validate_bom.js SCHEMA_DIR VERSION FILE...   prints "valid FILE" or "invalid FILE ERROR"; exit 1 if any is invalid
const fs = require('fs'); const path = require('path');
const Ajv = require('ajv'); const addFormats = require('ajv-formats');
const [dir, version, ...files] = process.argv.slice(2);
const ajv = new Ajv({strict: false, allErrors: false, validateFormats: true});
addFormats(ajv);
ajv.addFormat('iri-reference', true); ajv.addFormat('idn-email', true);
for (const f of ['spdx.schema.json', 'jsf-0.82.schema.json', 'cryptography-defs.schema.json']) {
  const p = path.join(dir, f); if (fs.existsSync(p)) ajv.addSchema(JSON.parse(fs.readFileSync(p)), f);
}
const validate = ajv.compile(JSON.parse(fs.readFileSync(path.join(dir, `bom-${version}.schema.json`))));
let bad = 0;
for (const f of files) {
  let ok = false;
  try { ok = validate(JSON.parse(fs.readFileSync(f))); } catch (e) { ok = false; }
  console.log(`${ok ? 'valid' : 'invalid'} ${f}${ok ? '' : ' ' + JSON.stringify(validate.errors && validate.errors[0])}`);
  if (!ok) bad++;
}
process.exit(bad ? 1 : 0);
