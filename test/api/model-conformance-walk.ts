/**
 * Walks one operation's input shape in the AppFlow model alongside a valid base request, and for each
 * constraint the model states, mutates a copy of the request and checks what parseInput says.
 */
import type { OperationName } from "../../src/api/protocol/operations.ts";
import { parseInput } from "../../src/api/shapes/index.ts";
import { connectors } from "../../src/connectors/registry.ts";
import { memberOf } from "../../src/connectors/sdk/definition.ts";
import { ValidationError } from "../../src/domain/errors.ts";
import { fixtures } from "../connectors/contract-fixtures.ts";

interface Ref {
  shape: string;
  location?: string;
}
export interface Shape {
  type: string;
  required?: string[];
  members?: Record<string, Ref>;
  member?: Ref;
  key?: Ref;
  value?: Ref;
  min?: number;
  max?: number;
  pattern?: string;
  enum?: string[];
}
export interface Model {
  operations: Record<string, { http: { method: string; requestUri: string }; input?: { shape: string } }>;
  shapes: Record<string, Shape>;
}
type Path = (string | number)[];
type Body = Record<string, unknown>;

// Structures with one member per connector: we walk only the members of connectors we implement,
// and check that the others are refused as "not supported".
const perConnector = new Set([
  "SourceConnectorProperties",
  "DestinationConnectorProperties",
  "ConnectorProfileProperties",
  "ConnectorProfileCredentials",
  "ConnectorOperator",
]);
const implemented = new Set(connectors.map(memberOf));

/**
 * Members to go with a connectorType, so that type can be tried alone: each connector's contract
 * fixture (destination or source properties, or a profile configuration), under its member name.
 */
function propsFor(
  type: string,
  member: "destinationConnectorProperties" | "sourceConnectorProperties" | "connectorProfileConfig",
): unknown {
  const c = connectors.find((d) => d.connectorType === type);
  const fx = fixtures[type];
  if (!c || !fx) return undefined;
  const m = memberOf(c);
  if (member === "destinationConnectorProperties")
    return fx.destinationProperties && { [m]: fx.destinationProperties };
  if (member === "sourceConnectorProperties") return fx.sourceProperties && { [m]: fx.sourceProperties };
  return (
    fx.profile && {
      connectorProfileProperties: { [m]: fx.profile.properties },
      connectorProfileCredentials: { [m]: fx.profile.credentials },
    }
  );
}

const fmt = (path: Path) =>
  path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");

function modelRegex(pattern: string): RegExp {
  try {
    return new RegExp(`^(?:${pattern})$`, "u"); // the model's surrogate-pair ranges need `u`
  } catch {
    return new RegExp(`^(?:${pattern})$`);
  }
}

function getAt(root: unknown, path: Path): unknown {
  return path.reduce<unknown>((o, p) => (o as Record<string | number, unknown>)[p], root);
}
function withAt(base: Body, path: Path, value: unknown, remove = false): Body {
  const copy = structuredClone(base);
  const parent = getAt(copy, path.slice(0, -1)) as Record<string | number, unknown>;
  const last = path.at(-1)!;
  if (remove) delete parent[last];
  else parent[last] = value;
  return copy;
}

export function walkOperation(model: Model, op: OperationName, inputShape: string, base: Body) {
  const failures: string[] = [];
  const covered = new Set<string>();
  const seenMembers = new Set<string>();
  let checks = 0;

  const outcome = (body: Body): string | undefined => {
    try {
      parseInput(op, body);
      return undefined;
    } catch (e) {
      if (!(e instanceof ValidationError)) return `threw ${String(e)}`;
      return e.message;
    }
  };
  const accepts = (body: Body, what: string) => {
    checks++;
    const msg = outcome(body);
    if (msg !== undefined) failures.push(`${what}: expected to be accepted, got: ${msg}`);
  };
  const rejects = (body: Body, expect: string, what: string) => {
    checks++;
    const msg = outcome(body);
    if (msg === undefined) failures.push(`${what}: expected rejection (${expect}), was accepted`);
    else if (!msg.includes(expect)) failures.push(`${what}: expected message with "${expect}", got: ${msg}`);
  };

  function walkString(s: Shape, path: Path, value: unknown) {
    const at = fmt(path);
    if (s.enum) {
      rejects(withAt(base, path, "NOT_A_MODEL_VALUE"), `${at}: must be one of`, `${at} outside the enum`);
      for (const v of s.enum) {
        let body = withAt(base, path, v);
        const parent = path.slice(0, -1);
        if (path.at(-1) === "connectorType") {
          for (const member of [
            "destinationConnectorProperties",
            "sourceConnectorProperties",
            "connectorProfileConfig",
          ] as const) {
            const props = propsFor(v, member);
            if (props && getAt(base, [...parent, member])) body = withAt(body, [...parent, member], props);
          }
        }
        checks++;
        const msg = outcome(body);
        if (msg !== undefined && !msg.includes("not supported")) {
          failures.push(
            `${at}=${v}: an enum value must be accepted or refused as not supported, got: ${msg}`,
          );
        }
      }
      return;
    }
    const re = s.pattern === undefined ? undefined : modelRegex(s.pattern);
    const base0 = typeof value === "string" ? value : "";
    const ofLength = (n: number): string | undefined => {
      for (const fill of ["a", "0", "x1", " "]) {
        const v = (base0 + fill.repeat(n)).slice(0, n);
        if (v.length === n && (!re || re.test(v))) return v;
      }
      return undefined;
    };
    if (s.max !== undefined) {
      const ok = ofLength(s.max);
      if (ok !== undefined) accepts(withAt(base, path, ok), `${at} of max length ${s.max}`);
      rejects(withAt(base, path, "a".repeat(s.max + 1)), `${at}: must be at most ${s.max}`, `${at} over max`);
    }
    if (s.min !== undefined && s.min > 0) {
      const ok = ofLength(s.min);
      if (ok !== undefined) accepts(withAt(base, path, ok), `${at} of min length ${s.min}`);
      rejects(
        withAt(base, path, base0.slice(0, s.min - 1)),
        `${at}: must be at least ${s.min}`,
        `${at} under min`,
      );
    }
    if (re) {
      const bad = ["", "\n", " ", "a b", "bad value!", "-", "\u0001", "é"].find(
        (c) => !re.test(c) && c.length >= (s.min ?? 0) && c.length <= (s.max ?? Infinity),
      );
      if (bad !== undefined)
        rejects(withAt(base, path, bad), `${at}: must match pattern`, `${at}=${JSON.stringify(bad)}`);
    }
    rejects(withAt(base, path, 12), `${at}: must be a string`, `${at} as a number`);
  }

  function walkNumber(s: Shape, path: Path) {
    const at = fmt(path);
    if (s.max !== undefined) {
      accepts(withAt(base, path, s.max), `${at}=${s.max}`);
      rejects(withAt(base, path, s.max + 1), `${at}: must be at most ${s.max}`, `${at} over max`);
    }
    if (s.min !== undefined) {
      accepts(withAt(base, path, s.min), `${at}=${s.min}`);
      rejects(withAt(base, path, s.min - 1), `${at}: must be at least ${s.min}`, `${at} under min`);
    }
    rejects(withAt(base, path, 1.5), `${at}: must be an integer`, `${at}=1.5`);
    rejects(withAt(base, path, "7"), `${at}: must be an integer`, `${at} as a string`);
  }

  function walkMap(s: Shape, path: Path, value: Body) {
    const at = fmt(path);
    const keyShape = model.shapes[s.key!.shape]!;
    const [firstKey, firstValue] = Object.entries(value)[0] ?? [];
    if (firstKey === undefined) {
      failures.push(`${at}: the base request has an empty map here`);
      return;
    }
    if (s.max !== undefined) {
      const big = Object.fromEntries(Array.from({ length: s.max + 1 }, (_, i) => [`k${i}`, firstValue]));
      rejects(withAt(base, path, big), `${at}: must have at most ${s.max}`, `${at} over max entries`);
    }
    const keyRejected = (k: string, rule: string) =>
      rejects(
        withAt(base, path, { [k]: firstValue }),
        `${at}: key ${JSON.stringify(k)} ${rule}`,
        `${at} key ${k}`,
      );
    if (keyShape.enum) {
      keyRejected("NOT_A_KEY", "must be one of");
      for (const k of keyShape.enum) accepts(withAt(base, path, { [k]: firstValue }), `${at} key ${k}`);
    }
    if (keyShape.max !== undefined)
      keyRejected("k".repeat(keyShape.max + 1), `must be at most ${keyShape.max}`);
    if (keyShape.pattern !== undefined) keyRejected("bad key!", "must match pattern");
    if (keyShape.pattern?.includes("(?!aws:)")) keyRejected("aws:owner", "must not start with aws:");
    rejects(withAt(base, path, ["x"]), `${at}: must be a map`, `${at} as a list`);
    walk(s.value!.shape, [...path, firstKey], firstValue);
  }

  function walkStructure(name: string, s: Shape, path: Path, value: Body) {
    const at = fmt(path);
    if (path.length > 0) rejects(withAt(base, path, "x"), `${at}: must be an object`, `${at} as a string`);
    for (const [m, ref] of Object.entries(s.members ?? {})) {
      const mpath = [...path, m];
      if (perConnector.has(name) && !implemented.has(m)) {
        const sample = name === "ConnectorOperator" ? "PROJECTION" : {};
        rejects(withAt(base, mpath, sample), "not supported", `${fmt(mpath)} (unimplemented connector)`);
        continue;
      }
      seenMembers.add(`${name}.${m}`);
      if (s.required?.includes(m)) {
        rejects(withAt(base, mpath, undefined, true), `${fmt(mpath)}: is required`, `${fmt(mpath)} omitted`);
      }
      if (value[m] !== undefined) {
        covered.add(`${name}.${m}`);
        walk(ref.shape, mpath, value[m]);
      }
    }
  }

  function walk(shapeName: string, path: Path, value: unknown) {
    const s = model.shapes[shapeName]!;
    const at = fmt(path);
    switch (s.type) {
      case "structure":
        return walkStructure(shapeName, s, path, value as Body);
      case "list": {
        const items = value as unknown[];
        if (s.max !== undefined) {
          const over = Array.from({ length: s.max + 1 }, () => items[0]);
          rejects(withAt(base, path, over), `${at}: must have at most ${s.max}`, `${at} over max items`);
          accepts(withAt(base, path, over.slice(1)), `${at} of max items`);
        }
        rejects(withAt(base, path, "x"), `${at}: must be a list`, `${at} as a string`);
        for (const [i, item] of items.entries()) walk(s.member!.shape, [...path, i], item);
        return;
      }
      case "map":
        return walkMap(s, path, value as Body);
      case "string":
        return walkString(s, path, value);
      case "integer":
      case "long":
        return walkNumber(s, path);
      case "boolean":
        return rejects(withAt(base, path, "true"), `${at}: must be a boolean`, `${at} as a string`);
      case "timestamp":
        accepts(withAt(base, path, "2024-01-01T00:00:00Z"), `${at} as ISO-8601`);
        return rejects(withAt(base, path, "not a date"), `${at}: must be a timestamp`, `${at} not a date`);
      default:
        failures.push(`${at}: model type ${s.type} is not handled by this test`);
    }
  }

  accepts(base, "the base request");
  walk(inputShape, [], base);
  const uncovered = [...seenMembers].filter((m) => !covered.has(m)).sort();
  return { failures, uncovered, checks, seen: seenMembers, covered };
}
