// The app's entry (package.json "main"): importing a resource's module registers its functions.
import { checkSettingsAtStart, settingsReport } from '../adapters/runtime/settings.js';
import './http/health.js';
import './http/messages.js';
import './http/messageActions.js';
import './http/messagePreview.js';
import './http/premadeTemplates.js';
import '../workflows/messageLifecycle.js';
import './http/tenantSettings.js';
import './http/messageImage.js';
import './http/openapi.js';
import './http/consoleConfig.js';
import './http/inbox.js';
import './http/readiness.js';
import './http/policies.js';
import './http/directorySearch.js';
import './http/audienceEstimate.js';
import './http/clicks.js';
import './http/messageDelivery.js';
import './http/reports.js';
import './http/devices.js';
import './http/notifications.js';
import './http/notificationAllowance.js';
import './http/providers.js';
import './http/providersDecisions.js';
import './http/providersConsent.js';
import './http/actionableSend.js';
import './http/actionableActions.js';
import './http/actionableKeys.js';
import './http/approvalCards.js';
import '../workflows/providerApproval.js';
import './queues/messageDeliveryQueues.js';
import './queues/notificationQueues.js';
import './queues/actionableQueues.js';
import './timers/deliveryResumeTimer.js';
import './timers/reconcileTimer.js';
import './timers/resendTimer.js';
import './timers/retentionTimer.js';
// Last: the console's catch-all route, below every API route.
import './web/console.js';

// Once, as the host loads the app: a setting the whole app needs throws here, so the host reports that the
// function app failed to start, with the message naming every wrong setting. A wrong setting of one outside
// service only goes to the log; /api/health answers 503 with it.
const degraded = checkSettingsAtStart();
if (degraded.length) console.warn(settingsReport(degraded));
