/** The AppFlow string and number shapes that many operations share, with the model's constraints. */
import { int, str } from "./common.ts";

export const flowName = () => str({ max: 256, pattern: "[a-zA-Z0-9][\\w!@#.-]+" });
export const flowDescription = () => str({ max: 2048, pattern: "[\\w!@#\\-.?,\\s]*" });
export const connectorProfileName = () => str({ max: 256, pattern: "[\\w/!@#+=.-]+" });
export const connectorLabel = () => str({ max: 256, pattern: "[a-zA-Z0-9][\\w!@#.-]+" });
export const kmsArn = () => str({ min: 20, max: 2048, pattern: "arn:aws:kms:.*:[0-9]+:.*" });
export const iamRoleArn = () => str({ max: 512, pattern: "arn:aws:iam:.*:[0-9]+:.*" });
export const arn = () => str({ max: 512, pattern: "arn:aws:.*:.*:[0-9]+:.*" });
export const clientToken = () => str({ min: 1, max: 256, pattern: "[ -~]+" });
export const apiVersion = () => str({ max: 256, pattern: "\\S+" });
export const nextToken = () => str({ max: 2048, pattern: "\\S+" });
export const maxResults = () => int({ min: 1, max: 100 });
export const bucketName = () => str({ min: 3, max: 63, pattern: "\\S+" });
export const bucketPrefix = () => str({ max: 512, pattern: ".*" });
export const entityName = () => str({ max: 1024, pattern: "\\S+" });
export const entitiesPath = () => str({ max: 256, pattern: "[\\s\\w/!@#+=,.-]*" });
/** The model's `String`: free text of at most 2048 characters on one line. */
export const text = () => str({ max: 2048, pattern: ".*" });
export const executionId = () => str({ max: 256, pattern: "\\S+" });
/** RegisterConnector's `Description` (not the flow's). */
export const connectorDescription = () => str({ max: 1024, pattern: "[\\s\\w/!@#+=.-]*" });
