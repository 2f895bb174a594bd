/** The 25 AppFlow operations and their restJson1 HTTP bindings (method + path), as the service documents them. */
export const operations = {
  CancelFlowExecutions: { method: "POST", path: "/cancel-flow-executions" },
  CreateConnectorProfile: { method: "POST", path: "/create-connector-profile" },
  CreateFlow: { method: "POST", path: "/create-flow" },
  DeleteConnectorProfile: { method: "POST", path: "/delete-connector-profile" },
  DeleteFlow: { method: "POST", path: "/delete-flow" },
  DescribeConnector: { method: "POST", path: "/describe-connector" },
  DescribeConnectorEntity: { method: "POST", path: "/describe-connector-entity" },
  DescribeConnectorProfiles: { method: "POST", path: "/describe-connector-profiles" },
  DescribeConnectors: { method: "POST", path: "/describe-connectors" },
  DescribeFlow: { method: "POST", path: "/describe-flow" },
  DescribeFlowExecutionRecords: { method: "POST", path: "/describe-flow-execution-records" },
  ListConnectorEntities: { method: "POST", path: "/list-connector-entities" },
  ListConnectors: { method: "POST", path: "/list-connectors" },
  ListFlows: { method: "POST", path: "/list-flows" },
  ListTagsForResource: { method: "GET", path: "/tags/{resourceArn}" },
  RegisterConnector: { method: "POST", path: "/register-connector" },
  ResetConnectorMetadataCache: { method: "POST", path: "/reset-connector-metadata-cache" },
  StartFlow: { method: "POST", path: "/start-flow" },
  StopFlow: { method: "POST", path: "/stop-flow" },
  TagResource: { method: "POST", path: "/tags/{resourceArn}" },
  UnregisterConnector: { method: "POST", path: "/unregister-connector" },
  UntagResource: { method: "DELETE", path: "/tags/{resourceArn}" },
  UpdateConnectorProfile: { method: "POST", path: "/update-connector-profile" },
  UpdateConnectorRegistration: { method: "POST", path: "/update-connector-registration" },
  UpdateFlow: { method: "POST", path: "/update-flow" },
} as const;

export type OperationName = keyof typeof operations;
export const operationNames = Object.keys(operations) as OperationName[];
