// Minimal typing for the s3rver dev dependency (it ships none): just what the tests use.
declare module "s3rver" {
  import type { Server } from "node:http";
  import type FilesystemStore from "s3rver/lib/stores/filesystem.js";

  interface S3rverOptions {
    port?: number;
    address?: string;
    silent?: boolean;
    directory: string;
    resetOnClose?: boolean;
  }
  interface MiddlewareContext {
    method: string;
    path: string;
    query: Record<string, string | string[] | undefined>;
    status: number;
    type: string;
    body: unknown;
  }
  export default class S3rver {
    constructor(options: S3rverOptions);
    run(): Promise<{ address: string; port: number }>;
    close(): Promise<void>;
    store: FilesystemStore;
    context: { store: FilesystemStore };
    /** Koa's middleware stack (s3rver extends Koa). */
    middleware: ((ctx: MiddlewareContext, next: () => Promise<void>) => Promise<void>)[];
    httpServer: Server | undefined;
  }
}

declare module "s3rver/lib/stores/filesystem.js" {
  export default class FilesystemStore {
    constructor(directory: string);
    getResourcePath(bucket: string, key: string | undefined, resource: string): string;
    putMetadata(bucket: string, key: string, metadata: object, md5?: string): Promise<void>;
    putObject(object: {
      bucket: string;
      key: string;
      content: unknown;
      metadata: object;
    }): Promise<{ size: number; md5: string }>;
    putPart(
      bucket: string,
      uploadId: string,
      partNumber: number,
      content: unknown,
    ): Promise<{ size: number; md5: string }>;
  }
}
