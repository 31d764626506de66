/** Every dashboard API route, one file per screen. */
import { officeRoutes } from './offices.js';
import { wizardRoutes } from './wizard.js';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../app-context.js';
import { analyticsRoutes } from './analytics.js';
import { appointmentRoutes } from './appointments.js';
import { auditRoutes } from './audit.js';
import { callRoutes } from './calls.js';
import { connectionRoutes } from './connections.js';
import { customerRoutes } from './customers.js';
import { callerProfileRoutes } from './caller-profile.js';
import { errorRoutes } from './errors.js';
import { followUpRoutes } from './follow-ups.js';
import { inviteRoutes } from './invites.js';
import { messageRoutes } from './messages.js';
import { onboardingRoutes } from './onboarding.js';
import { outboxRoutes } from './outbox.js';
import { sessionRoutes } from './session.js';
import { simulateRoutes } from './simulate.js';
import { userRoutes } from './users.js';

export async function apiRoutes(app: FastifyInstance, context: AppContext): Promise<void> {
  sessionRoutes(app, context);
  callRoutes(app, context);
  messageRoutes(app, context);
  outboxRoutes(app, context);
  errorRoutes(app, context);
  followUpRoutes(app, context);
  customerRoutes(app, context);
  callerProfileRoutes(app, context);
  connectionRoutes(app, context);
  appointmentRoutes(app, context);
  simulateRoutes(app, context);
  auditRoutes(app, context);
  officeRoutes(app, context);
  onboardingRoutes(app, context);
  wizardRoutes(app, context);
  userRoutes(app, context);
  inviteRoutes(app, context);
  analyticsRoutes(app, context);
}
