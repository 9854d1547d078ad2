/**
 * Table-driven: each case writes one broken definition into a temp project and
 * checks that `featureguard validate` names the exact file, line and path, says
 * what is wrong in words, and exits with code 2. The same problems come out of
 * the library functions (`loadConfig`, `loadDefinitions`, `checkSources`).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { main } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/context.js';
import { checkSources } from '../../src/definitions/source-check.js';
import { loadConfig, loadDefinitions } from '../../src/definitions/loader.js';
import { DefinitionError, type DefinitionProblem } from '../../src/errors.js';
import { literal, openOfflineEngine } from '../../src/offline/engine.js';

const CONFIG = 'project: demo\n';

// Line numbers matter: the cases below refer to them.
const BASE = `kind: entity
name: airport
join_keys: [{name: origin, type: string}]
---
kind: source
name: airport_source
path: data/airport.parquet
timestamp_field: hour
---
kind: feature_view
name: airport_hourly
entities: [airport]
source: airport_source
ttl: 6h
features:
  - {name: departures, type: int64}
  - {name: delay_mean, type: float64}
---
kind: source
name: outcome_source
path: data/outcome.parquet
timestamp_field: dep_time
---
kind: feature_view
name: flight_outcome
role: label
entities: [airport]
source: outcome_source
features:
  - {name: delayed, type: bool}
`;

/** A view on airport_source, with `features` lines starting at line 6. */
const view = (features: string, extra = ''): string =>
  `kind: feature_view\nname: extra_view\nentities: [airport]\nsource: airport_source\nfeatures:\n${features}${extra}`;

interface Case {
  readonly name: string;
  /** Files written over the base project (`features/bad.yaml`, `featureguard.yaml`, ...). */
  readonly files: Readonly<Record<string, string | Buffer>>;
  readonly file: string;
  /** Absent for a problem with the whole file (it could not be read as text). */
  readonly line?: number;
  readonly path: string;
  readonly message: RegExp;
}

const CASES: readonly Case[] = [
  // The parser notices an unclosed list where the file ends.
  { name: 'bad YAML syntax (unclosed flow list)', files: { 'features/bad.yaml': 'kind: entity\nname: x\njoin_keys: [{name: k, type: string}\n' }, file: 'features/bad.yaml', line: 4, path: '', message: /^invalid YAML: Flow sequence .* must be sufficiently indented and end with a \]/ },
  { name: 'bad YAML syntax (nested mapping on one line)', files: { 'features/bad.yaml': 'kind: entity\nname: x: y\njoin_keys: [{name: k, type: string}]\n' }, file: 'features/bad.yaml', line: 2, path: '', message: /^invalid YAML: Nested mappings are not allowed in compact mappings$/ },
  { name: 'tab used as indentation', files: { 'features/bad.yaml': 'kind: entity\nname: x\njoin_keys:\n\t- {name: k, type: string}\n' }, file: 'features/bad.yaml', line: 4, path: '', message: /^invalid YAML: Tabs are not allowed as indentation$/ },
  { name: 'duplicate key in a YAML mapping', files: { 'features/bad.yaml': 'kind: entity\nname: a\nname: b\njoin_keys: [{name: k, type: string}]\n' }, file: 'features/bad.yaml', line: 3, path: '', message: /^invalid YAML: duplicate key 'name' \(a mapping holds each key once\)$/ },
  { name: 'duplicate key in a nested YAML mapping (named, with the path of its mapping)', files: { 'features/bad.yaml': 'kind: entity\nname: a\njoin_keys:\n  - name: k\n    type: string\n    type: int64\n' }, file: 'features/bad.yaml', line: 6, path: '/join_keys/0', message: /^invalid YAML: duplicate key 'type' / },
  { name: 'duplicate key in a JSON object of a list', files: { 'features/bad.json': '[\n  {"kind": "entity", "name": "a", "join_keys": [{"name": "k", "type": "string"}]},\n  {"kind": "entity", "name": "b", "join_keys": [{"name": "k", "type": "string", "type": "int64"}]}\n]\n' }, file: 'features/bad.json', line: 3, path: '/1/join_keys/0', message: /^invalid JSON: duplicate key 'type' \(a mapping holds each key once\)$/ },
  { name: 'YAML alias to an anchor of another document', files: { 'features/bad.yaml': 'kind: entity\nname: e1\njoin_keys: &k [{name: k, type: string}]\n---\nkind: entity\nname: e2\njoin_keys: *k\n' }, file: 'features/bad.yaml', line: 7, path: '', message: /^invalid YAML: alias \*k names no anchor &k before it in this document \(anchors do not carry across '---'\)$/ },
  { name: 'YAML alias bomb', files: { 'features/bad.yaml': 'kind: entity\nname: x\njoin_keys: [{name: k, type: string}]\na: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\ng: [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n' }, file: 'features/bad.yaml', line: 1, path: '', message: /^invalid YAML: aliases expand to too many nodes \(.*at most 100,000\): split the document/ },
  { name: 'YAML merge of an anchor of another document', files: { 'features/bad.yaml': 'kind: entity\nname: e1\njoin_keys: [&key {name: k, type: string}]\n---\nkind: entity\nname: e2\njoin_keys:\n  - {<<: *key, name: j}\n' }, file: 'features/bad.yaml', line: 8, path: '', message: /^invalid YAML: alias \*key names no anchor &key/ },
  { name: 'UTF-16 file (Windows PowerShell 5 `>`)', files: { 'features/bad.yaml': Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('kind: entity\n', 'utf16le')]) }, file: 'features/bad.yaml', path: '', message: /^this file is UTF-16: save it as UTF-8/ },
  { name: 'NUL bytes (UTF-16 without a byte-order mark)', files: { 'features/bad.json': Buffer.from('{"kind": "entity"}', 'utf16le') }, file: 'features/bad.json', path: '', message: /^this file holds NUL bytes/ },
  // Read leniently, 'Zürich' would be 'Z\ufffdrich' in the registry and the guard refuse every 'Zürich' row.
  { name: 'Latin-1 file (not UTF-8)', files: { 'features/bad.yaml': Buffer.from(view('  - {name: carrier, type: string, allowed_values: [Zürich, Genève]}\n'), 'latin1') }, file: 'features/bad.yaml', line: 6, path: '', message: /^this file is not UTF-8 at line 6, column 53 \(Latin-1 or Windows-1252 text\?\): save it as UTF-8$/ },
  { name: 'Latin-1 featureguard.yaml (not UTF-8)', files: { 'featureguard.yaml': Buffer.from('project: demo\n# Genève\n', 'latin1') }, file: 'featureguard.yaml', line: 2, path: '', message: /^this file is not UTF-8 at line 2, column 6 / },
  { name: 'values nested thousands deep', files: { 'features/deep.json': `{"kind": "entity", "name": "a", "join_keys": [], "description": ${'['.repeat(20_000)}${']'.repeat(20_000)}}` }, file: 'features/deep.json', path: '', message: /^cannot read this file: values nested too deeply/ },
  { name: 'custom YAML tag (no environment substitution)', files: { 'features/bad.yaml': 'kind: source\nname: s\npath: !env DATA_PATH\ntimestamp_field: hour\n' }, file: 'features/bad.yaml', line: 3, path: '', message: /^invalid YAML: Unresolved tag: !env \(definitions take no custom tags/ },
  { name: 'bad JSON syntax', files: { 'features/bad.json': '{\n  "kind": "entity",\n}\n' }, file: 'features/bad.json', line: 3, path: '', message: /^invalid JSON: / },
  { name: 'trailing comma in a JSON list (V8 names no position for it)', files: { 'features/bad.json': '[\n  {"kind": "entity", "name": "x", "join_keys": [{"name": "k", "type": "string"}]},\n]\n' }, file: 'features/bad.json', line: 2, path: '', message: /^invalid JSON: a trailing comma before a closing bracket or brace \(JSON allows none\)$/ },
  { name: 'wrong type in a JSON file', files: { 'features/bad.json': '{\n  "kind": "entity",\n  "name": "x",\n  "join_keys": "origin"\n}\n' }, file: 'features/bad.json', line: 4, path: '/join_keys', message: /must be a list \(got 'origin'\)/ },
  { name: 'unknown feature type', files: { 'features/bad.yaml': view('  - {name: p90, type: integer}\n') }, file: 'features/bad.yaml', line: 6, path: '/features/0/type', message: /must be one of bool, int32, int64, float32, float64, string, timestamp, float32\[\], float64\[\] \(got 'integer'\)/ },
  { name: 'boolean given as text', files: { 'features/bad.yaml': view('  - {name: p90, type: float64}\n', 'online: "yes"\n') }, file: 'features/bad.yaml', line: 7, path: '/online', message: /must be true or false \(got 'yes'\)/ },
  { name: 'illegal name (SQL injection attempt)', files: { 'features/bad.yaml': 'kind: entity\nname: "a;drop table x"\njoin_keys: [{name: k, type: string}]\n' }, file: 'features/bad.yaml', line: 2, path: '/name', message: /'a;drop table x' is not a valid name: names use 1-63 lowercase letters/ },
  { name: 'upper-case name', files: { 'features/bad.yaml': 'kind: entity\nname: Airport2\njoin_keys: [{name: k, type: string}]\n' }, file: 'features/bad.yaml', line: 2, path: '/name', message: /not a valid name.*\(e\.g\. 'airport2'\)/ },
  { name: 'unknown property with a near miss', files: { 'features/bad.yaml': 'kind: entity\nname: x\njion_keys: [{name: k, type: string}]\n' }, file: 'features/bad.yaml', line: 3, path: '/jion_keys', message: /unknown property 'jion_keys' \(did you mean 'join_keys'\?\)/ },
  { name: 'missing required property', files: { 'features/bad.yaml': 'kind: source\nname: s\npath: data/airport.parquet\n' }, file: 'features/bad.yaml', line: 1, path: '/timestamp_field', message: /missing required property 'timestamp_field'/ },
  { name: 'bad ttl', files: { 'features/bad.yaml': view('  - {name: p90, type: float64}\n', 'ttl: 6 hours\n') }, file: 'features/bad.yaml', line: 7, path: '/ttl', message: /'6 hours' is not a valid duration/ },
  { name: 'ttl beyond 100 years', files: { 'features/bad.yaml': view('  - {name: p90, type: float64}\n', 'ttl: 99999999999999999999d\n') }, file: 'features/bad.yaml', line: 7, path: '/ttl', message: /duration '99999999999999999999d' is longer than 100 years \(36500d\); use 0 \(unlimited\) or a shorter one/ },
  { name: 'max_staleness beyond 100 years', files: { 'features/bad.yaml': view('  - {name: p90, type: float64}\n', 'quality:\n  anomaly: {max_staleness: 40000d}\n') }, file: 'features/bad.yaml', line: 8, path: '/quality/anomaly/max_staleness', message: /duration '40000d' is longer than 100 years \(36500d\); use 0 \(no freshness check\) or a shorter one/ },
  { name: 'max_clock_skew beyond 100 years in featureguard.yaml', files: { 'featureguard.yaml': 'project: demo\nquality:\n  provenance: {max_clock_skew: 9999999999s}\n' }, file: 'featureguard.yaml', line: 3, path: '/quality/provenance/max_clock_skew', message: /duration '9999999999s' is longer than 100 years/ },
  { name: 'bad cron schedule', files: { 'features/bad.yaml': view('  - {name: departures, type: int64}\n', 'schedule: "61 * * * *"\n') }, file: 'features/bad.yaml', line: 7, path: '/schedule', message: /not a valid cron expression/ },
  { name: 'cron schedule that never fires (node-cron validates it, then cannot schedule it)', files: { 'features/bad.yaml': view('  - {name: departures, type: int64}\n', 'schedule: "0 0 1 * 1#2"\n') }, file: 'features/bad.yaml', line: 7, path: '/schedule', message: /'0 0 1 \* 1#2' never fires/ },
  { name: 'unknown kind', files: { 'features/bad.yaml': 'kind: featureview\nname: x\n' }, file: 'features/bad.yaml', line: 1, path: '/kind', message: /unknown kind 'featureview'.*did you mean 'feature_view'/ },
  { name: 'missing kind', files: { 'features/bad.yaml': 'name: x\njoin_keys: [{name: k, type: string}]\n' }, file: 'features/bad.yaml', line: 1, path: '', message: /missing 'kind'/ },
  { name: 'join key type not allowed', files: { 'features/bad.yaml': 'kind: entity\nname: x\njoin_keys:\n  - {name: k, type: float64}\n' }, file: 'features/bad.yaml', line: 4, path: '/join_keys/0/type', message: /must be one of string, int32, int64 \(got 'float64'\)/ },
  { name: 'view with no entities', files: { 'features/bad.yaml': 'kind: feature_view\nname: v\nentities: []\nsource: airport_source\nfeatures: [{name: departures, type: int64}]\n' }, file: 'features/bad.yaml', line: 3, path: '/entities', message: /at least one/ },
  { name: 'source with both path and query', files: { 'features/bad.yaml': 'kind: source\nname: s\npath: data/airport.parquet\nquery: SELECT 1\ntimestamp_field: hour\n' }, file: 'features/bad.yaml', line: 1, path: '', message: /set only one of 'path', 'database' \+ 'table' or 'query' \(found 'path' and 'query'\)/ },
  { name: 'source with no location', files: { 'features/bad.yaml': 'kind: source\nname: s\ntimestamp_field: hour\n' }, file: 'features/bad.yaml', line: 1, path: '', message: /must set one of 'path', 'database' \+ 'table' or 'query'/ },
  { name: 'database without table', files: { 'features/bad.yaml': 'kind: source\nname: s\ndatabase: data/x.duckdb\ntimestamp_field: hour\n' }, file: 'features/bad.yaml', line: 3, path: '/database', message: /'database' needs 'table'/ },
  { name: 'field_mapping to an illegal name', files: { 'features/bad.yaml': 'kind: source\nname: s\npath: data/airport.parquet\ntimestamp_field: hour\nfield_mapping:\n  Origin Code: "Origin Code"\n' }, file: 'features/bad.yaml', line: 6, path: '/field_mapping/Origin Code', message: /'Origin Code' is not a valid name/ },
  { name: 'unknown entity in a view', files: { 'features/bad.yaml': 'kind: feature_view\nname: v\nentities: [airprot]\nsource: airport_source\nfeatures: [{name: departures, type: int64}]\n' }, file: 'features/bad.yaml', line: 3, path: '/entities/0', message: /unknown entity 'airprot' \(did you mean 'airport'\?\)/ },
  { name: 'unknown source in a view', files: { 'features/bad.yaml': 'kind: feature_view\nname: v\nentities: [airport]\nsource: airport_src\nfeatures: [{name: departures, type: int64}]\n' }, file: 'features/bad.yaml', line: 4, path: '/source', message: /unknown source 'airport_src'/ },
  { name: 'duplicate name within a kind', files: { 'features/more.yaml': 'kind: entity\nname: airport\njoin_keys: [{name: origin, type: string}]\n' }, file: 'features/more.yaml', line: 2, path: '/name', message: /duplicate entity name 'airport' \(first defined at features\/base\.yaml:2:7\)/ },
  { name: 'duplicate feature name within a view', files: { 'features/bad.yaml': view('  - {name: departures, type: int64}\n  - {name: departures, type: float64}\n') }, file: 'features/bad.yaml', line: 7, path: '/features/1/name', message: /duplicate feature name 'departures' \(also \/features\/0\)/ },
  { name: 'feature named like a join key', files: { 'features/bad.yaml': view('  - {name: origin, type: string}\n') }, file: 'features/bad.yaml', line: 6, path: '/features/0/name', message: /has the name of a join key/ },
  { name: 'feature with a reserved name', files: { 'features/bad.yaml': view('  - {name: event_timestamp, type: timestamp}\n') }, file: 'features/bad.yaml', line: 6, path: '/features/0/name', message: /reserved/ },
  { name: 'slice naming an unknown column', files: { 'features/bad.yaml': view('  - {name: departures, type: int64}\n', 'slices: [orign]\n') }, file: 'features/bad.yaml', line: 7, path: '/slices/0', message: /unknown column 'orign'.*did you mean 'origin'/ },
  { name: 'feature named with the prefix of featureguard\'s own columns', files: { 'features/bad.yaml': view('  - {name: __fg_ets, type: float64}\n') }, file: 'features/bad.yaml', line: 6, path: '/features/0/name', message: /^'__fg_ets' is not a valid name: names starting with '__fg_' are reserved for featureguard's own columns; rename it, e\.g\. 'fg_ets'/ },
  { name: 'join key named with the prefix of featureguard\'s own columns', files: { 'features/bad.yaml': 'kind: entity\nname: e\njoin_keys:\n  - {name: __fg_row, type: string}\n' }, file: 'features/bad.yaml', line: 4, path: '/join_keys/0/name', message: /'__fg_row' is not a valid name: names starting with '__fg_' are reserved/ },
  { name: 'field_mapping to the prefix of featureguard\'s own columns', files: { 'features/bad.yaml': 'kind: source\nname: s\npath: data/airport.parquet\ntimestamp_field: hour\nfield_mapping:\n  delay_mean: __fg_max_ets\n' }, file: 'features/bad.yaml', line: 6, path: '/field_mapping/delay_mean', message: /'__fg_max_ets' is not a valid name: names starting with '__fg_' are reserved/ },
  { name: 'min on a string feature', files: { 'features/bad.yaml': view('  - name: carrier\n    type: string\n    min: 0\n') }, file: 'features/bad.yaml', line: 8, path: '/features/0/min', message: /'min' applies to numeric features only/ },
  { name: 'allowed value of the wrong type', files: { 'features/bad.yaml': view('  - {name: departures, type: int64, allowed_values: [one]}\n') }, file: 'features/bad.yaml', line: 6, path: '/features/0/allowed_values/0', message: /"one" is not a valid int64 value/ },
  { name: 'int64 bound beyond 2^53 (read inexactly)', files: { 'features/bad.yaml': view('  - {name: departures, type: int64, max: 9223372036854775807}\n') }, file: 'features/bad.yaml', line: 6, path: '/features/0/max', message: /bound beyond ±9007199254740991: integers this large are not read exactly from a definition .*\(this one is int64\)$/ },
  { name: 'invalid regular expression', files: { 'features/bad.yaml': view('  - {name: carrier, type: string, pattern: "(["}\n') }, file: 'features/bad.yaml', line: 6, path: '/features/0/pattern', message: /not a valid regular expression/ },
  { name: 'pattern with a lookahead (JavaScript, not RE2)', files: { 'features/bad.yaml': view("  - {name: carrier, type: string, pattern: '^(?!TEST)[A-Z]{3}$'}\n") }, file: 'features/bad.yaml', line: 6, path: '/features/0/pattern', message: /^pattern '\^\(\?!TEST\)\[A-Z\]\{3\}\$' is no RE2 regular expression, which the guards run it as \(DuckDB: invalid perl operator: \(\?!\): RE2 has no lookahead, lookbehind or backreferences/ },
  { name: 'pattern with a backreference', files: { 'features/bad.yaml': view("  - {name: carrier, type: string, pattern: '^(.)\\1$'}\n") }, file: 'features/bad.yaml', line: 6, path: '/features/0/pattern', message: /\(DuckDB: invalid escape sequence: \\1\)/ },
  // What only DuckDB's RE2 finds: `[^]` is any character in JavaScript, an unclosed class in RE2.
  { name: 'pattern RE2 cannot compile (asked of DuckDB)', files: { 'features/bad.yaml': view("  - {name: departures, type: int64}\n  - {name: carrier, type: string, pattern: '^[^]$'}\n") }, file: 'features/bad.yaml', line: 7, path: '/features/1/pattern', message: /^pattern '\^\[\^\]\$' is no RE2 regular expression, which the guards run it as \(DuckDB: missing \]: \[\^\]\$\)/ },
  { name: 'service naming a missing view', files: { 'features/bad.yaml': 'kind: feature_service\nname: svc\nfeatures:\n  - airport_hourly\n  - route_daily:mean_delay\n' }, file: 'features/bad.yaml', line: 5, path: '/features/1', message: /unknown feature view 'route_daily'/ },
  { name: 'service naming a missing feature', files: { 'features/bad.yaml': 'kind: feature_service\nname: svc\nfeatures: [airport_hourly:delay_p99]\n' }, file: 'features/bad.yaml', line: 3, path: '/features/0', message: /feature view 'airport_hourly' has no feature 'delay_p99'/ },
  { name: 'label not in a label view', files: { 'features/bad.yaml': 'kind: feature_service\nname: svc\nfeatures: [airport_hourly]\nlabel: airport_hourly:departures\n' }, file: 'features/bad.yaml', line: 4, path: '/label', message: /'airport_hourly' is not a label view/ },
  { name: 'feature name collision between views in a service', files: { 'features/bad.yaml': `${view('  - {name: departures, type: int64}\n')}---\nkind: feature_service\nname: svc\nfeatures:\n  - airport_hourly\n  - extra_view:departures\n` }, file: 'features/bad.yaml', line: 12, path: '/features/1', message: /feature name 'departures' comes from both views 'airport_hourly' \(\/features\/0\) and 'extra_view'/ },
  { name: 'service whose views give one join key two types', files: { 'features/bad.yaml': 'kind: entity\nname: airport_num\njoin_keys: [{name: origin, type: int64}]\n---\nkind: feature_view\nname: by_number\nentities: [airport_num]\nsource: airport_source\nfeatures: [{name: delay_mean, type: float64}]\n---\nkind: feature_service\nname: svc\nfeatures:\n  - airport_hourly:departures\n  - by_number\n' }, file: 'features/bad.yaml', line: 15, path: '/features/1', message: /join key 'origin' is int64 in entity 'airport_num' but string in entity 'airport' \(\/features\/0\)/ },
  { name: 'label view listed in features too', files: { 'features/bad.yaml': 'kind: feature_service\nname: svc\nfeatures:\n  - airport_hourly\n  - flight_outcome\nlabel: flight_outcome:delayed\n' }, file: 'features/bad.yaml', line: 5, path: '/features/1', message: /label view 'flight_outcome' is the service's label \(flight_outcome:delayed\): it is joined once, through label; remove it from features/ },
  { name: 'path escaping the project root', files: { 'features/bad.yaml': 'kind: source\nname: s\npath: ../../etc/flights.parquet\ntimestamp_field: hour\n' }, file: 'features/bad.yaml', line: 3, path: '/path', message: /is outside the project root/ },
  { name: 'a URL as a source path', files: { 'features/bad.yaml': 'kind: source\nname: s\npath: http://127.0.0.1:1/x.parquet\ntimestamp_field: hour\n' }, file: 'features/bad.yaml', line: 3, path: '/path', message: /is not a file path; sources are files inside the project folder or a data root \(no URLs/ },
  { name: 'absolute path outside the project root', files: { 'features/bad.yaml': 'kind: source\nname: s\ndatabase: /tmp/elsewhere.duckdb\ntable: t\ntimestamp_field: hour\n' }, file: 'features/bad.yaml', line: 3, path: '/database', message: /is outside the project root/ },
  { name: 'bad project name in featureguard.yaml', files: { 'featureguard.yaml': 'project: Demo Project\n' }, file: 'featureguard.yaml', line: 1, path: '/project', message: /'Demo Project' is not a valid name/ },
  { name: 'unknown setting in featureguard.yaml', files: { 'featureguard.yaml': 'project: demo\nonlin_store: {type: sqlite}\n' }, file: 'featureguard.yaml', line: 2, path: '/onlin_store', message: /unknown property 'onlin_store' \(did you mean 'online_store'\?\)/ },
  { name: 'webhook URL with a password', files: { 'featureguard.yaml': 'project: demo\nalerts:\n  - name: page\n    url: https://bot:S3cret@hooks.example.com/T0/B0/XyZ\n' }, file: 'featureguard.yaml', line: 4, path: '/alerts/0/url', message: /holds no user name or password/ },
  { name: 'two alerts with one name', files: { 'featureguard.yaml': 'project: demo\nalerts:\n  - name: retrain\n    url: https://hooks.example.com/a\n  - name: retrain\n    url: https://hooks.example.com/b\n' }, file: 'featureguard.yaml', line: 5, path: '/alerts/1/name', message: /alert name 'retrain' is taken by alerts\[0\]/ },
  { name: 'min_interval not a duration', files: { 'featureguard.yaml': 'project: demo\nalerts:\n  - name: page\n    url: https://hooks.example.com/a\n    min_interval: 10 minutes\n' }, file: 'featureguard.yaml', line: 5, path: '/alerts/0/min_interval', message: /'10 minutes' is not a valid duration: use 0 \(every match is sent\) or a whole number/ },
  { name: 'redeliver_for beyond 100 years', files: { 'featureguard.yaml': 'project: demo\nalerts:\n  - name: page\n    url: https://hooks.example.com/a\n    redeliver_for: 40000d\n' }, file: 'featureguard.yaml', line: 5, path: '/alerts/0/redeliver_for', message: /longer than 100 years \(36500d\); use 0 \(never redeliver\) or a shorter one/ },
  { name: 'webhook URL that is no http', files: { 'featureguard.yaml': 'project: demo\nalerts:\n  - name: page\n    url: file:///etc/hooks\n' }, file: 'featureguard.yaml', line: 4, path: '/alerts/0/url', message: /http or https, not file/ },
  { name: 'webhook URL on a port fetch blocks', files: { 'featureguard.yaml': 'project: demo\nalerts:\n  - name: page\n    url: http://127.0.0.1:10080/hook\n' }, file: 'featureguard.yaml', line: 4, path: '/alerts/0/url', message: /port 10080 is one Node's fetch refuses to connect to .*bad port.*use another port/ },
  { name: 'online store URL that is no Redis URL', files: { 'featureguard.yaml': 'project: demo\nonline_store:\n  type: redis\n  url: http://127.0.0.1:6379\n' }, file: 'featureguard.yaml', line: 4, path: '/online_store/url', message: /a Redis URL is redis:\/\/ or rediss:\/\/ \(TLS\), not http:\/\// },
  { name: 'schedule on a view that is not online', files: { 'features/bad.yaml': 'kind: feature_view\nname: v\nentities: [airport]\nsource: airport_source\nschedule: "5 * * * *"\nfeatures: [{name: departures, type: int64}]\n' }, file: 'features/bad.yaml', line: 5, path: '/schedule', message: /set online: true, or remove the schedule/ },
  { name: 'definitions folder outside the project root', files: { 'featureguard.yaml': 'project: demo\ndefinitions: ../shared-features\n' }, file: 'featureguard.yaml', line: 2, path: '/definitions', message: /'\.\.\/shared-features' is outside the project root/ },
  { name: 'label feature missing from the label view', files: { 'features/bad.yaml': 'kind: feature_service\nname: svc\nfeatures: [airport_hourly]\nlabel: flight_outcome:delay\n' }, file: 'features/bad.yaml', line: 4, path: '/label', message: /label view 'flight_outcome' has no feature 'delay' \(did you mean 'delayed'\?\)/ },
  { name: 'duplicate join key in an entity', files: { 'features/bad.yaml': 'kind: entity\nname: route\njoin_keys:\n  - {name: origin, type: string}\n  - {name: origin, type: string}\n' }, file: 'features/bad.yaml', line: 5, path: '/join_keys/1/name', message: /duplicate join key 'origin'/ },
  // Checks against the data (DuckDB): reached only when the definitions themselves are valid.
  { name: 'missing source file', files: { 'features/bad.yaml': 'kind: source\nname: s\npath: data/missing.parquet\ntimestamp_field: hour\n' }, file: 'features/bad.yaml', line: 3, path: '/path', message: /file 'data\/missing\.parquet' does not exist/ },
  { name: 'glob matching no file', files: { 'features/bad.yaml': 'kind: source\nname: s\npath: data/2001-*.parquet\ntimestamp_field: hour\n' }, file: 'features/bad.yaml', line: 3, path: '/path', message: /no file matches 'data\/2001-\*\.parquet'/ },
  { name: 'declared feature column missing from the source', files: { 'features/bad.yaml': view('  - {name: departures, type: int64}\n  - {name: delay_p90, type: float64}\n') }, file: 'features/bad.yaml', line: 7, path: '/features/1', message: /feature 'delay_p90' is not a column of source 'airport_source'/ },
  { name: 'declared type incompatible with the column', files: { 'features/bad.yaml': view('  - {name: delay_mean, type: int32}\n') }, file: 'features/bad.yaml', line: 6, path: '/features/0', message: /declared int32 but column 'delay_mean' of source 'airport_source' is DOUBLE/ },
  { name: 'timestamp field missing from the source', files: { 'features/bad.yaml': 'kind: source\nname: s\npath: data/airport.parquet\ntimestamp_field: hour_utc\n' }, file: 'features/bad.yaml', line: 4, path: '/timestamp_field', message: /timestamp field 'hour_utc' is not a column of source 's' \(did you mean 'hour'\?\)/ },
  { name: 'join key missing from the source', files: { 'features/bad.yaml': 'kind: entity\nname: route\njoin_keys: [{name: dest, type: string}]\n---\nkind: feature_view\nname: v\nentities: [airport, route]\nsource: airport_source\nfeatures: [{name: departures, type: int64}]\n' }, file: 'features/bad.yaml', line: 7, path: '/entities/1', message: /join key 'dest' of entity 'route' is not a column of source 'airport_source'/ },
  { name: 'declared column missing from a CSV source', files: { 'data/extra.csv': 'origin,hour,departures\nSEA,2001-01-01 10:00:00,3\n', 'features/bad.yaml': 'kind: source\nname: csv_source\npath: data/extra.csv\ntimestamp_field: hour\n---\nkind: feature_view\nname: v\nentities: [airport]\nsource: csv_source\nfeatures:\n  - {name: departures, type: int64}\n  - {name: delay_mean, type: float64}\n' }, file: 'features/bad.yaml', line: 12, path: '/features/1', message: /feature 'delay_mean' is not a column of source 'csv_source'/ },
  { name: 'query that does not run', files: { 'features/bad.yaml': 'kind: source\nname: s\nquery: SELEC origin FROM x\ntimestamp_field: hour\n' }, file: 'features/bad.yaml', line: 3, path: '/query', message: /cannot read the source: Parser Error/ },
  { name: 'table missing from a DuckDB file', files: { 'features/bad.yaml': 'kind: source\nname: s\ndatabase: data/airport.duckdb\ntable: hourly_stats\ntimestamp_field: hour\n' }, file: 'features/bad.yaml', line: 4, path: '/table', message: /cannot read the source: .*hourly_stats/ },
  { name: 'source file that is no Parquet', files: { 'data/broken.parquet': 'not parquet at all', 'features/bad.yaml': 'kind: source\nname: s\npath: data/broken.parquet\ntimestamp_field: hour\n' }, file: 'features/bad.yaml', line: 3, path: '/path', message: /cannot read the source: .*'data\/broken\.parquet'/ },
];

let template: string;
const made: string[] = [];

beforeAll(async () => {
  template = mkdtempSync(join(tmpdir(), 'fg-broken-tpl-'));
  const engine = await openOfflineEngine();
  await engine.run(`COPY (SELECT * FROM (VALUES ('SEA', TIMESTAMP '2001-01-01 10:00:00', 3::BIGINT, 1.5::DOUBLE)) t(origin, hour, departures, delay_mean))
    TO ${literal(join(template, 'airport.parquet'))} (FORMAT parquet)`);
  await engine.run(`COPY (SELECT 'SEA' AS origin, TIMESTAMP '2001-01-01 10:05:00' AS dep_time, true AS delayed) TO ${literal(join(template, 'outcome.parquet'))} (FORMAT parquet)`);
  const db = await DuckDBInstance.create(join(template, 'airport.duckdb'));
  const c = await db.connect();
  await c.run('CREATE TABLE hourly AS SELECT 1 AS x');
  c.closeSync();
  db.closeSync();
});

afterAll(() => {
  for (const d of [template, ...made]) rmSync(d, { recursive: true, force: true });
});

function projectFor(c: Case): string {
  const root = mkdtempSync(join(tmpdir(), 'fg-broken-'));
  made.push(root);
  mkdirSync(join(root, 'features'));
  mkdirSync(join(root, 'data'));
  for (const f of ['airport.parquet', 'outcome.parquet', 'airport.duckdb']) copyFileSync(join(template, f), join(root, 'data', f));
  writeFileSync(join(root, 'featureguard.yaml'), CONFIG);
  writeFileSync(join(root, 'features/base.yaml'), BASE);
  for (const [name, text] of Object.entries(c.files)) writeFileSync(join(root, name), text);
  return root;
}

/** Problems as the library reports them (the same three steps as `validate`). */
async function libraryProblems(root: string): Promise<DefinitionProblem[]> {
  try {
    return await checkSources(root, loadDefinitions(root, loadConfig(root)));
  } catch (e) {
    if (e instanceof DefinitionError) return e.problems;
    throw e;
  }
}

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (t) => out.push(t), err: (t) => err.push(t), isTty: false };
  const code = await main(argv, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('broken definitions', () => {
  it('has at least 25 distinct cases', () => {
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
    expect(CASES.length).toBeGreaterThanOrEqual(25);
  });

  it('accepts the base project as valid', async () => {
    const root = projectFor({ name: 'base', files: {}, file: '', line: 0, path: '', message: /./ });
    expect(await libraryProblems(root)).toEqual([]);
    const r = await cli(['validate', '--project', root]);
    expect(r.code, r.err).toBe(0);
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const root = projectFor(c);
    const matches = (p: DefinitionProblem): boolean => p.file === c.file && p.path === c.path;

    const lib = await libraryProblems(root);
    const hit = lib.find(matches);
    expect(hit, `problems: ${JSON.stringify(lib, null, 1)}`).toBeDefined();
    expect(hit!.line).toBe(c.line);
    expect(hit!.message).toMatch(c.message);
    for (const p of lib) expect(p.message).not.toMatch(/\n\s+at |instancePath|schemaPath|\bparams\b/);
    // Paths relative to the project, as the definitions write them.
    for (const p of lib) expect(p.message).not.toContain(root);

    const r = await cli(['validate', '--project', root, '--json']);
    expect(r.code, `${r.out}\n${r.err}`).toBe(2);
    const body = JSON.parse(r.out || r.err) as { problems?: DefinitionProblem[]; error?: { details: { problems: DefinitionProblem[] } } };
    const cliProblems = body.problems ?? body.error?.details.problems ?? [];
    expect(cliProblems.find(matches)).toEqual(hit);
    const human = await cli(['validate', '--project', root]);
    expect(human.code).toBe(2);
    expect(`${human.out}\n${human.err}`).toContain(c.line === undefined ? `${c.file} at /: ` : `${c.file}:${c.line}:`);
  });
});

describe('definition files that cannot be read', () => {
  it('name the file and the reason (exit 2), never a bare file-system error; a byte-order mark is not content', async () => {
    const root = projectFor({ name: 'unreadable', files: {}, file: '', line: 0, path: '', message: /./ });
    symlinkSync(join(root, 'features', 'nowhere.yaml'), join(root, 'features', 'dangling.yaml'));
    mkdirSync(join(root, 'features', 'folder.yaml'));
    writeFileSync(join(root, 'features', 'bom.json'), '\ufeff{"kind": "entity", "name": "bom", "join_keys": [{"name": "b", "type": "string"}]}');
    // A named pipe would block a read forever; a huge file is no definition (refused before reading it).
    execFileSync('mkfifo', [join(root, 'features', 'pipe.yaml')]);
    writeFileSync(join(root, 'features', 'huge.yaml'), '');
    truncateSync(join(root, 'features', 'huge.yaml'), 9 * 2 ** 20);
    const problems = await libraryProblems(root);
    expect(problems.map((p) => [p.file, p.message])).toEqual([
      ['features/dangling.yaml', 'cannot follow this symbolic link: it does not exist (a symbolic link to nothing?); restore what it points to, or remove the link'],
      ['features/huge.yaml', "this file is 9.0 MiB: a definition file holds at most 8 MiB (is it a data file in the definitions' folder?)"],
      ['features/pipe.yaml', 'cannot read this file: it is not a regular file (a pipe or device?)'],
    ]);
    const r = await cli(['validate', '--project', root]);
    expect([r.code, `${r.out}${r.err}`]).toEqual([2, expect.stringContaining('features/dangling.yaml')]);
    // featureguard.yaml itself a folder.
    const other = projectFor({ name: 'config-folder', files: {}, file: '', line: 0, path: '', message: /./ });
    rmSync(join(other, 'featureguard.yaml'));
    mkdirSync(join(other, 'featureguard.yaml'));
    const c = await cli(['validate', '--project', other]);
    expect([c.code, c.err]).toEqual([2, expect.stringMatching(/featureguard\.yaml.*cannot read this file: it is a folder, not a file/)]);
  });
});

describe('plan and apply with source problems', () => {
  it('apply still applies but warns (a push-fed source may have no file yet), in words and in JSON', async () => {
    const c = CASES.find((x) => x.name === 'declared feature column missing from the source')!;
    const root = projectFor(c);
    const plan = await cli(['plan', '--project', root, '--json']);
    expect(plan.code).toBe(0);
    expect(JSON.parse(plan.out).source_problems).toEqual([expect.objectContaining({ file: c.file, path: c.path, message: expect.stringMatching(c.message) })]);
    const human = await cli(['apply', '--project', root]);
    expect(human.code).toBe(0);
    expect(human.out).toMatch(new RegExp(`^warning: ${c.file}:${c.line} ${c.path}: feature 'delay_p90' is not a column`, 'm'));
    expect(human.out).toContain('1 source problem');
  });
});

describe('patterns only DuckDB\'s RE2 refuses', () => {
  it('apply refuses them (exit 2) as validate does, naming file, line and DuckDB\'s reason, and applies nothing: they do not depend on the data', async () => {
    for (const [pattern, reason] of [['^[^]*$', 'missing ]: [^]*$'], ['^a{1001}$', 'invalid repetition size: {1001}'], ['[\\b]', 'invalid escape sequence: \\b']]) {
      const root = projectFor({ name: pattern, files: { 'features/bad.yaml': view(`  - {name: departures, type: int64}\n  - {name: carrier, type: string, pattern: '${pattern}'}\n`) }, file: 'features/bad.yaml', line: 7, path: '/features/1/pattern', message: /./ });
      const want = ` (feature_view extra_view) at /features/1/pattern: pattern '${pattern}' is no RE2 regular expression, which the guards run it as (DuckDB: ${reason})\n`;
      const validate = await cli(['validate', '--project', root]);
      expect(validate.code, pattern).toBe(2);
      const apply = await cli(['apply', '--project', root]);
      expect(apply.code, `${pattern}: ${apply.out}${apply.err}`).toBe(2);
      expect(`${apply.out}\n${apply.err}\n`, pattern).toContain(`error: features/bad.yaml:7:44${want}`);
      expect(`${validate.out}\n${validate.err}\n`, pattern).toContain(want);
      const list = await cli(['list', '--project', root, '--json']);
      expect([list.code, JSON.parse(list.out)], pattern).toEqual([0, []]);
    }
  });
});

describe('names with the prefix of featureguard\'s own columns', () => {
  it('apply refuses them (exit 2) and applies nothing: the guards would have left such a feature unchecked', async () => {
    const c = CASES.find((x) => x.name === 'feature named with the prefix of featureguard\'s own columns')!;
    const root = projectFor(c);
    const apply = await cli(['apply', '--project', root, '--json']);
    expect(apply.code, apply.out + apply.err).toBe(2);
    expect(`${apply.out}\n${apply.err}`).toMatch(/'__fg_ets' is not a valid name: names starting with '__fg_' are reserved/);
    const list = await cli(['list', '--project', root, '--json']);
    expect([list.code, JSON.parse(list.out)]).toEqual([0, []]);
  });
});
