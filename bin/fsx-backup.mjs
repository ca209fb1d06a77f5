#!/usr/bin/env node
// Launcher of the operators' CLI: runs the TypeScript sources through tsx, so there is no build step.
import { register } from 'tsx/esm/api';

// The SDK's notice about the Node.js versions of its future releases is not the operator's concern here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
await import('../cli/main.ts');
