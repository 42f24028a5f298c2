export { createDemoDevice } from './device.js'
export type { DemoDevice, DemoDeviceOptions, DeviceApproval, DeviceDecisions, DeviceRequestView } from './device.js'
export { createDemoClient } from './client.js'
export type { DemoClient, DemoClientOptions } from './client.js'
export {
  DEMO_CLIENTS,
  DEMO_NOTIFICATION_PATH,
  DEMO_USERS,
  createDemoUsers,
  demoClientMetadata,
} from './demo-config.js'
export type { DemoClientCredentials, DemoDeliveryMode, DemoUser } from './demo-config.js'
export type { NodeHandler } from './http.js'
export { DEFAULT_DELIVERY_MODES, isDemoPath, readExampleEnv, runFromCommandLine, startExampleServer } from './example-server.js'
export type { DemoSetup, ExampleOptions, RunningExample } from './example-server.js'
