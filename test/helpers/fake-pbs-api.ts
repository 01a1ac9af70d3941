/**
 * A fake Proxmox Backup Server API on 127.0.0.1, for the status probe and
 * `npm run status`: HTTPS with a throwaway self-signed certificate (made with
 * openssl for `localhost` and 127.0.0.1), PBS's `PBSAPIToken=<id>:<secret>`
 * header checked (a wrong token gets 401, as PBS answers), `{"data": ...}`
 * replies, and only the GET routes the probe reads, shaped as PBS gives them
 * (GC as a list of one, sync jobs hidden from a token without Remote.Audit).
 * Its state is plain data a test sets before a call. Nothing here talks to any
 * address but 127.0.0.1.
 */
import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { type Server, createServer } from "node:https";
import { join } from "node:path";

/** A snapshot as PBS's API lists it. */
export interface ApiSnapshot {
  "backup-type": "ct" | "vm" | "host";
  "backup-id": string;
  "backup-time": number;
  size: number;
  verification?: { state: "ok" | "failed"; upid: string };
  protected: boolean;
}

/** A job as PBS's API lists it (sync, prune, verify; GC by datastore, whose `id` PBS does not give). */
export interface ApiJob {
  id?: string;
  store: string;
  "last-run-state"?: string;
  "last-run-upid"?: string;
  "last-run-endtime"?: number;
  "next-run"?: number;
}

export interface FakePbsState {
  datastore: string;
  status: { total: number; used: number; avail: number } | null;
  snapshots: Record<string, ApiSnapshot[]>;
  sync: ApiJob[];
  prune: ApiJob[];
  verify: ApiJob[];
  gc: ApiJob | null;
  /**
   * Whether the status token has Remote.Audit on the remotes: PBS lists a sync
   * job only to a token that has it (and Datastore.Audit on the target), and
   * silently leaves the others out.
   */
  remoteAudit: boolean;
}

export interface FakePbs {
  readonly url: string;
  /** The certificate the server presents (what the probe pins with --cacert). */
  readonly caFile: string;
  readonly tokenId: string;
  readonly secret: string;
  readonly state: FakePbsState;
  /** Requests as `METHOD /api2/json/...`, in order, refused ones included. */
  readonly requests: string[];
  stop(): Promise<void>;
}

/** A self-signed certificate for localhost and 127.0.0.1 in `dir` (curl trusts it through --cacert or CURL_CA_BUNDLE). */
export function makeCertificate(dir: string): { key: string; cert: string } {
  const key = join(dir, "pbs-key.pem");
  const cert = join(dir, "pbs-cert.pem");
  const r = spawnSync(
    "openssl",
    ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", key, "-out", cert],
    { encoding: "utf8", timeout: 30_000 },
  );
  if (r.status !== 0) throw new Error(`openssl: ${r.stderr}`);
  return { key, cert };
}

/** Starts the fake API with `state`; the token secret is made at random here, never written in a test. */
export async function startFakePbs(dir: string, state: FakePbsState, tokenId = "status@pbs!probe"): Promise<FakePbs> {
  const { key, cert } = makeCertificate(dir);
  const secret = randomUUID();
  const requests: string[] = [];
  const reply = (res: import("node:http").ServerResponse, code: number, data: unknown, message?: string) => {
    res.writeHead(code, { "content-type": "application/json" });
    res.end(JSON.stringify(message === undefined ? { data } : { data, message }));
  };
  const server: Server = createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
    requests.push(`${req.method} ${req.url ?? ""}`);
    if (req.headers.authorization !== `PBSAPIToken=${tokenId}:${secret}`) return reply(res, 401, null, "authentication failed - invalid credentials");
    if (req.method !== "GET") return reply(res, 501, null, "method not implemented");
    const url = new URL(req.url ?? "/", "https://localhost");
    const path = url.pathname.replace(/^\/api2\/json/, "");
    const store = `/admin/datastore/${state.datastore}`;
    if (path === `${store}/status`) return state.status === null ? reply(res, 500, null, "datastore is not available") : reply(res, 200, state.status);
    if (path === `${store}/snapshots`) {
      const list = state.snapshots[url.searchParams.get("ns") ?? ""];
      return list === undefined ? reply(res, 400, null, "namespace not found") : reply(res, 200, list);
    }
    if (path === "/admin/sync") return reply(res, 200, state.remoteAudit ? state.sync : []);
    if (path === "/admin/prune") return reply(res, 200, state.prune);
    if (path === "/admin/verify") return reply(res, 200, state.verify);
    if (path === `/admin/gc/${state.datastore}` && state.gc !== null) return reply(res, 200, [state.gc]);
    return reply(res, 404, null, `no such path '${path}'`);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    url: `https://127.0.0.1:${port}`,
    caFile: cert,
    tokenId,
    secret,
    state,
    requests,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Writes the token secret where the probe reads it, root-only. */
export function writeSecret(file: string, secret: string): void {
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
}
