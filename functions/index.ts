// The app's entry (package.json "main"): importing a resource's module registers its functions.
import './http/health.js';
import './http/messages.js';
import './http/messageActions.js';
import '../workflows/messageLifecycle.js';
import './http/tenantSettings.js';
import './http/messageImage.js';
import './http/openapi.js';
import './http/inbox.js';
import './http/clicks.js';
import './http/messageDelivery.js';
import './http/reports.js';
import './http/devices.js';
import './http/notifications.js';
import './queues/messageDeliveryQueues.js';
import './queues/notificationQueues.js';
import './timers/resendTimer.js';
import './timers/retentionTimer.js';
