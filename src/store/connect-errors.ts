/**
 * Why the store's database couldn't be opened, in words that say what to do: the driver's own errors
 * ("connect ECONNREFUSED", "database … does not exist") don't say that it is Sluice's state database
 * that failed, nor which setting names it. The URL is shown without its password.
 */

/** The URL as safe to show: no user info. */
export function displayUrl(databaseUrl: string): string {
  try {
    const u = new URL(databaseUrl);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return "(unparseable URL)";
  }
}

export function explainConnectError(err: unknown, databaseUrl: string): Error {
  const e = err as { code?: string; message?: string };
  const where = `the database at ${displayUrl(databaseUrl)} (--database-url / SLUICE_DATABASE_URL)`;
  const db = URL.canParse(databaseUrl) ? decodeURIComponent(new URL(databaseUrl).pathname.slice(1)) : "";
  let message: string | undefined;
  switch (e.code) {
    case "ECONNREFUSED":
      message = `${where} refused the connection: is PostgreSQL running and listening there?`;
      break;
    case "ENOTFOUND":
    case "EAI_AGAIN":
      message = `${where}: the host name does not resolve`;
      break;
    case "ETIMEDOUT":
      message = `${where} did not answer in time`;
      break;
    case "3D000":
      message = `${where}: database "${db}" does not exist; create it (e.g. createdb ${db || "<name>"}) or name another`;
      break;
    case "28P01":
    case "28000":
      message = `${where} refused the login: check the user and password in the URL`;
      break;
  }
  if (!message) return err instanceof Error ? err : new Error(String(err));
  return new Error(message, { cause: err });
}
