/**
 * Deterministic seed data: the same seed and counts always give the same records (ids, values and
 * timestamps), so tests can assert on exact content. Timestamps are spread one minute apart from a fixed
 * base date, so incremental pulls on SystemModstamp have something to cut.
 */
import type { Org, Row } from "./org.ts";

export const SEED_BASE_MS = Date.UTC(2024, 0, 1, 0, 0, 0);

/** mulberry32: a tiny, well-known seeded PRNG; good enough for test data. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = [
  "Acme",
  "Globex",
  "Initech",
  "Umbrella",
  "Hooli",
  "Stark",
  "Wayne",
  "Wonka",
  "Tyrell",
  "Soylent",
];
const FIRST = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia", "Linus"];
const LAST = [
  "Lovelace",
  "Hopper",
  "Turing",
  "Dijkstra",
  "Liskov",
  "Knuth",
  "Allen",
  "Thompson",
  "Perlman",
  "Torvalds",
];

export type SeedCounts = number | Record<string, number>;

const countFor = (counts: SeedCounts, object: string): number =>
  typeof counts === "number" ? counts : (counts[object] ?? 0);

/** Seeds Account, then Contact and Opportunity (which reference the accounts). */
export function seedOrg(org: Org, counts: SeedCounts, seed = 42): void {
  const rnd = prng(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  let minute = 0;
  const stamps = (): Row => {
    const created = SEED_BASE_MS + minute * 60_000;
    minute += 1;
    const modified = created + Math.floor(rnd() * 30) * 1000;
    return { CreatedDate: created, LastModifiedDate: modified, SystemModstamp: modified };
  };
  const accounts: string[] = [];
  const account = org.object("Account");
  if (account) {
    for (let i = 0; i < countFor(counts, "Account"); i++) {
      accounts.push(
        org.seedRow(account, {
          ...stamps(),
          Name: `${pick(WORDS)} ${i + 1}`,
          Industry: pick(account.fields.find((f) => f.name === "Industry")!.picklist!),
          AnnualRevenue: Math.round(rnd() * 10_000_000) / 100,
          NumberOfEmployees: Math.floor(rnd() * 5000),
          Phone: `+1-555-${String(1000 + i).slice(-4)}`,
          Website: `https://example.com/${i + 1}`,
          Description: i % 7 === 0 ? `Line one, "quoted"\nline two` : null,
          External_Id__c: `ACC-${String(i + 1).padStart(6, "0")}`,
        }),
      );
    }
  }
  const contact = org.object("Contact");
  if (contact) {
    for (let i = 0; i < countFor(counts, "Contact"); i++) {
      const first = pick(FIRST);
      const last = pick(LAST);
      org.seedRow(contact, {
        ...stamps(),
        FirstName: first,
        LastName: last,
        Email: `${first}.${last}.${i + 1}@example.com`.toLowerCase(),
        AccountId: accounts.length > 0 ? accounts[i % accounts.length]! : null,
        Birthdate: `19${60 + (i % 40)}-${String((i % 12) + 1).padStart(2, "0")}-${String((i % 28) + 1).padStart(2, "0")}`,
        HasOptedOutOfEmail: rnd() < 0.2,
        External_Id__c: `CON-${String(i + 1).padStart(6, "0")}`,
      });
    }
  }
  const opportunity = org.object("Opportunity");
  if (opportunity) {
    const stages = opportunity.fields.find((f) => f.name === "StageName")!.picklist!;
    for (let i = 0; i < countFor(counts, "Opportunity"); i++) {
      org.seedRow(opportunity, {
        ...stamps(),
        Name: `Deal ${i + 1}`,
        AccountId: accounts.length > 0 ? accounts[i % accounts.length]! : null,
        Amount: Math.round(rnd() * 1_000_000) / 100,
        Probability: Math.floor(rnd() * 100),
        CloseDate: `2024-${String((i % 12) + 1).padStart(2, "0")}-15`,
        StageName: pick(stages),
        IsPrivate: false,
      });
    }
  }
}
