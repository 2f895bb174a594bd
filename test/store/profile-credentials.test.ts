/**
 * saveCredentials (the connector run context's, engine/profile-access.ts): rotated credentials are
 * stored encrypted, fenced on the envelope the holder read, so two runs refreshing one OAuth token at
 * once don't clobber each other: the second writer gets the first one's credentials back instead.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, test } from "node:test";
import { SecretBox } from "../../src/domain/secrets.ts";
import { openProfile } from "../../src/engine/profile-access.ts";
import { getProfile, insertProfile } from "../../src/store/profiles-sql.ts";
import { backends } from "../helpers/backends.ts";
import { freshStore, pgSkipReason } from "../helpers/store.ts";

const secrets = new SecretBox(randomBytes(32));

for (const backend of backends) {
  describe(`saveCredentials (${backend})`, async () => {
    const skip = await pgSkipReason(backend);
    test("two holders refresh at once: the first write wins, the second gets the winner's credentials", {
      skip,
    }, async () => {
      const { store, done } = await freshStore(backend);
      try {
        const deps = { db: store.db, secrets, now: () => Date.now() };
        await insertProfile(store.db, {
          account_id: "111122223333",
          profile_name: "sf",
          profile_arn: "arn:aws:appflow:us-east-1:111122223333:connectorprofile/sf",
          connector_type: "Redshift",
          connector_label: null,
          connection_mode: "Public",
          properties: "{}",
          credentials_enc: secrets.seal({ accessToken: "t0", refreshToken: "r" }),
          credentials_arn: "arn:aws:secretsmanager:us-east-1:111122223333:secret:sf",
          created_at: 1,
          updated_at: 1,
        });
        // Two runs read the same credentials, then both refresh.
        const a = await openProfile(deps, "111122223333", "sf");
        const b = await openProfile(deps, "111122223333", "sf");
        assert.deepEqual(await a.saveCredentials({ accessToken: "tA", refreshToken: "r" }), {
          accessToken: "tA",
          refreshToken: "r",
        });
        // b's fence (t0) no longer holds: nothing is written, and b now uses a's token.
        assert.deepEqual(await b.saveCredentials({ accessToken: "tB", refreshToken: "r" }), {
          accessToken: "tA",
          refreshToken: "r",
        });
        assert.equal(b.profile.credentials.accessToken, "tA");
        const row = await getProfile(store.db, "111122223333", "sf");
        // Not the plaintext (a two-letter token can turn up in ciphertext by chance: 1 run in 40 did).
        assert.ok(row && !row.credentials_enc.includes("accessToken"), "stored encrypted");
        assert.deepEqual(secrets.open(row.credentials_enc), { accessToken: "tA", refreshToken: "r" });
        // b's fence follows what it read: its next rotation is written.
        await b.saveCredentials({ accessToken: "tB2", refreshToken: "r" });
        assert.deepEqual(secrets.open((await getProfile(store.db, "111122223333", "sf"))!.credentials_enc), {
          accessToken: "tB2",
          refreshToken: "r",
        });
      } finally {
        await done();
      }
    });
  });
}
